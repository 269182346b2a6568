# umqtt.simple for MicroPython: the Python half.
#
# build.sh compiles this file with mpy-cross and merges it after the native
# half (c/umqtt_glue.c + the Rust engine) into one umqtt/simple.mpy. The
# native half runs first and defines MQTTException, _Engine, _Sock and the
# _connect/_publish/... functions used below.
#
# MQTTClient is a plain Python class so that subclasses (umqtt.robust) see
# ordinary instance attributes; the hot methods are the native functions
# themselves (a native function in a class body binds self like a method),
# so publish()/wait_msg() add no Python frame.
#
# Automatic reconnect (set_reconnect) is split the same way as in the
# CPython binding: the native operations notice a lost connection and call
# self.reconnect(); reconnect() below is the retry loop (sockets and sleeps
# are Python's), with the delays and the resubscription done by the engine.


# Which umqtt.simple this is: a board that still has micropython-lib's
# umqtt/simple.py imports that one instead of simple.mpy (it has neither).
__version__ = "0.1.0"
NATIVE = True


def _text(v, name):
    if not isinstance(v, (bytes, str, bytearray, memoryview)):
        raise TypeError(name + " must be bytes or str")


def _qos(q):
    # None means the default QoS 0, as in the CPython binding.
    if q is None:
        return 0
    if not isinstance(q, int):
        raise TypeError("qos must be an int")
    if not 0 <= q <= 2:
        raise ValueError("qos must be 0, 1 or 2")
    return q


def _ms(v, name):
    if not isinstance(v, (int, float)):
        raise TypeError(name + " must be a number")
    if not v >= 0:
        raise ValueError(name + " must be >= 0")
    return int(v * 1000)


# What reconnect() retries: connection failures (OSError, protocol
# violation 256, ping timeout 257) and CONNACK 3 "server unavailable". Other
# refusals (bad credentials, rejected client id) will not cure themselves.
def _retryable(c, e):
    if _connected(c):
        # Raised while the connection stands (by a callback): not ours.
        return False
    if isinstance(e, MQTTException):
        return bool(e.args) and e.args[0] in (3, 256, 257)
    return isinstance(e, OSError)


class MQTTClient:
    def __init__(
        self,
        client_id,
        server,
        port=0,
        user=None,
        password=None,
        keepalive=0,
        ssl=None,
        ssl_params={},
    ):
        if port == 0:
            port = 8883 if ssl else 1883
        _text(client_id, "client_id")
        if user is not None:
            _text(user, "user")
        if password is not None:
            _text(password, "password")
        if not isinstance(keepalive, int):
            raise TypeError("keepalive must be an int")
        if not 0 <= keepalive <= 65535:
            raise ValueError("keepalive must be 0..65535")
        self.client_id = client_id
        self.sock = None
        self.server = server
        self.port = port
        self.ssl = ssl
        self.ssl_params = ssl_params
        self.pid = 0
        self.cb = None
        self.user = user
        self.pswd = password
        self.keepalive = keepalive
        self.lw_topic = None
        self.lw_msg = None
        self.lw_qos = 0
        self.lw_retain = False
        # The native protocol engine: buffers, session and in-flight state.
        self._e = _Engine()
        # set_reconnect() settings: (attempts, min ms, max ms, on_reconnect).
        self._rc = None

    def set_callback(self, f):
        self.cb = f

    def set_last_will(self, topic, msg, retain=False, qos=0):
        _text(topic, "topic")
        _text(msg, "msg")
        qos = _qos(qos)
        if not topic:
            raise ValueError("last will topic must not be empty")
        self.lw_topic = topic
        self.lw_msg = msg
        self.lw_qos = qos
        self.lw_retain = retain

    def _open(self, timeout):
        import socket

        # Bad attributes fail before any network I/O.
        _check_connect(self)
        old = self.sock
        if old is not None:
            # A reconnect replaces the socket; do not leak the old one.
            self.sock = None
            try:
                old.close()
            except Exception:
                pass
        ai = socket.getaddrinfo(self.server, self.port)[0]
        s = socket.socket(ai[0], socket.SOCK_STREAM)
        try:
            if timeout is not None:
                s.settimeout(timeout)
            s.connect(ai[-1])
            try:
                # IPPROTO_TCP, TCP_NODELAY: one packet per write, no Nagle
                # delay on request/acknowledge round trips.
                s.setsockopt(6, 1, 1)
            except Exception:
                pass
            if self.ssl is True:
                import ssl

                s = ssl.wrap_socket(s, **self.ssl_params)
            elif self.ssl:
                s = self.ssl.wrap_socket(s, server_hostname=self.server)
            # _Sock records setblocking()/settimeout() calls (MicroPython
            # sockets cannot report their mode) and forwards the rest.
            self.sock = _Sock(s, timeout)
        except BaseException:
            s.close()
            raise

    def connect(self, clean_session=True, timeout=None):
        # One budget for TCP (and TLS) and CONNACK, like the CPython binding.
        import time

        t0 = time.ticks_ms()
        self._open(timeout)
        if timeout is not None:
            left = timeout - time.ticks_diff(time.ticks_ms(), t0) / 1000
            timeout = left if left > 0.001 else 0.001
        return _connect(self, clean_session, timeout)

    # Automatic reconnect: operations that lose the connection call
    # self.reconnect() and carry on (README "Reconnect"; same as CPython).
    def set_reconnect(self, attempts=10, min_delay=0.5, max_delay=30.0, on_reconnect=None):
        if not isinstance(attempts, int):
            raise TypeError("attempts must be an int")
        if attempts < 0:
            raise ValueError("attempts must be >= 0 (0: no limit)")
        lo = _ms(min_delay, "min_delay")
        hi = _ms(max_delay, "max_delay")
        if hi < lo:
            raise ValueError("max_delay must be >= min_delay")
        if on_reconnect is not None and not callable(on_reconnect):
            raise TypeError("on_reconnect must be callable or None")
        self._rc = (attempts, lo, hi, on_reconnect)
        _set_auto(self, True)

    # connect(False) up to `attempts` times with the engine's jittered,
    # doubling delays; resubscribe if the broker lost the session.
    def reconnect(self):
        import time

        attempts, lo, hi, cb = self._rc or (10, 500, 30000, None)
        s = self.sock
        if s is not None:
            try:
                s.close()
            except Exception:
                pass
        _backoff(self, lo, hi, time.ticks_us() ^ id(self))
        n = 0
        sp = None
        # No break/continue inside try: build.sh refuses them (the 1.23
        # mpy-tool --merge miscomputes the UNWIND_JUMP they compile to).
        while sp is None:
            try:
                sp = 1 if self.connect(False) else 0
                if not sp:
                    _resubscribe(self)
            except Exception as e:
                sp = None
                if not _retryable(self, e):
                    raise
                n += 1
                if attempts and n >= attempts:
                    raise
                time.sleep_ms(_backoff_next(self))
        if cb is not None:
            cb(sp)
        return sp

    def check_msg(self):
        if self._rc is not None and _lost(self):
            # The last reconnect gave up: try again (raises if it fails).
            self.reconnect()
        if self.sock is None:
            raise MQTTException(259, "not connected")
        self.sock.setblocking(False)
        return self.wait_msg()

    disconnect = _disconnect
    ping = _ping
    publish = _publish
    subscribe = _subscribe
    unsubscribe = _unsubscribe
    wait_msg = _wait_msg
