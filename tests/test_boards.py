"""The MicroPython module on real board machine code: the umqtt/simple.mpy a user
copies to a board, run by the QEMU test firmware (boards/) of each CPU, against
a Mosquitto (or fake broker) on the loopback interface through the board's
UART link. Only the public umqtt.simple API is used.

A missing QEMU, firmware or .mpy fails these tests; scripts/test.sh builds them."""

import textwrap

import pytest

from harness import fakebroker as fb
from harness.boards import TARGETS, BoardRuntime, unavailable_reason


@pytest.fixture(params=TARGETS, ids=["%s-%s" % t for t in TARGETS])
def board(request, tmp_path):
    b, arch = request.param
    why = unavailable_reason(b, arch)
    if why:
        pytest.fail(why, pytrace=False)
    rt = BoardRuntime(b, arch, tmp_path)
    yield rt
    rt.cleanup()


def test_session_user_password_qos012_both_ways_retained(board, mosquitto, observer, mkparams):
    b = mosquitto(users={"dev": "s3cret"})
    p = mkparams(b)
    obs = observer(b, username="dev", password="s3cret")
    obs.subscribe(p["TOPIC"] + "/up/#", qos=2)
    obs.publish(p["TOPIC"] + "/down/kept", b"retained", qos=1, retain=True)
    proc = board.start("""
        c = new_client(user="dev", password="s3cret", keepalive=30)
        c.set_callback(on_msg)
        attempt("connect", c.connect)
        attempt("sub", c.subscribe, TOPIC + "/down/#", 2)
        poll(c, 1)
        for q in (0, 1, 2):
            attempt("pub%d" % q, c.publish, TOPIC + "/up/%d" % q, b"board q%d" % q, False, q)
        print("READY")
        poll(c, 4)
        attempt("ping", c.ping)
        attempt("disconnect", c.disconnect)
    """, p)
    proc.expect("READY", timeout=60)
    for q in (0, 1, 2):
        obs.publish(p["TOPIC"] + "/down/%d" % q, b"host q%d" % q, qos=q)
    r = proc.wait(60).check()
    assert r.value("connect") == 0
    assert r.value("sub") == 2
    for q in (0, 1, 2):
        assert r.value("pub%d" % q) is None
    t = p["TOPIC"].encode()
    assert r.msgs() == [(t + b"/down/kept", b"retained")] + [
        (t + b"/down/%d" % q, b"host q%d" % q) for q in (0, 1, 2)]
    got = obs.wait_messages(3, timeout=20)
    assert sorted((m.topic, m.payload, m.qos) for m in got) == [
        (p["TOPIC"] + "/up/%d" % q, b"board q%d" % q, q) for q in (0, 1, 2)]
    assert r.value("ping") is None and r.value("disconnect") is None


def test_bad_password_is_refused(board, mosquitto, mkparams):
    b = mosquitto(users={"dev": "s3cret"})
    r = board.run("""
        c = new_client(user="dev", password="wrong")
        e = attempt("connect", c.connect)
    """, mkparams(b)).check()
    e = r.exc("connect")
    assert e.name == "MQTTException" and e.code == 5


def test_last_will_when_board_dies(board, broker, observer, mkparams):
    p = mkparams(broker)
    obs = observer(broker)
    obs.subscribe(p["TOPIC"] + "/will", qos=1)
    proc = board.start("""
        c = new_client(keepalive=30)
        c.set_last_will(TOPIC + "/will", b"board gone", False, 1)
        attempt("connect", c.connect)
        wait_go("READY")
    """, p)
    proc.expect("READY", timeout=60)
    obs.wait_messages(1, timeout=1)
    assert obs.messages == []
    proc.kill()  # the board loses power: the link and its TCP connection drop
    got = obs.wait_messages(1, timeout=20)
    assert [(m.topic, m.payload, m.qos) for m in got] == [
        (p["TOPIC"] + "/will", b"board gone", 1)]


def test_keepalive_auto_ping(board, broker, observer, mkparams):
    # keepalive 2 s: Mosquitto drops a client silent for 3 s. The board only
    # calls check_msg for 7 s of its own clock; the module must ping by itself.
    p = mkparams(broker)
    obs = observer(broker)
    proc = board.start("""
        c = new_client(keepalive=2)
        c.set_callback(on_msg)
        attempt("connect", c.connect)
        attempt("sub", c.subscribe, TOPIC, 1)
        t0 = ticks_ms()
        while ticks_diff(ticks_ms(), t0) < 7000:
            c.check_msg()
            time.sleep(0.05)
        print("READY")
        poll(c, 1, 20000)
        attempt("pub", c.publish, TOPIC + "/alive", b"still here", False, 1)
    """, p)
    obs.subscribe(p["TOPIC"] + "/alive", qos=1)
    proc.expect("READY", timeout=90)
    obs.publish(p["TOPIC"], b"after the pause", qos=1)
    r = proc.wait(60).check()
    assert r.msgs() == [(p["TOPIC"].encode(), b"after the pause")]
    assert r.value("pub") is None
    assert [m.payload for m in obs.wait_messages(1, timeout=20)] == [b"still here"]
    client = p["CLIENT_ID"]
    assert broker.log_count("Received PINGREQ from %s" % client) >= 2, broker.log()[-3000:]
    assert "Client %s has exceeded timeout" % client not in broker.log()


def test_subscribe_refused(board, mosquitto, mkparams):
    b = mosquitto(deny_subscribe=["denied/#"])
    r = board.run("""
        c = new_client()
        c.set_callback(on_msg)
        attempt("connect", c.connect)
        attempt("refused", c.subscribe, "denied/x", 1)
        attempt("granted", c.subscribe, TOPIC, 1)
    """, mkparams(b)).check()
    e = r.exc("refused")
    assert e.name == "MQTTException" and e.code == 0x80
    assert r.value("granted") == 1


def test_protocol_error_from_fake_broker(board, fake_broker, mkparams):
    proc = board.start("""
        c = new_client()
        attempt("connect", c.connect)
    """, mkparams(fake_broker))
    fake_broker.accept(timeout=60)
    fake_broker.expect(fb.CONNECT, timeout=30)
    # A CONNACK must be 2 bytes long (MQTT-3.2.2): this one is 3.
    fake_broker.send(fb.packet(fb.CONNACK, 0, b"\x00\x00\x00"))
    r = proc.wait(60).check()
    e = r.exc("connect")
    assert e.name == "MQTTException" and e.code == 256, e
    assert fake_broker.closed_by_client(timeout=20)


def test_reconnect_after_broker_restart(board, mosquitto, observer, mkparams):
    b = mosquitto()
    p = mkparams(b)
    proc = board.start("""
        c = new_client(keepalive=4)
        c.set_callback(on_msg)
        c.set_reconnect(attempts=0, min_delay=0.2, max_delay=1.0,
                        on_reconnect=lambda sp: print("RECONNECTED", sp))
        attempt("connect", c.connect, False)
        attempt("sub", c.subscribe, TOPIC, 1)
        print("READY")
        while len(MSGS) < 2:
            c.wait_msg()
    """, p)
    proc.expect("READY", timeout=60)
    obs = observer(b)
    obs.publish(p["TOPIC"], b"before", qos=1)
    proc.expect("MSG", timeout=30)
    obs.close()
    b.restart()
    line = proc.expect("RECONNECTED", timeout=60)
    assert line == "RECONNECTED 0"  # no persistence: the broker lost the session
    observer(b).publish(p["TOPIC"], b"after", qos=1)
    r = proc.wait(60).check()
    assert r.msgs() == [(p["TOPIC"].encode(), b"before"), (p["TOPIC"].encode(), b"after")]


def test_cortex_m3_refuses_armv7emsp_module(tmp_path):
    # The loader checks the .mpy's architecture against the CPU's: the Cortex-M4F
    # build (FPU instructions) must not load on a Cortex-M3.
    why = unavailable_reason("mps2-an385", "armv7emsp")
    if why:
        pytest.fail(why, pytrace=False)
    rt = BoardRuntime("mps2-an385", "armv7emsp", tmp_path)
    try:
        r = rt.run("""
            print("unreachable")
        """, {}, timeout=60)
    finally:
        rt.cleanup()
    assert r.rc != 0 and "unreachable" not in r.lines
    assert "ValueError: incompatible .mpy arch" in r.stdout, r


# The firmware has no asyncio (boards/README.md), so a script drives the sans-IO
# connection the way aio.py does, synchronously: bytes from out() to the socket,
# bytes from the socket into feed(), events out. until(kind, key) runs events until
# one of kind (with ev[1] == key), keeping the messages in got.
CONN_DRIVER = """
import socket
from umqtt import %s as n

class Conn:
    def __init__(self):
        self._e = n._Engine(%d)

for k in ("connect", "publish", "subscribe", "disconnect", "out", "feed", "event",
          "connack_properties", "ws_open"):
    f = getattr(n, k, None)
    if f is not None:
        setattr(Conn, k, f)

c = Conn()
s = socket.socket()
s.settimeout(20)
s.connect(socket.getaddrinfo(HOST, PORT)[0][-1])
got = []

def flush():
    d = c.out()
    while d is not None:
        s.write(d)
        d = c.out()

def until(kind, key=None):
    while True:
        ev = c.event()
        if ev is None:
            flush()
            data = s.recv(512)
            if not data:
                raise OSError("closed")
            while data:
                data = data[c.feed(data):]
            continue
        if ev[0] == 2:
            got.append(ev)
            print("MSG", repr(ev[1]), repr(ev[2]))
        if ev[0] == kind and (key is None or ev[1] == key):
            return ev
"""


def conn_script(module, protocol, body):
    return CONN_DRIVER % (module, protocol) + textwrap.dedent(body)


def test_sans_io_conn_module_round_trips(board, mosquitto, observer, mkparams):
    # umqtt/_conn.mpy (the core's sans-IO connection that umqtt.aio drives) on the
    # board's machine code, driven by CONN_DRIVER.
    b = mosquitto()
    p = mkparams(b)
    obs = observer(b)
    obs.subscribe(p["TOPIC"] + "/up/#", qos=2)
    obs.subscribe(p["TOPIC"] + "/will", qos=1)
    proc = board.start(conn_script("_conn", 4, """
        c.connect(CLIENT_ID, None, None, 30, True, (TOPIC + "/will", b"conn gone", 1, False))
        print("connack", until(1)[1])
        pid = c.subscribe(TOPIC + "/down/#", 2)
        ev = until(4, pid)
        print("granted", ev[3], ev[2])
        for q in (0, 1, 2):
            pid = c.publish(TOPIC + "/up/%d" % q, b"conn q%d" % q, q, False)
            if q:
                until(3, pid)
            print("published", q, pid)
        flush()
        print("READY")
        while len(got) < 3:
            until(2)
        flush()
        # Gone without DISCONNECT: the broker publishes the will.
        s.close()
    """), p, extra=[board.mpy_file("_conn.mpy"), board.mpy_file("_exc.mpy")])
    proc.expect("READY", timeout=60)
    for q in (0, 1, 2):
        obs.publish(p["TOPIC"] + "/down/%d" % q, b"host q%d" % q, qos=q)
    r = proc.wait(60).check()
    assert "connack False" in r.lines and "granted 2 None" in r.lines, r
    t = p["TOPIC"].encode()
    assert r.msgs() == [(t + b"/down/%d" % q, b"host q%d" % q) for q in (0, 1, 2)]
    got = obs.wait_messages(4, timeout=20)
    assert sorted((m.topic, m.payload, m.qos) for m in got) == sorted(
        [(p["TOPIC"] + "/up/%d" % q, b"conn q%d" % q, q) for q in (0, 1, 2)]
        + [(p["TOPIC"] + "/will", b"conn gone", 1)])


def test_sans_io_conn5_module_mqtt5(board, mosquitto, mkparams):
    # umqtt/_conn5.mpy (the MQTT 5 build of the same connection, what umqtt.aio loads
    # for protocol=5) on the board's machine code, driven synchronously as above:
    # CONNECT properties, the CONNACK's properties, a subscription identifier, a
    # QoS 1 publish with user properties coming back with them and reason code 0.
    b = mosquitto()
    p = mkparams(b)
    proc = board.start(conn_script("_conn5", 5, """
        c.connect(CLIENT_ID, None, None, 30, True, None, {"session_expiry_interval": 10})
        print("connack", until(1)[1])
        print("receive_maximum", c.connack_properties().get("receive_maximum"))
        pid = c.subscribe(TOPIC, 1, False, False, 0, {"subscription_identifier": 5})
        ev = until(4, pid)
        print("granted", ev[3], ev[2])
        pid = c.publish(TOPIC, b"five", 1, False, {"user_property": [("k", "v")]})
        ev = until(3, pid)
        print("puback", ev[3], ev[2])
        ev = got[0] if got else until(2)
        print("message", ev[2], sorted(ev[4].items()))
        c.disconnect(0, {"reason_string": "bye"})
        flush()
        s.close()
    """), p, extra=[board.mpy_file(f) for f in ("_conn.mpy", "_conn5.mpy", "_exc.mpy")])
    r = proc.wait(60).check()
    assert "connack False" in r.lines, r
    assert "receive_maximum 20" in r.lines, r  # Mosquitto 2.0's default
    assert "granted 1 None" in r.lines and "puback 0 None" in r.lines, r
    assert ("message b'five' [('subscription_identifier', [5]), ('user_property', [('k', 'v')])]"
            in r.lines), r


def test_sans_io_connws_module_over_websockets(board, ws_broker, mkparams):
    # umqtt/_connws.mpy (what umqtt.aio loads for a WebSocket connection: the core's
    # connection::Transport over ws::Layer) on the board's machine code, against
    # Mosquitto's WebSocket listener: the upgrade, masked frames both ways, a QoS 1
    # round trip, DISCONNECT then the close frame.
    b = ws_broker
    p = mkparams(b, PORT=b.ws_port)
    proc = board.start(conn_script("_connws", 4, """
        c.connect(CLIENT_ID, None, None, 30, True)
        c.ws_open((HOST, PORT, False, "/mqtt"), (("X-Board", "yes"),), b"n" * 16, b"s" * 16)
        print("connack", until(1)[1])
        pid = c.subscribe(TOPIC, 1)
        print("granted", until(4, pid)[3])
        pid = c.publish(TOPIC, b"over ws", 1, False)
        until(3, pid)
        ev = got[0] if got else until(2)
        print("message", ev[2])
        c.disconnect()
        flush()
        s.close()
    """), p, extra=[board.mpy_file("_connws.mpy"), board.mpy_file("_exc.mpy")])
    r = proc.wait(60).check()
    assert "connack False" in r.lines and "granted 1" in r.lines, r
    assert "message b'over ws'" in r.lines, r
