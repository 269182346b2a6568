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


def _text(v, name):
    if not isinstance(v, (bytes, str, bytearray, memoryview)):
        raise TypeError(name + " must be bytes or str")


def _qos(q):
    if not isinstance(q, int):
        raise TypeError("qos must be an int")
    if not 0 <= q <= 2:
        raise ValueError("qos must be 0, 1 or 2")


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

    def set_callback(self, f):
        self.cb = f

    def set_last_will(self, topic, msg, retain=False, qos=0):
        _text(topic, "topic")
        _text(msg, "msg")
        _qos(qos)
        if not topic:
            raise ValueError("last will topic must not be empty")
        self.lw_topic = topic
        self.lw_msg = msg
        self.lw_qos = qos
        self.lw_retain = retain

    def connect(self, clean_session=True, timeout=None):
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
        return _connect(self, clean_session, timeout)

    def check_msg(self):
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
