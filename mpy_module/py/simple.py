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
# so publish()/wait_msg()/check_msg() add no Python frame. Every argument
# rule, error code and retry decision is the core's (_arg, _will,
# _set_reconnect, _retry_failed, _check_client); this file opens sockets and sleeps.


# Which umqtt.simple this is: a board that still has micropython-lib's
# umqtt/simple.py imports that one instead of simple.mpy (it has neither).
__version__ = "0.1.0"
NATIVE = True


_TCP = ("tcp", "/mqtt", ())


# MQTT 5 properties (spec/PYAPI.md "MQTT 5"): the native _props(d, ctx, v5,
# auth=None) encodes a dict for a packet of ctx (CONNECT 0, will 1:
# c/props.h), with set_auth()'s (method, data), by the core's rules; None
# when there are none.
# Received properties (_v5props: name, value, in_list, ...) as a dict.
def _dict(flat):
    d = {}
    for i in range(0, len(flat), 3):
        k, v = flat[i], flat[i + 1]
        if flat[i + 2]:
            d.setdefault(k, []).append(v)
        else:
            d[k] = v
    return d


# The third argument of a set_callback(f, details=True) callback: flags from
# the PUBLISH's first byte, its MQTT 5 properties ({} on 3.1.1).
class MessageDetails:
    def __init__(self, first, client):
        self.qos = (first >> 1) & 3
        self.retain = bool(first & 1)
        self.dup = bool(first & 8)
        self.properties = _dict(_v5props(client, 1)) if client.protocol == 5 else {}

    def __repr__(self):
        return "MessageDetails(qos=%d, retain=%s, dup=%s, properties=%r)" % (
            self.qos,
            self.retain,
            self.dup,
            self.properties,
        )


# A TCP connection to the first address of host that takes one, in
# getaddrinfo's order (as CPython's socket.create_connection); else the
# last failure. `timeout` stays on the socket for the TLS handshake.
def _tcp(host, port, timeout):
    import socket

    err = OSError("getaddrinfo returned no address")
    for ai in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
        s = socket.socket(ai[0], socket.SOCK_STREAM)
        try:
            s.settimeout(timeout)
            s.connect(ai[-1])
            return s
        except OSError as e:
            s.close()
            err = e
        except BaseException:
            s.close()
            raise
    raise err


class MQTTClient:
    # transport, ws_path, ws_headers; an instance keeps its own only when
    # they differ (no heap for a TCP client's defaults).
    _ws = _TCP
    # set_callback(f, details=True): MessageDetails.
    _details = None

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
        socket_timeout=None,
        message_timeout=None,
        transport="tcp",
        ws_path="/mqtt",
        ws_headers=None,
        protocol=4,
    ):
        # None for an argument with a default is that default, as on CPython.
        port = 0 if port is None else port
        keepalive = 0 if keepalive is None else keepalive
        ssl_params = {} if ssl_params is None else ssl_params
        protocol = 4 if protocol is None else protocol
        # MQTT over WebSockets: transport="websockets" or a ws:// / wss://
        # URL as server (the core's rules, also for port=0: 1883 / 8883, 80 / 443).
        ws = (
            "tcp" if transport is None else transport,
            "/mqtt" if ws_path is None else ws_path,
            _ws_headers(ws_headers),
        )
        t = _ws_target(server, port, ssl, ws[0], ws[1])
        if port == 0:
            port = t[1]
        _check_client(client_id, user, password, keepalive)
        # 4 or 5 (a build without MQTT 5 refuses 5: the core's ValueError).
        self.protocol = _arg(protocol, 3)
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
        # MQTT 5: connect()'s and set_last_will()'s properties (as given and
        # encoded), set_auth()'s (method, data) and on_challenge, the CONNACK's.
        self._cp = None
        self._cprops = None
        self._wprops = None
        self._authp = None
        self._auth = None
        self.connack_properties = {}
        if ws != _TCP:
            self._ws = ws
        # The native protocol engine: buffers, session and in-flight state.
        self._e = _Engine()
        _set_timeouts(self, socket_timeout, message_timeout)
        # set_reconnect()'s on_reconnect (the policy is the engine's).
        self._on_rc = None

    def set_callback(self, f, details=False):
        self.cb = f
        self._details = MessageDetails if details else None

    def set_last_will(self, topic, msg, retain=False, qos=0, properties=None):
        self._wprops = _props(properties, 1, self.protocol == 5)
        self.lw_qos = _will(topic, msg, qos)
        self.lw_topic = topic
        self.lw_msg = msg
        self.lw_retain = retain

    def _open(self, clean_session, timeout):
        # Bad attributes fail before any network I/O; then the deadline of
        # TCP + TLS (connect()'s timeout, else message_timeout).
        step = _check_connect(self, clean_session, timeout) / 1000
        if isinstance(self.port, int):
            # 7: the core's port range (a socket would wrap it modulo 65,536).
            _arg(self.port, 7)
        old = self.sock
        if old is not None:
            # A reconnect replaces the socket; do not leak the old one.
            self.sock = None
            try:
                old.close()
            except Exception:
                pass
        ws = self._ws
        t = _ws_target(self.server, self.port, self.ssl, ws[0], ws[1])
        host, port, ssl_ = self.server, self.port, self.ssl
        if t[3] is None:
            t = None
        else:
            # wss:// with ssl=None: TLS with ssl_params.
            host, port, ssl_ = t[0], t[1], ssl_ or t[2]
        s = _tcp(host, port, step)
        try:
            try:
                # IPPROTO_TCP, TCP_NODELAY: one packet per write, no Nagle
                # delay on request/acknowledge round trips.
                s.setsockopt(6, 1, 1)
            except Exception:
                pass
            if ssl_ is True:
                import ssl

                s = ssl.wrap_socket(s, **self.ssl_params)
            elif ssl_:
                s = ssl_.wrap_socket(s, server_hostname=host)
            # _Sock records setblocking()/settimeout() calls (MicroPython
            # sockets cannot report their mode) and forwards the rest.
            self.sock = _Sock(s, timeout)
            # The WebSocket handshake (or none: MQTT over TCP).
            _ws_open(self, t, ws[2], timeout)
        except BaseException:
            self.sock = None
            s.close()
            raise

    # MQTT 5 enhanced authentication: the next connect() sends the method
    # and data; on_challenge(data) -> bytes answers each AUTH challenge.
    def set_auth(self, method, data, on_challenge):
        # The core checks the method; on protocol 4 its ValueError, the
        # text of the other clients.
        _props(None, 0, self.protocol == 5, (method, None))
        if not callable(on_challenge):
            raise TypeError("on_challenge must be callable")
        self._authp = (method, data)
        self._auth = on_challenge

    def connect(self, clean_session=True, timeout=None, properties=None):
        # One budget for TCP (and TLS) and CONNACK, like the CPython binding.
        import time

        t0 = time.ticks_ms()
        # MQTT 5 properties are kept for later connects ({} clears them).
        if properties is not None:
            self._cp = properties
        # set_auth()'s method and data replace those of the properties.
        self._cprops = _props(self._cp, 0, self.protocol == 5, self._authp)
        self._open(clean_session, timeout)
        if timeout is not None:
            left = timeout - time.ticks_diff(time.ticks_ms(), t0) / 1000
            timeout = left if left > 0.001 else 0.001
        sp = _connect(self, clean_session, timeout)
        if self.protocol == 5:
            # An identifier the broker assigned is the one reconnects resume.
            self.connack_properties = d = _dict(_v5props(self, 0))
            self.client_id = d.get("assigned_client_identifier", self.client_id)
        return sp

    # Automatic reconnect: operations that lose the connection call
    # self.reconnect() and carry on (spec/PYAPI.md "Reconnect").
    def set_reconnect(self, attempts=10, min_delay=0.5, max_delay=30.0, on_reconnect=None):
        if on_reconnect is not None and not callable(on_reconnect):
            raise TypeError("on_reconnect must be callable or None")
        _set_reconnect(self, attempts, min_delay, max_delay)
        self._on_rc = on_reconnect

    # connect(False) until it works or the engine's policy gives up, sleeping
    # what it says between attempts; the subscriptions the broker lost come back.
    def reconnect(self):
        import time

        s = self.sock
        if s is not None:
            try:
                s.close()
            except Exception:
                pass
        _retry_begin(self, time.ticks_us())
        sp = None
        # No break/continue inside try: build.sh refuses them (the 1.23
        # mpy-tool --merge miscomputes the UNWIND_JUMP they compile to).
        while sp is None:
            try:
                sp = 1 if self.connect(False) else 0
                # The subscriptions a broker lost (none after a resumed session).
                _resubscribe(self)
            except Exception as e:
                sp = None
                # Raises e when the engine says so.
                time.sleep_ms(_retry_failed(self, e))
        cb = self._on_rc
        if cb is not None:
            cb(sp)
        return sp

    check_msg = _check_msg
    reauthenticate = _reauthenticate
    disconnect = _disconnect
    ping = _ping
    publish = _publish
    subscribe = _subscribe
    unsubscribe = _unsubscribe
    wait_msg = _wait_msg
