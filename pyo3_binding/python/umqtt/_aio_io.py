"""The I/O half of umqtt.aio: the reader of a connection (bytes in, the
core's events out to the waiters), its writer, and what CPython's and
MicroPython's asyncio do differently (loading the core's connection, one-shot
waiters, TLS contexts, closing a stream, writing and draining). aio.py holds
the client's API and its connection's life, the same on both runtimes.
"""
import sys

import asyncio

_MICROPYTHON = sys.implementation.name == "micropython"

try:
    from umqtt._umqtt import Conn as _Conn, MQTTException

    def Conn(protocol=4, websockets=False):
        # One class for every connection on CPython.
        return _Conn(protocol)

except ImportError:
    # (The class umqtt.simple has too: umqtt/_exc.mpy, without simple.mpy.)
    from umqtt._exc import MQTTException

    # The native modules' functions (they bind self like methods; the engine
    # is self._e): umqtt/_conn.mpy (3.1.1), umqtt/_conn5.mpy (also MQTT 5,
    # loaded only for protocol=5 so boards on 3.1.1 do not carry it),
    # umqtt/_connws.mpy (both, and WebSockets: loaded only for those).
    _NAMES = (
        "connect",
        "publish",
        "subscribe",
        "unsubscribe",
        "disconnect",
        "out",
        "feed",
        "event",
        "deadline",
        "timeout",
        "lost",
        "closed",
        "connected",
        "room",
        "set_reconnect",
        "reconnect_on",
        "reconnect_begin",
        "reconnect_failed",
        "should_reconnect",
        "resubscribe",
        "timed_out",
        "needs_v5",
        "set_message_timeout",
        "connect_step_ms",
        "check_port",
        "check_timeout",
        "check_will",
        "check_client",
    )
    _classes = {}

    def _native(n, names):
        class Conn:
            def __init__(self, protocol=4):
                self._e = n._Engine(protocol)

        for k in names:
            setattr(Conn, k, getattr(n, k))
        # The MQTT 5 calls and ws_open, where the module has them.
        for k in ("connack_properties", "auth_continue", "reauthenticate", "ws_open"):
            if hasattr(n, k):
                setattr(Conn, k, getattr(n, k))
        return Conn

    def Conn(protocol=4, websockets=False):
        key = (protocol == 5, websockets)
        cls = _classes.get(key)
        if cls is None:
            if websockets:
                from umqtt import _connws as n
            elif protocol == 5:
                try:
                    from umqtt import _conn5 as n
                except ImportError:
                    # Not installed: _conn's engine raises the core's
                    # ValueError for protocol=5.
                    from umqtt import _conn as n

                    n._Engine(protocol)
            else:
                from umqtt import _conn as n
            cls = _classes[key] = _native(n, _NAMES)
        return cls(protocol)


if _MICROPYTHON or not hasattr(asyncio, "timeout"):
    _within = asyncio.wait_for
else:

    async def _within(aw, seconds):
        # wait_for() without its task per call (CPython 3.11+).
        async with asyncio.timeout(seconds):
            return await aw


def _seed():
    try:
        import time

        return time.ticks_us() & 0xFFFFFFFF
    except AttributeError:
        return time.time_ns() & 0xFFFFFFFF


if _MICROPYTHON:

    class _Wait:
        # A one-shot result (MicroPython's asyncio has no Future).
        def __init__(self):
            self.ev = asyncio.Event()
            self.value = None
            self.exc = None

        def set(self, value=None, exc=None):
            if not self.ev.is_set():
                self.value = value
                self.exc = exc
                self.ev.set()

        def done(self):
            return self.ev.is_set()

        async def wait(self):
            await self.ev.wait()
            if self.exc is not None:
                raise self.exc
            return self.value

else:

    class _Wait(asyncio.Future):
        # The same as a Future: publish() awaits it directly (no coroutine
        # per wait), and an error nobody awaited (the waiter was cancelled)
        # is not logged.
        def set(self, value=None, exc=None):
            # A cancelled waiter cancelled the future: nothing to tell.
            if not self.done():
                if exc is None:
                    self.set_result(value)
                else:
                    self.set_exception(exc)
                    self._log_traceback = False

        def wait(self):
            return self


def _tls(ssl, p, server):
    # ssl=True: a context from ssl_params as each runtime's blocking client
    # builds one (CPython: ca_certs, cert_reqs; MicroPython: cadata,
    # cert_reqs, server_hostname). Returns (context, server_hostname).
    if ssl is not True:
        return ssl, server
    import ssl as _ssl

    if _MICROPYTHON:
        ctx = _ssl.SSLContext(_ssl.PROTOCOL_TLS_CLIENT)
        if "cadata" in p:
            ctx.load_verify_locations(cadata=p["cadata"])
        ctx.verify_mode = p.get("cert_reqs", _ssl.CERT_NONE)
        return ctx, p.get("server_hostname", server)
    ctx = _ssl.create_default_context(cafile=p.get("ca_certs"))
    if p.get("cert_reqs", _ssl.CERT_REQUIRED) == _ssl.CERT_NONE:
        ctx.check_hostname = False
        ctx.verify_mode = _ssl.CERT_NONE
    return ctx, server


def _close(w):
    w.close()
    if _MICROPYTHON:
        # Its StreamWriter.close() leaves the socket open (wait_closed()
        # closes it).
        w.s.close()


class _Writer:
    # MQTTClient's writing: self._c (the connection), self._w (the stream
    # writer or None), self._lock, self._flushing, self._lost(e, w).

    if _MICROPYTHON:

        async def _send_all(self):
            # disconnect(): everything queued (the DISCONNECT last) written
            # and drained before the stream is closed. The lock waits for a
            # drain in progress (another task's _send, perhaps with our
            # DISCONNECT among its bytes) and keeps new ones out meanwhile.
            w = self._w
            try:
                async with self._lock:
                    while w is self._w:
                        data = self._c.out()
                        if data is not None:
                            w.write(data)
                        elif not w.out_buf:
                            return
                        await w.drain()
            except Exception as e:
                self._lost(e, w)

        async def _send(self, wait=False):
            # Write everything the connection has queued. A write the socket
            # takes whole needs no lock (no await). When it takes only part,
            # the lock keeps one drain at a time (MicroPython's StreamWriter
            # allows no more, and loses bytes written during one); operations
            # queued meanwhile find it held and leave their bytes to the
            # holder, which loops until none are left; with wait (a QoS 0
            # publish) they wait for it, as CPython's drain() does. (drain()
            # with nothing pending only yields, a pass of the scheduler per
            # packet; CPython's does not.)
            w = self._w
            if w is None:
                return None
            if self._lock.locked():
                # Not the reader: it must go on reading while the broker
                # reads nothing until it can write. A QoS 0 publisher in a
                # loop would neither yield nor stop queueing.
                if wait:
                    async with self._lock:
                        pass
                return None
            c = self._c
            try:
                while True:
                    data = c.out()
                    if data is None:
                        return None
                    w.write(data)
                    if w.out_buf:
                        async with self._lock:
                            await w.drain()
                        if w is not self._w:
                            return None
            except Exception as e:
                self._lost(e, w)
                return e

        def _kick(self):
            # Write what publish() queued once the tasks ready now have run:
            # the QoS 1/2 publishes of many tasks go out in one write.
            # (MicroPython's asyncio has no call_soon(): a task does it.)
            if not self._flushing:
                self._flushing = True
                asyncio.create_task(self._flush())

        async def _flush(self):
            self._flushing = False
            await self._send()

    else:

        async def _send_all(self):
            # disconnect(): everything queued written and drained before
            # the stream is closed. drain() only waits for the buffer to
            # fall below its high-water mark, and what close() leaves
            # buffered is lost when the event loop ends, so the limit goes
            # to 0 first.
            w = self._w
            try:
                data = self._c.out()
                if data is not None:
                    w.write(data)
                w.transport.set_write_buffer_limits(0)
                await w.drain()
            except Exception as e:
                self._lost(e, w)

        def _kick(self):
            # Write what publish() queued at the end of this pass of the event
            # loop: the QoS 1/2 publishes of many tasks go out in one write.
            # No drain(): the window bounds what they can queue.
            if not self._flushing:
                self._flushing = True
                asyncio.get_running_loop().call_soon(self._flush)

        def _flush(self):
            self._flushing = False
            w = self._w
            if w is None:
                return
            try:
                data = self._c.out()
                if data is not None:
                    w.write(data)
            except Exception as e:
                self._lost(e, w)

        async def _send(self, wait=False):
            # Write everything the connection has queued. CPython's
            # StreamWriter buffers every write and lets several tasks wait
            # in drain() (which waits for room whatever wait says), so no
            # lock.
            w = self._w
            if w is None:
                return None
            try:
                data = self._c.out()
                if data is not None:
                    w.write(data)
                    await w.drain()
            except Exception as e:
                self._lost(e, w)
                return e
            return None


# Conn.event() kinds.
_CONNECTED, _MESSAGE, _PUBLISHED, _SUBSCRIBED, _UNSUBSCRIBED = 1, 2, 3, 4, 5
_OTHER, _AUTH = 7, 8
# Not the connection's: an error it survived, queued for messages().
_SKIPPED = 0
# Bytes asked of the socket per read.
_READ = 4096


class _Reader:
    # MQTTClient's reading, the same on both runtimes: bytes in, the core's
    # events out to the waiters. Uses self._c, self._q / _qmax / _arrived /
    # _space (messages()), self._pubs / _reqs / _connack (packet id ->
    # _Wait), self._auth, and the client's _send, _lost, _wake_room,
    # _end_reauth.

    async def _run(self, r, w):
        # The connection's reader: bytes in, events out, the deadlines.
        c = self._c
        try:
            while True:
                d = c.deadline()
                if d is None:
                    data = await r.read(_READ)
                else:
                    # Past a deadline, bytes already there are read first:
                    # the PINGRESP may be among them.
                    try:
                        data = await _within(r.read(_READ), max(d, 5) / 1000)
                    except asyncio.TimeoutError:
                        c.timeout()
                        await self._send()
                        continue
                if not data:
                    raise c.lost()
                await self._take(data)
                await self._send()
        except asyncio.CancelledError:
            raise
        except Exception as e:
            # MQTT 5: after a protocol error the core queued DISCONNECT with
            # its reason code; it goes out first if it can, as the blocking
            # client's does.
            try:
                await asyncio.wait_for(self._send(), 1)
            except Exception:
                pass
            self._lost(e, w)

    async def _take(self, data):
        c = self._c
        while data:
            n = c.feed(data)
            data = data[n:]
            while True:
                try:
                    ev = c.event()
                except Exception as e:
                    if not c.connected():
                        raise
                    # The connection goes on (258: an oversized packet was
                    # skipped): messages() raises it in the message's place.
                    ev = (_SKIPPED, e)
                if ev is None:
                    break
                k = ev[0]
                if k == _MESSAGE or k == _SKIPPED:
                    q = self._q
                    q.append(ev)
                    self._arrived.set()
                    if len(q) >= self._qmax:
                        await self._hold()
                elif k == _PUBLISHED:
                    p = self._pubs.pop(ev[1], None)
                    self._wake_room()
                    if p is not None:
                        # The reason code (None on 3.1.1), or its refusal.
                        p.set(ev[3], ev[2])
                elif k == _SUBSCRIBED:
                    p = self._reqs.pop(ev[1], None)
                    self._wake_room()
                    if p is not None:
                        # (granted QoS, every code as bytes)
                        p.set(ev[3:], ev[2])
                elif k == _UNSUBSCRIBED:
                    p = self._reqs.pop(ev[1], None)
                    self._wake_room()
                    if p is not None:
                        p.set(ev[3], ev[2])
                elif k == _CONNECTED:
                    if self._connack is not None:
                        self._connack.set(ev[1])
                elif k == _AUTH:
                    self._challenge(ev[1])
                elif k == _OTHER and ev[1] == 0xF0:
                    # The broker's AUTH success: re-authentication done.
                    self._end_reauth()

    def _challenge(self, data):
        # Answer an AUTH challenge through set_auth()'s on_challenge. What it
        # raises ends the reader, so the connection (the broker waits for an
        # answer), and comes out of connect() or reauthenticate().
        self._c.auth_continue(self._auth[2](data))

    async def _hold(self):
        # The queue is full: stop reading (TCP back-pressure) until the
        # application takes a message. Acknowledgements and due PINGREQs
        # still go out; the ping timeout is not checked meanwhile, since
        # the broker's answer waits behind the unread messages.
        await self._send()
        while len(self._q) >= self._qmax:
            self._space.clear()
            d = self._c.deadline()
            try:
                await asyncio.wait_for(self._space.wait(), (d if d else 1000) / 1000)
            except asyncio.TimeoutError:
                await self._send()
