"""Type stubs of ``umqtt.aio``, the asyncio client (spec/PYAPI.md "umqtt.aio")."""
import asyncio
from typing import (Any, AsyncIterator, Callable, Dict, List, Literal, Optional, Sequence,
                    Tuple, Union, overload)

from umqtt._umqtt import MQTTException as MQTTException
from umqtt._umqtt import _WsHeaders

_Data = Union[bytes, bytearray, memoryview, str]
_Properties = Dict[str, Any]

QUEUE_SIZE: int
"""Inbound messages held for messages() before the client stops reading the socket."""
DISCONNECT_TIMEOUT: float
"""Seconds disconnect() waits for what is queued to be written."""


class MessageDetails:
    """The third item of messages(details=True)."""
    qos: int
    retain: bool
    dup: bool
    properties: _Properties


class MQTTClient:
    """An asyncio MQTT 3.1.1 and 5 client, the same on CPython and MicroPython.

    ``port=0`` means 8883 with ``ssl``, else 1883 (80/443 for ws:// and wss://).
    ``ssl``: an ``ssl.SSLContext``, or True with ``ssl_params``.
    """
    client_id: _Data
    server: str
    port: int
    user: Optional[_Data]
    pswd: Optional[_Data]
    keepalive: int
    ssl: Any
    ssl_params: Dict[str, Any]
    protocol: int
    connack_properties: _Properties
    """MQTT 5: the last CONNACK's properties ({} on 3.1.1)."""
    up: asyncio.Event
    """Set while connected."""
    down: asyncio.Event
    """Set while not connected."""

    def __init__(self, client_id: _Data, server: str, port: int = 0,
                 user: Optional[_Data] = None, password: Optional[_Data] = None,
                 keepalive: int = 60, ssl: Any = None, ssl_params: Dict[str, Any] = {},
                 protocol: int = 4, queue_size: int = 32, transport: str = "tcp",
                 ws_path: str = "/mqtt",
                 ws_headers: Optional[_WsHeaders] = None,
                 message_timeout: Optional[float] = None) -> None: ...

    def set_last_will(self, topic: _Data, msg: _Data, retain: bool = False, qos: int = 0,
                      properties: Optional[_Properties] = None) -> None: ...

    def set_reconnect(self, attempts: int = 10, min_delay: float = 0.5,
                      max_delay: float = 30.0,
                      on_reconnect: Optional[Callable[[int], Any]] = None) -> None:
        """attempts=0: for ever. on_reconnect(session_present) after each reconnect."""

    def set_auth(self, method: str, data: Optional[bytes],
                 on_challenge: Callable[[bytes], bytes]) -> None:
        """MQTT 5 enhanced authentication for the next connect()."""

    async def __aenter__(self) -> "MQTTClient": ...

    async def __aexit__(self, *exc: Any) -> None: ...

    async def connect(self, clean_session: bool = True, timeout: Optional[float] = None,
                      properties: Optional[_Properties] = None) -> int:
        """1 if the broker resumed a session, else 0."""

    async def disconnect(self, reason: int = 0,
                         properties: Optional[_Properties] = None) -> None: ...

    async def publish(self, topic: _Data, msg: _Data, retain: bool = False, qos: int = 0,
                      properties: Optional[_Properties] = None) -> Optional[int]:
        """Returns when acknowledged (QoS 1/2): the MQTT 5 reason code, None on 3.1.1
        and for QoS 0."""

    @overload
    async def subscribe(self, topic: _Data, qos: int = 0, no_local: bool = False,
                        retain_as_published: bool = False, retain_handling: int = 0,
                        properties: Optional[_Properties] = None) -> int: ...

    @overload
    async def subscribe(self, topic: List[Tuple[_Data, int]], qos: int = 0,
                        no_local: bool = False, retain_as_published: bool = False,
                        retain_handling: int = 0,
                        properties: Optional[_Properties] = None) -> List[int]: ...

    async def unsubscribe(self, topic: _Data,
                          properties: Optional[_Properties] = None) -> Optional[int]: ...

    async def reauthenticate(self, data: Optional[bytes] = None,
                             timeout: float = 30) -> None: ...

    @overload
    def messages(self, details: Literal[False] = False) -> AsyncIterator[Tuple[bytes, bytes]]:
        """(topic, msg) as they arrive; ends after disconnect()."""

    @overload
    def messages(self,
                 details: Literal[True]) -> AsyncIterator[Tuple[bytes, bytes, MessageDetails]]:
        ...


__all__: Sequence[str]
