"""Type stubs of the compiled module behind ``umqtt.simple``."""
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

_Data = Union[bytes, bytearray, memoryview, str]
_Properties = Dict[str, Any]
# ws_headers: a dict, or (name, value) pairs (tuples or lists) of str.
_WsHeaders = Union[Mapping[str, str], Sequence[Union[Tuple[str, str], List[str]]]]


class MessageDetails:
    """The third argument of a set_callback(f, details=True) callback."""
    qos: int
    retain: bool
    dup: bool
    properties: Dict[str, Any]
"""Topics, messages, client id, user and password: bytes-like or str (UTF-8)."""

class MQTTException(Exception):
    """An MQTT-level error. ``args[0]`` is an int code:

    - 1..5: CONNACK refusal (``MQTTException(rc)``, as umqtt.simple):
      1 unacceptable protocol version, 2 identifier rejected, 3 server
      unavailable, 4 bad user name or password, 5 not authorised.
    - 128 (0x80): the broker refused a subscription.
    - 256: the broker violated the protocol (``MQTTException(256, "protocol
      error: ...")``); the connection was closed.
    - 257: the broker did not answer PINGREQ in time; the connection was closed.
    - 258: a packet larger than the receive limit was skipped; the connection
      is still usable.
    - 259: not connected (call connect() first).
    - 260: too many QoS 1/2 messages in flight.

    Other failures: timeouts waiting for the broker raise
    ``OSError(110, ...)`` (ETIMEDOUT); a connection closed by the broker
    raises ``OSError(-1, "connection closed by broker")``; socket and TLS
    errors propagate unchanged; bad arguments raise TypeError/ValueError.
    """

class MQTTClient:
    """MQTT 3.1.1 client, compatible with micropython-lib's umqtt.simple 1.8.0.

    ``port=0`` means 8883 when ``ssl`` is set, else 1883. The attributes below
    are plain instance attributes, read when connect() is called, so they may
    be changed after construction (and read at any time, also while a call is
    in progress). The class may be subclassed (umqtt.robust does).

    A call made while another call of the same client is in progress (a
    thread, a signal handler) raises ``RuntimeError("MQTTClient is busy: ...")``,
    except check_msg(), which returns None at once (spec/PYAPI.md
    "Re-entrancy"). Calls from the message callback are not re-entrant: they
    work.
    """

    client_id: _Data
    """Client identifier."""
    sock: Any
    """The socket (``socket.socket`` or ``ssl.SSLSocket``); None before connect()."""
    server: str
    """Broker host name or address."""
    port: int
    """Broker port."""
    ssl: Any
    """None/False (plain TCP), True (TLS configured by ``ssl_params``) or an
    SSLContext-like object with ``wrap_socket(sock, server_hostname=...)``."""
    ssl_params: Mapping[str, Any]
    """TLS options for ``ssl=True``, like ``ssl.wrap_socket``'s keywords:
    ``cert_reqs``, ``ca_certs``, ``cadata``, ``certfile``, ``keyfile``,
    ``server_hostname`` (default: server), ``check_hostname``, ``ciphers``,
    ``do_handshake``. As with wrap_socket, certificates are only verified when
    ``cert_reqs`` is set or a CA (``ca_certs``/``cadata``) is given."""
    pid: int
    """The packet id used last; the next QoS 1/2 publish, subscribe or
    unsubscribe uses the one after it (0..65535, else ValueError from there)."""
    cb: Optional[Callable[[bytes, bytes], Any]]
    """Message callback ``cb(topic, msg)``; see set_callback()."""
    user: Optional[_Data]
    """User name, or None."""
    pswd: Optional[_Data]
    """Password, or None (needs a user name)."""
    keepalive: int
    """Keepalive in seconds, 0..65535 (0 = off)."""
    lw_topic: Optional[_Data]
    """Last-will topic (None or empty: no will)."""
    lw_msg: Optional[_Data]
    """Last-will message."""
    lw_qos: int
    """Last-will QoS."""
    lw_retain: bool
    """Last-will retain flag."""

    def __init__(
        self,
        client_id: _Data,
        server: str,
        port: int = 0,
        user: Optional[_Data] = None,
        password: Optional[_Data] = None,
        keepalive: int = 0,
        ssl: Any = None,
        ssl_params: Mapping[str, Any] = {},
        socket_timeout: Optional[float] = None,
        message_timeout: Optional[float] = None,
        transport: str = "tcp",
        ws_path: str = "/mqtt",
        ws_headers: Optional[_WsHeaders] = None,
        protocol: int = 4,
    ) -> None:
        """Set the connection parameters; nothing is sent before connect().

        ``socket_timeout`` (seconds, default 30): the longest one write may
        wait for a socket that takes no data. ``message_timeout`` (seconds,
        default 30): how long CONNACK, SUBACK, UNSUBACK, PUBACK and PUBCOMP
        may take (OSError(110) after it). Raises ValueError if keepalive is
        outside 0..65535 or a timeout is negative, TypeError for a client
        id, user or password that is not bytes or str.

        ``transport="websockets"`` (or a ``ws://``/``wss://`` URL as
        ``server``): MQTT over WebSockets to ``ws_path`` with the extra
        request headers ``ws_headers``; ``port=0`` is then 80 or 443.

        ``protocol``: 4 (MQTT 3.1.1) or 5 (MQTT 5.0), else ValueError.
        """
    protocol: int
    """4 (MQTT 3.1.1) or 5 (MQTT 5.0)."""
    connack_properties: Dict[str, Any]
    """The last CONNACK's MQTT 5 properties ({} on 3.1.1)."""

    def connect(
        self,
        clean_session: bool = True,
        timeout: Optional[float] = None,
        properties: Optional[_Properties] = None,
    ) -> int:
        """Connect to the broker and return the session-present flag (0 or 1).

        Creates ``self.sock`` (TCP_NODELAY, TLS per ``ssl``), sends CONNECT
        with the current attributes and waits for CONNACK. ``timeout``
        (seconds) bounds the whole call: TCP connect, TLS handshake and
        CONNACK together (default: 30 s for each). The socket keeps
        ``timeout`` as its timeout (None: blocking). ``clean_session=False``
        resumes the broker's session and resends unacknowledged QoS 1/2
        messages; ``clean_session=True`` also forgets the subscriptions that
        reconnect() would restore. Raises MQTTException(1..5) if the broker
        refuses, OSError on network errors and timeouts (OSError(110) when
        no CONNACK came in time).
        """
    def disconnect(self, reason: int = 0, properties: Optional[_Properties] = None) -> None:
        """Send DISCONNECT and close the socket (MQTT 5: with ``reason``, e.g. 4 sends the will)."""
    def ping(self) -> None:
        """Send PINGREQ; the PINGRESP is consumed by wait_msg()/check_msg()."""
    def publish(
        self,
        topic: _Data,
        msg: _Data,
        retain: bool = False,
        qos: int = 0,
        properties: Optional[_Properties] = None,
    ) -> Optional[int]:
        """Publish ``msg`` to ``topic``.

        QoS 0 returns once written; QoS 1 waits for PUBACK and QoS 2 for
        PUBCOMP (at most message_timeout, else OSError(110)), calling the callback for
        messages that arrive meanwhile. Raises ValueError for a bad qos or
        topic (empty, wildcards, ...), TypeError for non-bytes/str data.
        MQTT 5: QoS 1/2 return the ack's reason code (0 or 0x10); from 0x80
        up MQTTException(code, reason_string).
        """
    def subscribe(
        self,
        topic: Union[_Data, List[Tuple[_Data, int]]],
        qos: int = 0,
        no_local: bool = False,
        retain_as_published: bool = False,
        retain_handling: int = 0,
        properties: Optional[_Properties] = None,
    ) -> Union[int, List[int]]:
        """Subscribe to a topic filter and wait for SUBACK; return the granted QoS.

        Needs a callback (set_callback()) first, else ValueError. A refused
        subscription raises MQTTException(128). A list of (filter, qos)
        pairs is one SUBSCRIBE and returns the list of codes without raising.
        The options and properties need protocol=5.
        """
    def unsubscribe(self, topic: _Data, properties: Optional[_Properties] = None) -> Optional[int]:
        """Unsubscribe from a topic filter and wait for UNSUBACK (MQTT 5: its reason code)."""
    def set_callback(self, f: Optional[Callable[..., Any]], details: bool = False) -> None:
        """Set the function called as ``f(topic, msg)`` (both bytes) per message.

        Exceptions raised by it propagate out of wait_msg()/check_msg()/
        publish(); the client stays usable. ``details=True``: ``f(topic, msg,
        details)`` with a MessageDetails.
        """
    def set_auth(
        self, method: str, data: Optional[bytes], on_challenge: Callable[[bytes], bytes]
    ) -> None:
        """MQTT 5 enhanced authentication for the next connect()."""
    def reauthenticate(self, data: Optional[bytes] = None) -> None:
        """MQTT 5 re-authentication after a set_auth() connect."""
    def set_last_will(
        self,
        topic: _Data,
        msg: _Data,
        retain: bool = False,
        qos: int = 0,
        properties: Optional[_Properties] = None,
    ) -> None:
        """Set the last will sent with the next connect().

        Raises ValueError for an empty topic or a qos outside 0..2.
        """
    def wait_msg(self) -> Optional[int]:
        """Process one packet from the broker.

        Blocks as the socket is configured; with keepalive set it sends
        PINGREQ on time (their PINGRESPs do not end the wait) and raises
        MQTTException(257) when the broker stops answering. Returns, as
        umqtt.simple does: after a message went to the callback (and was
        acknowledged), the PUBLISH's first byte (48 for QoS 0, 50 for QoS 1,
        52 for QoS 2, plus 1 for retain and 8 for DUP); None for the PINGRESP
        of ping(), or when the socket is non-blocking and no whole packet is
        there (partial bytes stay buffered); otherwise the first byte of the
        processed packet (e.g. 0x40 for a stray PUBACK). Leaves the socket
        blocking.
        """
    def check_msg(self) -> Optional[int]:
        """Non-blocking wait_msg(): ``self.sock.setblocking(False)``, then ``self.wait_msg()``.

        Never blocks half-way through a packet. Returns None if nothing (or
        only part of a packet) is there, so ``while c.check_msg(): pass``
        drains every queued message; None at once while another call of this
        client is in progress (that call delivers the messages).
        """
    def set_reconnect(
        self,
        attempts: int = 10,
        min_delay: float = 0.5,
        max_delay: float = 30.0,
        on_reconnect: Optional[Callable[[int], Any]] = None,
    ) -> None:
        """Turn on automatic reconnect (an addition to umqtt.simple).

        From now on, when publish(), subscribe(), unsubscribe(), wait_msg(),
        check_msg() or ping() lose the connection (OSError, MQTTException
        256 or 257), they call ``self.reconnect()`` and carry on instead of
        raising: a QoS 1/2 publish keeps waiting for its own acknowledgement
        (the message is still in the session and reconnect() resends it, so
        it is not published twice), subscribe()/unsubscribe() are sent again,
        a blocking wait_msg() goes on waiting, check_msg() returns None. If
        reconnect() gives up, its last error is raised, and the next call
        tries to reconnect first. Exceptions raised by the message callback
        are never taken for a lost connection. After disconnect() nothing
        reconnects.

        ``attempts``: connection attempts per reconnect() (0: no limit; the
        call then blocks until the broker is back). ``min_delay``,
        ``max_delay``: seconds between failed attempts, doubling from
        ``min_delay`` up to ``max_delay``, each drawn at random in
        [d/2, d]. ``on_reconnect(session_present)`` is called after each
        successful reconnect. Raises ValueError for negative values or
        ``max_delay < min_delay``, TypeError for a non-callable
        ``on_reconnect``.
        """
    def reconnect(self) -> int:
        """Connect again and return the session-present flag (0 or 1).

        Closes the socket and calls ``self.connect(False)`` (a subclass's
        connect() applies) until it succeeds, at most ``attempts`` times
        with the delays of set_reconnect() (defaults without it: 10
        attempts, 0.5 s doubling to 30 s). Retries on OSError, protocol
        errors (256, 257) and CONNACK 3 (server unavailable); other refusals
        are raised at once; after the last attempt its error is raised.
        If the broker lost the session (session present 0), subscribes
        again to every filter it granted since the last clean connect
        (minus unsubscribed ones; a filter it now refuses is dropped). QoS
        1/2 messages not yet acknowledged are resent (with DUP) either way.
        Then calls ``on_reconnect(session_present)`` if set. Usable without
        set_reconnect().
        """
