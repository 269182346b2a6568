"""umqtt.aio over WebSockets (spec/PYAPI.md "umqtt.aio"), on both runtimes: the
blocking client's transport="websockets", ws_path=, ws_headers= and ws:// / wss:// URLs,
driven through the core's sans-IO ws::Layer (umqtt/_aio_ws.py wraps the asyncio streams).

- QoS 0/1/2 round trips over ws:// against Mosquitto's websockets listener and aedes,
  and over wss:// with the test CA;
- the fake WebSocket broker (harness/fake_ws.py) for what a real broker never sends:
  the path and headers it saw, pings answered between fragments of MQTT packets, a
  refused or botched handshake (MQTTException 261), a masked frame (256), a close frame
  (OSError -1 "... websocket close 1001", replied with the same code), and disconnect():
  DISCONNECT, then our close frame (1000), also while other tasks publish;
- the arguments: ports, ValueErrors, as the blocking client.
"""

import struct

from harness.fake_ws import BINARY, CLOSE, PING, frame
from harness.fakebroker import CONNECT, DISCONNECT, PUBLISH, SUBSCRIBE, connack, publish, suback
from test_aio import run_async
from test_websockets import connect_fake

ROUND_TRIP = """
    async def amain():
        c = AClient(CLIENT_ID, SERVER, PORT_ARG, keepalive=30, **KW)
        print("PORT", c.port)
        await aattempt("CONNECT", c.connect())
        await c.subscribe(TOPIC + "/#", 2)
        for q in (0, 1, 2):
            await aattempt("PUB%d" % q, c.publish(TOPIC + "/q%d" % q, "ws %d" % q, qos=q))
        n = 0
        async for topic, msg, d in c.messages(details=True):
            print("MSG", repr(topic), repr(msg), d.qos)
            n += 1
            if n == 3:
                break
        await c.disconnect()
        print("DOWN", c.down.is_set())
"""


def check_round_trip(r, p, port):
    r.check()
    assert r.get("PORT") == str(port)
    assert r.value("CONNECT") == 0
    for q in (0, 1, 2):
        assert r.value("PUB%d" % q) is None
    got = [ln for ln in r.lines if ln.startswith("MSG ")]
    t = p["TOPIC"]
    assert got == ["MSG %r %r %d" % ((t + "/q%d" % q).encode(), ("ws %d" % q).encode(), q)
                   for q in (0, 1, 2)]
    assert r.get("DOWN") == "True"


def test_round_trips_qos_0_1_2_mosquitto(runtime, ws_broker, mkparams):
    b = ws_broker
    p = mkparams(b, SERVER=b.host, PORT_ARG=b.ws_port, KW={"transport": "websockets",
                                                           "ws_path": "/mqtt"})
    check_round_trip(run_async(runtime, ROUND_TRIP, p), p, b.ws_port)


def test_round_trips_qos_0_1_2_aedes_url(runtime, ws_aedes, mkparams):
    b = ws_aedes()
    p = mkparams(b, SERVER=b.url(), PORT_ARG=0, KW={})
    check_round_trip(run_async(runtime, ROUND_TRIP, p), p, b.ws_port)


def test_wss_url_with_the_test_ca(runtime, ws_mosquitto, certs, observer, mkparams):
    b = ws_mosquitto(certs=certs)
    p = mkparams(b, URL=b.url(tls=True).replace("127.0.0.1", "localhost"),
                 CA_PEM=str(certs.ca_pem), CA_DER=str(certs.ca_der))
    obs = observer(b)
    obs.subscribe(p["TOPIC"], 1)
    r = run_async(runtime, """
        import ssl
        async def amain():
            if RUNTIME == "micropython":
                params = {"cert_reqs": ssl.CERT_REQUIRED, "cadata": open(CA_DER, "rb").read(),
                          "server_hostname": "localhost"}
            else:
                params = {"ca_certs": CA_PEM}
            c = AClient(CLIENT_ID, URL, ssl_params=params)
            print("PORT", c.port)
            await aattempt("CONNECT", c.connect())
            await aattempt("PUB", c.publish(TOPIC, "over wss", qos=1))
            await c.disconnect()
    """, p).check()
    assert r.get("PORT") == str(b.wss_port)
    assert r.value("CONNECT") == 0
    assert [m.payload for m in obs.wait_messages(1)] == [b"over wss"]


def test_arguments(runtime):
    r = run_async(runtime, """
        async def amain():
            print("WSPORT", AClient("c", "example.invalid", transport="websockets").port)
            print("WSSPORT", AClient("c", "example.invalid", transport="websockets",
                                     ssl=True).port)
            print("URLPORT", AClient("c", "wss://example.invalid/x").port)
            print("URLPORT2", AClient("c", "ws://example.invalid:9001").port)
            print("TCPPORT", AClient("c", "example.invalid").port)
            for label, kw in (("BADTRANSPORT", {"server": "h", "transport": "udp"}),
                              ("BADURL", {"server": "ws://:80/x"})):
                try:
                    AClient("c", **kw)
                    print(label, "OK")
                except Exception as e:
                    print(label, exc_text(e))
            c = AClient("c", "127.0.0.1", 9, transport="websockets", ws_path="no-slash")
            await aattempt("BADPATH", c.connect())
            c = AClient("c", "127.0.0.1", 9, transport="websockets",
                        ws_headers={"Upgrade": "h2c"})
            await aattempt("BADHEADER", c.connect())
    """, {}).check()
    assert [r.get(k) for k in ("WSPORT", "WSSPORT", "URLPORT", "URLPORT2", "TCPPORT")] == [
        "80", "443", "443", "9001", "1883"]
    for k in ("BADTRANSPORT", "BADURL", "BADPATH", "BADHEADER"):
        assert r.exc(k).name == "ValueError", (k, r.get(k))


def start_script(runtime, body, p):
    from test_aio import prelude
    return runtime.start(prelude(body), p)


def test_path_headers_pings_and_split_packets(runtime, fake_ws, mkparams):
    p = mkparams(fake_ws, URL=fake_ws.url(path="/custom?x=1"))
    proc = start_script(runtime, """
        async def amain():
            c = AClient(CLIENT_ID, URL, ws_headers={"Authorization": "Bearer t0k"})
            await aattempt("CONNECT", c.connect())
            await aattempt("SUB", c.subscribe(TOPIC, 1))
            n = 0
            async for topic, msg in c.messages():
                print("MSG", repr(msg))
                n += 1
                if n == 2:
                    break
            await c.disconnect()
    """, p)
    fake_ws.accept()
    assert fake_ws.path == "/custom?x=1"
    assert fake_ws.headers["authorization"] == b"Bearer t0k"
    assert fake_ws.headers["sec-websocket-protocol"] == b"mqtt"
    assert fake_ws.read_packet().type == CONNECT
    fake_ws.send(connack())
    sub = fake_ws.expect(SUBSCRIBE)
    t = p["TOPIC"].encode()
    data = suback(sub.pid, 1) + publish(t, b"one") + publish(t, b"two")
    fake_ws.send_fragments(data, [3, 9, len(data) - 2], between=frame(PING, b"hi"))
    assert fake_ws.expect(DISCONNECT).type == DISCONNECT
    r = proc.wait().check()
    assert r.value("SUB") == 1
    assert [ln for ln in r.lines if ln.startswith("MSG")] == ["MSG b'one'", "MSG b'two'"]
    # Pings that arrive in one read may get one pong (the last's, RFC 6455 5.5.3).
    pongs = [pl for op, pl in fake_ws.client_frames if op == 0xA]
    assert 1 <= len(pongs) <= 3 and set(pongs) == {b"hi"}
    assert fake_ws.unmasked_frames == 0


def test_refused_handshake_is_261(runtime, fake_ws, mkparams):
    p = mkparams(fake_ws, URL=fake_ws.url())
    proc = start_script(runtime, """
        async def amain():
            c = AClient(CLIENT_ID, URL)
            await aattempt("FORBIDDEN", c.connect())
            await aattempt("BADKEY", c.connect())
            await aattempt("AFTER", c.publish(TOPIC, "x"))
    """, p)
    fake_ws.accept(answer=lambda key: b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
    assert fake_ws.closed_by_client()
    fake_ws._raw = b""
    fake_ws.accept(answer=lambda key: (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n"
        b"Sec-WebSocket-Protocol: mqtt\r\n\r\n"))
    r = proc.wait().check()
    for k in ("FORBIDDEN", "BADKEY"):
        e = r.exc(k)
        assert (e.name, e.code) == ("MQTTException", 261), (k, e)
    assert "Sec-WebSocket-Accept" in r.exc("BADKEY").args[1]
    assert r.exc("AFTER").code == 259


def test_server_closing_during_the_handshake(runtime, fake_ws, mkparams):
    """A server that closes the connection instead of answering the upgrade: the
    blocking client's OSError of a closed connection (the core's), from both."""
    p = mkparams(fake_ws, URL=fake_ws.url())
    proc = start_script(runtime, """
        async def amain():
            await aattempt("AIO", AClient(CLIENT_ID, URL).connect())
            attempt("BLOCKING", MQTTClient(CLIENT_ID, URL).connect)
    """, p)
    for _ in range(2):
        fake_ws.accept(answer=lambda key: b"")
        fake_ws.conn.close()
        fake_ws._raw = b""
    r = proc.wait().check()
    assert r.exc("AIO").name == "OSError", r.get("AIO")
    assert r.get("AIO") == r.get("BLOCKING"), r


MESSAGES = """
    async def amain():
        c = AClient(CLIENT_ID, URL, keepalive=60)
        await aattempt("CONNECT", c.connect())
        print("READY")
        async def consume():
            async for topic, msg in c.messages():
                print("MSG", repr(msg))
        await aattempt("MESSAGES", consume())
        await aattempt("AFTER", c.publish(TOPIC, "x"))
"""


def test_server_close_frame(runtime, fake_ws, mkparams):
    p = mkparams(fake_ws, URL=fake_ws.url())
    proc = start_script(runtime, MESSAGES, p)
    connect_fake(proc, fake_ws)
    # A message and the close in one write: the message is delivered first.
    fake_ws.send_raw(frame(BINARY, publish(b"t", b"last words"))
                     + frame(CLOSE, struct.pack("!H", 1001)))
    r = proc.wait().check()
    assert [ln for ln in r.lines if ln.startswith("MSG")] == ["MSG b'last words'"]
    e = r.exc("MESSAGES")
    assert e.oserror and e.code == -1 and "websocket close 1001" in str(e.args), e
    # Reconnect off: the operations after it raise the failure too.
    assert r.get("AFTER") == r.get("MESSAGES")
    # The close was answered with the same code.
    fake_ws.closed_by_client()
    assert (CLOSE, struct.pack("!H", 1001)) in fake_ws.client_frames


def test_masked_server_frame_is_256(runtime, fake_ws, mkparams):
    p = mkparams(fake_ws, URL=fake_ws.url())
    proc = start_script(runtime, MESSAGES, p)
    connect_fake(proc, fake_ws)
    fake_ws.send_raw(frame(BINARY, publish(b"t", b"m"), mask=b"\1\2\3\4"))
    r = proc.wait().check()
    e = r.exc("MESSAGES")
    assert (e.name, e.code) == ("MQTTException", 256), e
    assert fake_ws.closed_by_client()


def test_disconnect_sends_disconnect_then_close_1000(runtime, fake_ws, mkparams):
    # Other tasks keep publishing QoS 0 while disconnect() runs: the DISCONNECT still
    # goes out whole (MicroPython: one drain at a time), then the close frame.
    p = mkparams(fake_ws, URL=fake_ws.url())
    proc = start_script(runtime, """
        async def amain():
            c = AClient(CLIENT_ID, URL)
            await aattempt("CONNECT", c.connect())
            print("READY")
            async def spam(i):
                try:
                    while True:
                        await c.publish(TOPIC, "m" * 200)
                        await asyncio.sleep(0)
                except Exception as e:
                    pass
            tasks = [asyncio.create_task(spam(i)) for i in range(3)]
            await asyncio.sleep(0.2)
            await c.disconnect()
            print("DISCONNECTED")
            await asyncio.sleep(0.1)
            for t in tasks:
                t.cancel()
    """, p)
    connect_fake(proc, fake_ws)
    while True:
        pkt = fake_ws.read_packet()
        if pkt.type != PUBLISH:
            break
    assert pkt.type == DISCONNECT
    assert fake_ws.closed_by_client()
    assert (CLOSE, struct.pack("!H", 1000)) in fake_ws.client_frames
    r = proc.wait().check()
    assert r.value("CONNECT") == 0
    assert "DISCONNECTED" in r.lines


def test_keepalive_and_reconnect_across_a_broker_restart(runtime, ws_broker, observer,
                                                         mkparams):
    # Keepalive 1 s and idle for 2.5 s: Mosquitto drops a client silent for 1.5 s, so
    # the publish after it only arrives if PINGREQ/PINGRESP crossed the WebSocket. Then
    # the broker restarts: the background reconnect opens a new WebSocket.
    b = ws_broker
    p = mkparams(b, URL=b.url())
    obs = observer(b)
    obs.subscribe(p["TOPIC"], 1)
    proc = start_script(runtime, """
        async def amain():
            c = AClient(CLIENT_ID, URL, keepalive=1)
            c.set_reconnect(attempts=100, min_delay=0.1, max_delay=0.3,
                            on_reconnect=lambda sp: print("RECONNECTED", sp))
            await aattempt("CONNECT", c.connect(False))
            await asyncio.sleep(2.5)
            await aattempt("ALIVE", c.publish(TOPIC, "still here", qos=1))
            print("READY")
            while c.up.is_set():
                await asyncio.sleep(0.05)
            await c.up.wait()
            await aattempt("AFTER", c.publish(TOPIC, "after restart", qos=1))
            await c.disconnect()
    """, p)
    proc.expect("READY")
    assert [m.payload for m in obs.wait_messages(1)] == [b"still here"]
    b.restart()
    r = proc.wait(timeout=60).check()
    assert r.value("CONNECT") == 0
    assert r.value("ALIVE") is None and r.value("AFTER") is None
    assert r.get("RECONNECTED") in ("0", "1")
