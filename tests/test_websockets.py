"""MQTT over WebSockets: transport="websockets", ws_path=, ws_headers=, a ws:// or wss://
URL as server, against Mosquitto's websockets listener (and aedes for 1 MB, which
Debian's Mosquitto sends at ~40 KB/s); hostile framing from the fake WebSocket broker
(harness/fake_ws.py), each raising the documented exception (spec/PYAPI.md). Both
runtimes: the link (handshake, framing, pings, closes) is the core's ws::Link.

On MicroPython `self.sock` is the binding's `_Sock` mode-recording wrapper, on a
WebSocket as on TCP; on CPython it is the socket itself."""

import struct

import pytest

from harness.fake_ws import BINARY, CLOSE, PING, frame
from harness.fakebroker import CONNECT, DISCONNECT, SUBSCRIBE, connack, publish, suback

# type(c.sock).__name__ on a plain and on a TLS connection, per runtime: the
# socket itself (CPython), the same wrapper as over TCP (MicroPython).
SOCK_TYPES = {"cpython": ("socket", "SSLSocket"), "micropython": ("_Sock", "_Sock")}


def ws_params(b, mkparams, **extra):
    return mkparams(b, WS_PORT=b.ws_port, URL=b.url(), **extra)


def test_round_trips_qos_0_1_2_and_retained(runtime, ws_broker, observer, mkparams):
    p = ws_params(ws_broker, mkparams)
    obs = observer(ws_broker)
    obs.subscribe(p["TOPIC"] + "/out", 2)
    obs.publish(p["TOPIC"] + "/in/kept", b"retained", qos=1, retain=True)
    proc = runtime.start("""
    c = MQTTClient(CLIENT_ID, HOST, WS_PORT, transport="websockets", ws_path="/mqtt")
    c.set_callback(on_msg)
    attempt("CONNECT", c.connect)
    print("SOCK", type(c.sock).__name__)
    c.subscribe(TOPIC + "/in/#", 2)
    for q in (0, 1, 2):
        c.publish(TOPIC + "/out", b"ws %d" % q, qos=q)
    print("READY")
    print("GOT", poll(c, 4, 15000))
    c.disconnect()
    """, p)
    proc.expect("READY")
    for q in (0, 1, 2):
        obs.publish(p["TOPIC"] + "/in/x", b"to ws %d" % q, qos=q)
    r = proc.wait().check()
    assert r.value("CONNECT") == 0
    # self.sock is the underlying socket, not a WebSocket wrapper.
    assert r.get("SOCK") == SOCK_TYPES[runtime.name][0]
    assert sorted(m.payload for m in obs.wait_messages(3)) == [b"ws 0", b"ws 1", b"ws 2"]
    assert sorted(m for _, m in r.msgs()) == [b"retained", b"to ws 0", b"to ws 1", b"to ws 2"]


def test_url_as_server_and_will_and_keepalive(runtime, ws_broker, observer, mkparams):
    p = ws_params(ws_broker, mkparams)
    obs = observer(ws_broker)
    obs.subscribe(p["TOPIC"] + "/#", 1)
    proc = runtime.start("""
    c = MQTTClient(CLIENT_ID, URL, keepalive=1)
    print("PORT", c.port)
    c.set_last_will(TOPIC + "/will", b"gone", qos=1)
    attempt("CONNECT", c.connect)
    c.publish(TOPIC + "/hello", b"via url", qos=1)
    # Keepalive 1 s, idle for 3.5 s: Mosquitto drops a client silent for 1.5 s, so
    # the publish after it only arrives if PINGREQ/PINGRESP crossed the WebSocket.
    t0 = ticks_ms()
    while ticks_diff(ticks_ms(), t0) < 3500:
        c.check_msg()
        time.sleep(0.02)
    c.publish(TOPIC + "/alive", b"still here", qos=1)
    print("READY")
    wait_go()
    c.sock.close()  # no DISCONNECT: the will goes out
    """, p)
    proc.expect("READY")
    proc.send("go")
    r = proc.wait().check()
    assert r.get("PORT") == str(ws_broker.ws_port)
    assert r.value("CONNECT") == 0
    got = obs.wait_messages(3)
    assert [(m.topic.rsplit("/", 1)[1], m.payload) for m in got] == [
        ("hello", b"via url"), ("alive", b"still here"), ("will", b"gone")]


def test_wss_url_with_the_test_ca(runtime, ws_mosquitto, certs, observer, mkparams):
    b = ws_mosquitto(certs=certs)
    p = mkparams(b, URL=b.url(tls=True).replace("127.0.0.1", "localhost"),
                 CA_PEM=str(certs.ca_pem), CA_DER=str(certs.ca_der))
    obs = observer(b)
    obs.subscribe(p["TOPIC"], 1)
    r = runtime.run("""
    import ssl
    if RUNTIME == "micropython":
        params = {"cert_reqs": ssl.CERT_REQUIRED, "cadata": open(CA_DER, "rb").read(),
                  "server_hostname": "localhost"}
    else:
        params = {"ca_certs": CA_PEM}
    c = MQTTClient(CLIENT_ID, URL, ssl_params=params)
    attempt("CONNECT", c.connect)
    print("TLS", type(c.sock).__name__)
    c.publish(TOPIC, b"over wss", qos=1)
    c.disconnect()
    """, p).check()
    assert r.value("CONNECT") == 0
    assert r.get("TLS") == SOCK_TYPES[runtime.name][1]
    assert [m.payload for m in obs.wait_messages(1)] == [b"over wss"]


def test_one_megabyte_both_ways(runtime, ws_aedes, mkparams):
    b = ws_aedes()
    p = mkparams(b, WS_PORT=b.ws_port)
    r = runtime.run("""
    c = MQTTClient(CLIENT_ID, HOST, WS_PORT, transport="websockets")
    c.set_callback(on_msg)
    attempt("CONNECT", c.connect)
    c.subscribe(TOPIC, 1)
    big = bytes(range(256)) * 4096
    c.publish(TOPIC, big, qos=1)
    poll(c, 1, 30000, mode="wait")
    print("SAME", MSGS[0][1] == big)
    c.disconnect()
    """, p, timeout=90, heap="32M").check()  # as test_large: the unix port starts at 2 MB
    assert r.get("SAME") == "True"


def across_restart(proc, broker):
    """Restart the broker while the script waits at wait_go(); its result."""
    proc.expect("READY")
    broker.restart()
    proc.send("go")
    return proc.wait(timeout=60).check()


def test_reconnect_after_broker_restart(runtime, ws_broker, mkparams):
    p = ws_params(ws_broker, mkparams)
    proc = runtime.start("""
    c = MQTTClient(CLIENT_ID, HOST, WS_PORT, transport="websockets")
    attempt("CONNECT", c.connect)
    print("READY")
    wait_go()
    attempt("PING", c.ping)
    attempt("WAIT", c.wait_msg)
    attempt("RECONNECT", c.connect)
    c.set_callback(on_msg)
    c.subscribe(TOPIC, 1)
    c.publish(TOPIC, b"back", qos=1)
    poll(c, 1, 10000)
    c.disconnect()
    """, p)
    r = across_restart(proc, ws_broker)
    assert r.value("RECONNECT") == 0
    assert [m for _, m in r.msgs()] == [b"back"]


def test_arguments(runtime):
    r = runtime.run("""
    c = MQTTClient("c", "example.invalid", transport="websockets")
    print("WSPORT", c.port)
    c = MQTTClient("c", "example.invalid", transport="websockets", ssl=True)
    print("WSSPORT", c.port)
    c = MQTTClient("c", "wss://example.invalid/x")
    print("URLPORT", c.port)
    c = MQTTClient("c", "example.invalid")
    print("TCPPORT", c.port)
    attempt("BADTRANSPORT", MQTTClient, "c", "h", transport="udp")
    attempt("BADURL", MQTTClient, "c", "ws://:80/x")
    """, {}).check()
    assert [r.get(k) for k in ("WSPORT", "WSSPORT", "URLPORT", "TCPPORT")] == [
        "80", "443", "443", "1883"]
    assert r.exc("BADTRANSPORT").name == "ValueError"
    assert r.exc("BADURL").name == "ValueError"


HOSTILE = """
    c = MQTTClient(CLIENT_ID, URL, keepalive=60)
    c.set_callback(on_msg)
    attempt("CONNECT", c.connect)
    print("READY")
    attempt("WAIT", c.wait_msg)
    print("SOCK", c.sock is not None)
    attempt("AFTER", c.publish, TOPIC, b"x")
"""


def connect_fake(proc, fb, answer=None):
    fb.accept(answer=answer)
    assert fb.read_packet().type == CONNECT
    fb.send(connack())
    proc.expect("READY")


def test_bad_accept_key_is_261_not_retried(runtime, fake_ws, mkparams):
    p = mkparams(fake_ws, URL=fake_ws.url())
    proc = runtime.start(HOSTILE, p)

    def bad(key):
        return (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n"
                b"Sec-WebSocket-Protocol: mqtt\r\n\r\n")
    fake_ws.accept(answer=bad)
    proc.expect("READY")
    r = proc.wait().check()
    e = r.exc("CONNECT")
    assert (e.name, e.code) == ("MQTTException", 261)
    assert "Sec-WebSocket-Accept" in e.args[1]
    # The client stays defined: not connected (259).
    assert r.exc("AFTER").code == 259


@pytest.mark.parametrize("name,raw,code", [
    ("masked-frame", frame(BINARY, publish(b"t", b"m"), mask=b"\1\2\3\4"), 256),
    ("oversized-frame", bytes([0x82, 127]) + struct.pack("!Q", 1 << 40), 256),
])
def test_framing_violation_is_256(runtime, fake_ws, mkparams, name, raw, code):
    p = mkparams(fake_ws, URL=fake_ws.url())
    proc = runtime.start(HOSTILE, p)
    connect_fake(proc, fake_ws)
    fake_ws.send_raw(raw)
    r = proc.wait().check()
    assert r.value("CONNECT") == 0
    e = r.exc("WAIT")
    assert (e.name, e.code) == ("MQTTException", code)
    assert r.exc("AFTER").code == 259
    assert fake_ws.closed_by_client()


def test_close_in_the_middle_of_a_packet(runtime, fake_ws, mkparams):
    p = mkparams(fake_ws, URL=fake_ws.url())
    proc = runtime.start(HOSTILE, p)
    connect_fake(proc, fake_ws)
    pkt = publish(b"t", b"half a packet")
    fake_ws.send_raw(frame(BINARY, pkt[:5], fin=False) + frame(CLOSE, struct.pack("!H", 1001)))
    r = proc.wait().check()
    e = r.exc("WAIT")
    assert e.oserror and e.code == -1 and "1001" in str(e.args)
    assert r.exc("AFTER").code == 259
    # The close was answered with the same code.
    fake_ws.closed_by_client()
    assert (CLOSE, struct.pack("!H", 1001)) in fake_ws.client_frames
    assert r.msgs() == []


def test_messages_before_a_close_are_delivered(runtime, fake_ws, mkparams):
    p = mkparams(fake_ws, URL=fake_ws.url())
    proc = runtime.start(HOSTILE.replace('attempt("WAIT", c.wait_msg)',
                                         'attempt("WAIT", c.wait_msg)\n    '
                                         'attempt("WAIT2", c.wait_msg)'), p)
    connect_fake(proc, fake_ws)
    # A PUBLISH and the close in one write (one read on the client).
    fake_ws.send_raw(frame(BINARY, publish(b"t", b"last words"))
                     + frame(CLOSE, struct.pack("!H", 1000)))
    r = proc.wait().check()
    assert r.msgs() == [("t", b"last words")] or r.msgs() == [(b"t", b"last words")]
    e = r.exc("WAIT2")
    assert e.oserror and e.code == -1 and "1000" in str(e.args)


def test_pings_answered_and_packets_split_across_frames(runtime, fake_ws, mkparams):
    p = mkparams(fake_ws, URL=fake_ws.url(path="/custom?x=1"))
    proc = runtime.start("""
    c = MQTTClient(CLIENT_ID, URL, ws_headers={"Authorization": "Bearer t0k"})
    c.set_callback(on_msg)
    attempt("CONNECT", c.connect)
    c.subscribe(TOPIC, 1)
    print("GOT", poll(c, 2, 10000, mode="wait"))
    c.disconnect()
    """, p)
    fake_ws.accept()
    assert fake_ws.path == "/custom?x=1"
    assert fake_ws.headers["authorization"] == b"Bearer t0k"
    assert fake_ws.read_packet().type == CONNECT
    fake_ws.send(connack())
    sub = fake_ws.expect(SUBSCRIBE)
    data = suback(sub.pid, 1) + publish(p["TOPIC"].encode(), b"one") \
        + publish(p["TOPIC"].encode(), b"two")
    fake_ws.send_fragments(data, [3, 9, len(data) - 2], between=frame(PING, b"hi"))
    assert fake_ws.expect(DISCONNECT).type == DISCONNECT
    r = proc.wait().check()
    assert [m for _, m in r.msgs()] == [b"one", b"two"]
    # Pings that arrive in one read may get one pong (the last's, RFC 6455 5.5.3).
    pongs = [pl for op, pl in fake_ws.client_frames if op == 0xA]
    assert 1 <= len(pongs) <= 3 and set(pongs) == {b"hi"}
    assert fake_ws.unmasked_frames == 0


def test_refused_upgrade_ends_automatic_reconnect(runtime, fake_ws, mkparams):
    # A server that closes the WebSocket is a lost connection: automatic reconnect
    # tries again; one that then refuses the upgrade (403) is not asked a third time.
    p = mkparams(fake_ws, URL=fake_ws.url())
    proc = runtime.start("""
    c = MQTTClient(CLIENT_ID, URL)
    attempt("CONNECT", c.connect)
    c.set_reconnect(attempts=5, min_delay=0.01, max_delay=0.01)
    print("READY")
    attempt("WAIT", c.wait_msg)
    """, p)
    connect_fake(proc, fake_ws)
    fake_ws.send_close(1001)
    assert fake_ws.closed_by_client()
    fake_ws._raw = b""
    fake_ws.accept(answer=lambda key: b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
    r = proc.wait().check()
    e = r.exc("WAIT")
    assert (e.name, e.code) == ("MQTTException", 261)
    fake_ws.listener.settimeout(1.0)
    with pytest.raises(OSError):  # socket.timeout: no third connection
        fake_ws.listener.accept()


def test_automatic_reconnect_after_broker_restart(runtime, ws_broker, observer, mkparams):
    p = ws_params(ws_broker, mkparams)
    proc = runtime.start("""
    c = MQTTClient(CLIENT_ID, URL, keepalive=30)
    c.set_callback(on_msg)
    attempt("CONNECT", c.connect, False)
    c.set_reconnect(attempts=50, min_delay=0.1, max_delay=0.5,
                    on_reconnect=lambda sp: print("RECONNECTED", sp))
    print("READY")
    wait_go()
    # The broker went away meanwhile: the first operation notices and reconnects.
    attempt("SUB", c.subscribe, TOPIC, 1)
    c.publish(TOPIC, b"after restart", qos=1)
    poll(c, 1, 10000)
    c.disconnect()
    """, p)
    r = across_restart(proc, ws_broker)
    assert r.get("RECONNECTED") in ("0", "1")
    assert [m for _, m in r.msgs()] == [b"after restart"]
