"""umqtt.aio over WebSockets (MQTTClient(transport="websockets") or a ws:// /
wss:// server): the asyncio streams of one connection wrapped in the core's
sans-IO WebSocket layer (``WsLayer``: ``umqtt._umqtt`` on CPython, natives of
``umqtt/simple.mpy`` on MicroPython). The layer makes the upgrade request and
checks the answer, frames every write and unframes every read, and says which
pongs and close replies are due; this file only moves those bytes. Same on
both runtimes; see spec/PYAPI.md "umqtt.aio".
"""
import os


try:
    from umqtt._umqtt import WsLayer, ws_target as target

    _MICROPYTHON = False
except ImportError:
    from umqtt import simple as _s

    _MICROPYTHON = True
    # (server, port, ssl, transport, ws_path) -> (host, port, tls, path or None)
    target = _s._ws_target

    # (A module built with UMQTT_WS=0 has no layer: then ws_target() refuses
    # transport="websockets" and takes a ws:// URL for a host name.)
    if hasattr(_s, "_WsLayer"):

        class WsLayer:
            # The natives bind self like methods; the layer's state is self._e.
            def __init__(self, t, headers=None):
                self._e = _s._WsLayer()
                self._t = t
                self._h = _s._headers(headers)

            def request(self, nonce):
                return _s._wsl_request(self, self._t, self._h, nonce)

            accept = _s._wsl_accept
            frame = _s._wsl_frame
            decode = _s._wsl_decode
            reply_due = _s._wsl_due
            reply = _s._wsl_reply
            check = _s._wsl_check
            close = _s._wsl_close


def _mask():
    return os.urandom(4)


class _Writer:
    # Every write is one masked binary frame; close() starts the closing
    # handshake (status 1000) unless a close frame went out already.
    def __init__(self, w, layer):
        self._w = w
        self._l = layer
        # What umqtt.aio uses besides write/drain/close: the socket
        # (MicroPython, _close), the transport (CPython, _send_all).
        if _MICROPYTHON:
            self.s = w.s
        else:
            self.transport = w.transport

    def write(self, data):
        self._w.write(self._l.frame(data, _mask()))

    def drain(self):
        return self._w.drain()

    if _MICROPYTHON:

        @property
        def out_buf(self):
            # What the socket has not taken yet (_aio_io.py's _send drains
            # then).
            return self._w.out_buf

    def close(self):
        try:
            f = self._l.close(_mask())
            if f:
                self._w.write(f)
        except Exception:
            pass
        self._w.close()


class _Reader:
    # read() returns MQTT bytes (b"" when the stream ended); pings are
    # answered and a close from the server is replied to, then raised.
    def __init__(self, r, w, layer, client, rest):
        self._r = r
        self._w = w
        self._l = layer
        self._c = client
        self._rest = rest

    async def read(self, n):
        l = self._l
        l.check()
        while True:
            raw = self._rest
            if raw:
                self._rest = None
            else:
                raw = await self._r.read(n)
                if not raw:
                    return raw
            data = l.decode(raw)
            if l.reply_due():
                f = l.reply(_mask())
                if _MICROPYTHON:
                    # Not during another task's drain (_aio_io.py's _send: its
                    # StreamWriter would lose the bytes): under its lock,
                    # then what others queued meanwhile goes out.
                    w = self._w
                    async with self._c._lock:
                        w.write(f)
                        if w.out_buf:
                            await w.drain()
                    await self._c._send()
                else:
                    self._w.write(f)
                if not data:
                    l.check()
            if data:
                return data


async def _handshake(r, w, l, c):
    w.write(l.request(os.urandom(16)))
    await w.drain()
    while True:
        raw = await r.read(4096)
        if not raw:
            # The core's OSError of a closed connection.
            raise c.lost()
        rest = l.accept(raw)
        if rest is not None:
            return rest


async def open(client, transport, ws_path, ws_headers):
    """The streams of a new WebSocket connection for client's server, port
    and ssl: TCP (TLS for wss), then the opening handshake."""
    t = target(client.server, client.port, client.ssl, transport, ws_path)
    l = WsLayer(t, ws_headers)
    # Bad path or headers: ValueError before any I/O (the request is made
    # again with the nonce below).
    l.request(bytes(16))
    r, w = await client._tcp(t[0], t[1], client.ssl or t[2])
    # Bounded with the rest of the opening (MQTTClient._opened).
    try:
        rest = await _handshake(r, w, l, client._c)
    except BaseException:
        w.close()
        if _MICROPYTHON:
            w.s.close()
        raise
    return _Reader(r, w, l, client, rest), _Writer(w, l)
