"""umqtt.aio: an asyncio MQTT 3.1.1 and 5 client, the same on CPython and MicroPython.

    from umqtt.aio import MQTTClient

    async def main():
        async with MQTTClient("id", "broker.local", keepalive=60) as c:
            await c.subscribe("sensors/#", qos=1)
            await c.publish("sensors/t", "21.5", qos=1)   # returns when acknowledged
            async for topic, msg in c.messages():
                ...

The protocol runs in the Rust core's sans-IO connection (``Conn``: the
``umqtt._umqtt`` extension on CPython, the native module ``umqtt/_conn.mpy``
on MicroPython, ``umqtt/_conn5.mpy`` for protocol=5, ``umqtt/_connws.mpy`` over
WebSockets); this file only moves
bytes between asyncio streams and it, sleeps until its deadlines and turns its
events into waiters. The reading and writing of a connection, and what
differs between the runtimes' asyncio, are in umqtt/_aio_io.py. See
spec/PYAPI.md "umqtt.aio".
"""
from collections import deque

import asyncio

from umqtt._aio_io import Conn, MQTTException, _close, _Reader, _seed, _SKIPPED, _tls, _Wait, _within, _Writer

__all__ = ["MQTTClient", "MQTTException", "MessageDetails"]

# What a publisher waiting for room is woken with to look again.
_AGAIN = object()
# Inbound messages held for messages() before the client stops reading the
# socket (MQTTClient(queue_size=...)).
QUEUE_SIZE = 32
# Seconds disconnect() waits for what is queued (its DISCONNECT last) to be
# written before it closes the connection.
DISCONNECT_TIMEOUT = 10


class MessageDetails:
    """The third item of messages(details=True): qos, retain, dup, properties
    (the PUBLISH's MQTT 5 properties, {} on 3.1.1)."""

    def __init__(self, first, properties=None):
        self.qos = (first >> 1) & 3
        self.retain = bool(first & 1)
        self.dup = bool(first & 8)
        self.properties = {} if properties is None else properties

    def __repr__(self):
        return "MessageDetails(qos=%d, retain=%s, dup=%s, properties=%r)" % (
            self.qos,
            self.retain,
            self.dup,
            self.properties,
        )


class _Retry(Exception):
    # The connection went down under a request that is sent again after a
    # reconnect (SUBSCRIBE, UNSUBSCRIBE: the session forgets them).
    pass


class _Messages:
    def __init__(self, client, details):
        self._c = client
        self._details = details

    def __aiter__(self):
        return self

    async def __anext__(self):
        c = self._c
        while not c._q:
            if c._error is not None:
                raise c._error
            if c._closing:
                raise StopAsyncIteration
            c._arrived.clear()
            await c._arrived.wait()
        # Taken after the wait returned, with no await in between: a
        # cancelled consumer leaves the message in the queue.
        # (kind, topic, msg, first byte[, MQTT 5 properties])
        ev = c._q.popleft()
        c._space.set()
        if ev[0] == _SKIPPED:
            raise ev[1]
        if self._details:
            return ev[1], ev[2], MessageDetails(ev[3], ev[4] if len(ev) > 4 else None)
        return ev[1], ev[2]


class MQTTClient(_Reader, _Writer):
    def __init__(
        self,
        client_id,
        server,
        port=0,
        user=None,
        password=None,
        keepalive=60,
        ssl=None,
        ssl_params={},
        protocol=4,
        queue_size=QUEUE_SIZE,
        transport="tcp",
        ws_path="/mqtt",
        ws_headers=None,
        message_timeout=None,
    ):
        # None for an argument with a default is that default, as in the
        # blocking client.
        port = 0 if port is None else port
        keepalive = 60 if keepalive is None else keepalive
        ssl_params = {} if ssl_params is None else ssl_params
        protocol = 4 if protocol is None else protocol
        transport = "tcp" if transport is None else transport
        ws_path = "/mqtt" if ws_path is None else ws_path
        # MQTT over WebSockets (umqtt/_aio_ws.py): the blocking client's
        # arguments and rules (the core's ws_target: ValueError here; headers
        # not str pairs: TypeError; a bad path or header: at connect()).
        self._ws = None
        if transport != "tcp" or (isinstance(server, str) and "://" in server):
            from umqtt import _aio_ws

            t = _aio_ws.target(server, port, ssl, transport, ws_path, ws_headers)
            if t[3] is not None:
                port = t[1]
                self._ws = (transport, ws_path, ws_headers)
        self.client_id = client_id
        self.server = server
        self.port = port
        self.user = user
        self.pswd = password
        self.keepalive = keepalive
        self.ssl = ssl
        self.ssl_params = ssl_params
        self.protocol = protocol
        self.lw = None
        # MQTT 5: the CONNACK's properties; connect()'s, kept for reconnects.
        self.connack_properties = {}
        self._cp = None
        self._c = Conn(protocol, self._ws is not None)
        if port == 0:
            # The default: 1883, or 8883 with ssl (the core's rule).
            self.port = self._c.check_port(0, bool(ssl))
        # Bad arguments raise here, as in the blocking client.
        self._c.check_client(client_id, user, password, keepalive)
        # The blocking client's message_timeout (None: the core's 30 s).
        if message_timeout is not None:
            self._c.set_message_timeout(message_timeout)
        self.up = asyncio.Event()
        self.down = asyncio.Event()
        self.down.set()
        self._lock = asyncio.Lock()
        self._w = None
        self._task = None
        self._retry_task = None
        self._connack = None
        self._connecting = False
        self._closing = False
        self._error = None
        self._last = None
        self._on_reconnect = None
        # set_auth()'s (method, data, on_challenge); reauthenticate()'s wait.
        self._auth = None
        self._reauth = None
        # packet id -> _Wait: QoS 1/2 publishes, and SUBSCRIBE/UNSUBSCRIBE.
        self._pubs = {}
        self._reqs = {}
        # QoS 1/2 publishes waiting for room in the window, first come first
        # served: [waiter, topic, msg, qos, retain, properties].
        self._roomq = []
        # A write of what publish() queued is scheduled (_kick).
        self._flushing = False
        self._qmax = queue_size
        self._q = deque((), queue_size)
        self._arrived = asyncio.Event()
        self._space = asyncio.Event()

    # --- settings ------------------------------------------------------------

    def set_last_will(self, topic, msg, retain=False, qos=0, properties=None):
        """The will, sent with the next connect() (MQTT 5: with properties).
        Bad arguments raise here, as in the blocking client."""
        self._c.check_will(topic, msg, qos)
        self.lw = (topic, msg, qos, retain, properties)

    def set_reconnect(self, attempts=10, min_delay=0.5, max_delay=30.0, on_reconnect=None):
        if on_reconnect is not None and not callable(on_reconnect):
            raise TypeError("on_reconnect must be callable or None")
        self._c.set_reconnect(attempts, min_delay, max_delay)
        self._on_reconnect = on_reconnect

    def set_auth(self, method, data, on_challenge):
        """MQTT 5 enhanced authentication, as the blocking client's: the next
        connect() sends authentication_method and authentication_data;
        on_challenge(data) -> bytes answers each AUTH challenge (of connect()
        and reauthenticate(); it must not call the client), and what it
        raises comes out of the call waiting. On protocol 4: the core's
        ValueError, as the blocking client's."""
        if self.protocol != 5:
            raise self._c.needs_v5()
        if not callable(on_challenge):
            raise TypeError("on_challenge must be callable")
        self._auth = (method, data, on_challenge)

    # --- connection ----------------------------------------------------------

    async def __aenter__(self):
        await self.connect()
        return self

    async def __aexit__(self, *exc):
        await self.disconnect()

    async def connect(self, clean_session=True, timeout=None, properties=None):
        """Open the connection; returns 1 if the broker resumed a session.
        With set_reconnect() on, failed attempts are retried by its policy
        (so this may be called while the broker is down). MQTT 5: the
        CONNECT's properties, kept for later connects and reconnects ({}
        clears them); afterwards c.connack_properties."""
        if timeout is not None:
            self._c.check_timeout(timeout)
        if properties is not None:
            self._cp = properties
        self._closing = False
        self._error = None
        if timeout is None:
            return await self._connect(clean_session)
        try:
            return await asyncio.wait_for(self._connect(clean_session), timeout)
        except asyncio.TimeoutError:
            # The blocking client's OSError(110), from the core's table.
            raise self._c.timed_out()

    async def _connect(self, clean):
        c = self._c
        if not c.reconnect_on():
            return await self._attempt(clean)
        c.reconnect_begin(_seed())
        while True:
            try:
                return await self._attempt(clean)
            except Exception as e:
                ms = c.reconnect_failed(e)
                if ms < 0:
                    raise
            await asyncio.sleep(ms / 1000)

    async def _attempt(self, clean):
        # One connection: socket, CONNECT, CONNACK, subscriptions restored if
        # the broker lost the session. Raises what failed.
        c = self._c
        self._drop()
        # set_auth()'s method and data replace those of the properties (the
        # core's rule).
        a = self._auth and self._auth[:2]
        c.connect(self.client_id, self.user, self.pswd, self.keepalive, clean, self.lw, self._cp, a)
        self._connecting = True
        try:
            r, w = await self._opened()
            self._w = w
            self._connack = _Wait()
            self._task = asyncio.create_task(self._run(r, w))
            await self._send()
            sp = await self._connack.wait()
            if self.protocol == 5:
                # As the blocking client: an identifier the broker assigned
                # is the one reconnects resume.
                self.connack_properties = p = c.connack_properties()
                self.client_id = p.get("assigned_client_identifier", self.client_id)
            # The subscriptions a broker lost (the core knows which: none
            # when it resumed the session).
            await self._resubscribe()
        except BaseException as e:
            if self._w is None:
                c.lost()
            self._lost(e, self._w)
            raise
        finally:
            self._connecting = False
        if self._w is not w:
            # Lost right behind the CONNACK (a bad packet after it): connected
            # all the same, as the blocking client; messages() and the
            # operations see the failure (or a reconnect starts).
            self._after_loss(self._last)
            return 1 if sp else 0
        self.down.clear()
        self.up.set()
        self._wake_room()
        return 1 if sp else 0

    async def _opened(self):
        # The socket (and TLS, WebSocket) opens within the core's step
        # deadline (message_timeout), as the CONNACK after it.
        c = self._c
        try:
            return await _within(self._open(), c.connect_step_ms() / 1000)
        except asyncio.TimeoutError:
            raise c.timed_out()

    async def _open(self):
        ws = self._ws
        if ws is None:
            return await self._tcp(self.server, self.port, self.ssl)
        from umqtt import _aio_ws

        return await _aio_ws.open(self, *ws)

    async def _tcp(self, server, port, ssl):
        if isinstance(port, int):
            self._c.check_port(port)
        # TLS through the runtime's own asyncio streams.
        if not ssl:
            return await asyncio.open_connection(server, port)
        ssl, name = _tls(ssl, self.ssl_params, server)
        return await asyncio.open_connection(server, port, ssl=ssl, server_hostname=name)

    async def _resubscribe(self):
        c = self._c
        while True:
            pid = c.resubscribe()
            if not pid:
                return
            w = _Wait()
            self._reqs[pid] = w
            await self._send()
            try:
                await w.wait()
            except _Retry as r:
                raise r.args[0]
            except Exception:
                # A filter the broker now refuses is forgotten by the core.
                pass

    def _drop(self):
        # Close the stream of a previous connection (no DISCONNECT).
        w = self._w
        self._w = None
        if w is not None:
            try:
                _close(w)
            except Exception:
                pass
        t = self._task
        self._task = None
        if t is not None and t is not asyncio.current_task():
            t.cancel()

    def _lost(self, e, w):
        # The connection of writer w failed with e (once per connection).
        if w is not self._w or w is None:
            return
        c = self._c
        self._last = e
        self._drop()
        c.lost()
        self.up.clear()
        self.down.set()
        if self._connack is not None and not self._connack.done():
            self._connack.set(exc=e)
        self._end_reauth(exc=e)
        reqs = self._reqs
        self._reqs = {}
        for r in reqs.values():
            r.set(exc=_Retry(e))
        if not self._connecting:
            self._after_loss(e)

    def _after_loss(self, e):
        if not self._closing and self._c.should_reconnect(e):
            self._retry_task = asyncio.create_task(self._reconnect())
        else:
            self._fail(e)

    def _fail(self, e):
        # No connection and none coming: every waiter gets e.
        self._error = e
        pubs = self._pubs
        self._pubs = {}
        for p in pubs.values():
            p.set(exc=e)
        self._wake_room(True)
        self._arrived.set()
        self.up.clear()
        self.down.set()

    async def _reconnect(self):
        try:
            sp = await self._connect(False)
        except Exception as e:
            self._fail(e)
            return
        finally:
            # (A loss right behind the CONNACK may have started the next one.)
            if self._retry_task is asyncio.current_task():
                self._retry_task = None
        cb = self._on_reconnect
        if cb is not None:
            r = cb(sp)
            if r is not None and hasattr(r, "send"):
                await r

    async def disconnect(self, reason=0, properties=None):
        """Send DISCONNECT (if connected) and close; messages() ends.
        MQTT 5: reason (4: the broker publishes the will) and properties."""
        c = self._c
        up = self._w is not None and c.connected()
        if up:
            # Queued first: a bad argument raises before anything changes.
            if reason or properties:
                c.disconnect(reason, properties)
            else:
                c.disconnect()
        self._closing = True
        t = self._retry_task
        if t is not None:
            t.cancel()
            self._retry_task = None
        if up:
            try:
                await _within(self._send_all(), DISCONNECT_TIMEOUT)
            except asyncio.TimeoutError:
                # A broker that reads nothing: closed all the same.
                pass
        self._drop()
        # What the requests still waiting get: the core's OSError(-1).
        e = c.closed()
        self.up.clear()
        self.down.set()
        self._arrived.set()
        self._wake_room(True)
        pubs, reqs = self._pubs, self._reqs
        self._pubs, self._reqs = {}, {}
        for p in list(pubs.values()) + list(reqs.values()):
            p.set(exc=e)
        self._end_reauth(exc=e)

    # --- I/O (reading and writing: _Reader, _Writer in umqtt/_aio_io.py) -----

    def _queue_publish(self, topic, msg, qos, retain, properties):
        # The PUBLISH into the connection; its packet id (0 for QoS 0).
        if properties is None:
            return self._c.publish(topic, msg, qos, retain)
        return self._c.publish(topic, msg, qos, retain, properties)

    def _end_reauth(self, exc=None):
        w = self._reauth
        self._reauth = None
        if w is not None:
            w.set(None, exc)

    def _wake_room(self, everyone=False):
        # Publish the waiting QoS 1/2 messages the window has room for, here:
        # their waiters then wait for the ack without running in between
        # (a pass of the event loop per message fewer). everyone: wake them
        # all to look again (the connection ended; they see why).
        q = self._roomq
        if everyone:
            self._roomq = []
            for e in q:
                e[0].set(_AGAIN)
            return
        c = self._c
        sent = False
        while q and c.connected() and c.room() > 0:
            entry = q.pop(0)
            w = entry[0]
            try:
                pid = self._queue_publish(*entry[1:])
            except Exception as e:
                w.set(exc=e)
                continue
            self._pubs[pid] = w
            sent = True
        if sent:
            self._kick()

    # --- operations ----------------------------------------------------------

    async def _ready(self):
        # Connected, or (automatic reconnect on) wait for it; otherwise the
        # operation runs and the core raises what it raises (not connected).
        while not self._c.connected() and self._error is None and not self._closing:
            if self._retry_task is None and not self._connecting:
                return
            await self.up.wait()
        if self._error is not None:
            raise self._error

    async def publish(self, topic, msg, retain=False, qos=0, properties=None):
        """Publish; QoS 1/2 return when acknowledged (PUBACK / PUBCOMP):
        on MQTT 5 the ack's reason code (from 0x80 up MQTTException(code,
        reason_string)), else None."""
        c = self._c
        while True:
            if not c.connected():
                await self._ready()
                if c.connected():
                    continue
                # Not connected, reconnect off: c.publish() raises why.
            elif qos and (self._roomq or c.room() <= 0):
                # The window is full (or others wait for it first): queued;
                # _wake_room() publishes it when an ack makes room, and the
                # same waiter then gets the ack. Cancelled before that, it is
                # not sent; after, it stays in the session (below).
                w = _Wait()
                e = [w, topic, msg, qos, retain, properties]
                self._roomq.append(e)
                try:
                    r = await w.wait()
                except BaseException:
                    if e in self._roomq:
                        self._roomq.remove(e)
                    raise
                if r is not _AGAIN:
                    return r
                continue
            pid = self._queue_publish(topic, msg, qos, retain, properties)
            if not pid:
                e = await self._send(True)
                if e is None:
                    return
                if not c.reconnect_on() or self._closing:
                    raise e
                continue
            p = _Wait()
            self._pubs[pid] = p
            self._kick()
            # Cancelled here, the message stays in the session and is still
            # delivered (resent after a reconnect).
            return await p.wait()

    async def _request(self, send):
        while True:
            await self._ready()
            pid = send()
            p = _Wait()
            self._reqs[pid] = p
            await self._send()
            try:
                return await p.wait()
            except _Retry as r:
                if not self._c.reconnect_on() or self._closing:
                    raise r.args[0]

    async def subscribe(
        self,
        topic,
        qos=0,
        no_local=False,
        retain_as_published=False,
        retain_handling=0,
        properties=None,
    ):
        """Subscribe; returns the granted QoS when SUBACK arrives
        (MQTTException 128 when the broker refuses; MQTT 5:
        MQTTException(code, reason_string)). topic may be a list of
        (filter, qos) pairs: one SUBSCRIBE, the list of codes returned
        without raising. The options (for each filter) and properties need
        MQTT 5."""
        c = self._c
        if no_local or retain_as_published or retain_handling or properties is not None:
            opts = (no_local, retain_as_published, retain_handling, properties)
            got = await self._request(lambda: c.subscribe(topic, qos, *opts))
        else:
            got = await self._request(lambda: c.subscribe(topic, qos))
        return list(got[1]) if isinstance(topic, list) else got[0]

    async def reauthenticate(self, data=None, timeout=30):
        """MQTT 5 re-authentication (sec 4.12.1) after a connect() with
        set_auth(): AUTH 0x19 with data, each challenge answered by
        on_challenge; returns when the broker's AUTH success came, else
        OSError(ETIMEDOUT) after timeout seconds. Without set_auth():
        ValueError."""
        c = self._c
        c.check_timeout(timeout)
        await self._ready()
        c.reauthenticate(b"" if data is None else data)
        w = self._reauth = _Wait()
        await self._send()
        try:
            return await _within(w.wait(), timeout)
        except asyncio.TimeoutError:
            raise c.timed_out()
        finally:
            if self._reauth is w:
                self._reauth = None

    async def unsubscribe(self, topic, properties=None):
        """Unsubscribe; returns on UNSUBACK: its reason code on MQTT 5
        (0x11: there was no such subscription), else None."""
        c = self._c
        if properties is not None:
            return await self._request(lambda: c.unsubscribe(topic, properties))
        return await self._request(lambda: c.unsubscribe(topic))

    def messages(self, details=False):
        """async for topic, msg in c.messages(): the received messages (with
        details=True: topic, msg, MessageDetails). Ends after disconnect();
        raises the failure when the connection is lost for good."""
        return _Messages(self, details)
