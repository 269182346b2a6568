"""umqtt.aio, the asyncio client, on both runtimes against a real Mosquitto:

- round trips QoS 0/1/2 through messages() (and details=True), `async with`, the
  session-present flag, exceptions of the blocking client's classes and codes;
- 1,000 QoS 1 publishes from 100 tasks, all acknowledged and all delivered, with
  several in flight at once (pipelined up to the window);
- background keepalive: an idle client stays connected; a SIGSTOPped broker is
  detected within 1.5 x keepalive;
- cancellation: a cancelled QoS 1 publish is still delivered; a cancelled
  messages() loses nothing;
- back-pressure: a slow consumer with a queue of 4 gets every message;
- TLS with an SSLContext and with ssl_params; a wrong CA fails.

Connecting and reconnecting: test_aio_reconnect.py.
"""

import time

from harness import fakebroker as fb

AIO = """
import asyncio
from umqtt.aio import MQTTClient as AClient

def aclient(client_id=None, **kw):
    return AClient(client_id or CLIENT_ID, HOST, PORT, **kw)

async def aattempt(label, coro):
    try:
        r = await coro
    except Exception as e:
        print(label, exc_text(e))
        return None
    print(label, "OK", repr(r))
    return r
"""


def run_async(runtime, body, p, timeout=60):
    return runtime.run(prelude(body), p, timeout=timeout)


def prelude(body):
    # Indent the helpers like the body so build_script's dedent keeps both.
    lines = [ln for ln in body.strip("\n").splitlines() if ln.strip()]
    ind = min(len(ln) - len(ln.lstrip()) for ln in lines)
    pad = " " * ind
    helpers = "\n".join(pad + ln if ln else "" for ln in AIO.strip("\n").splitlines())
    return helpers + "\n" + body.strip("\n") + "\n" + pad + "asyncio.run(amain())\n"


def test_round_trips_qos_0_1_2(runtime, broker, mkparams):
    r = run_async(runtime, """
        async def amain():
            async with aclient(keepalive=30) as c:
                await c.subscribe(TOPIC + "/#", 2)
                for q in (0, 1, 2):
                    await aattempt("PUB%d" % q, c.publish(TOPIC + "/q%d" % q, "m%d" % q, qos=q))
                n = 0
                async for topic, msg, d in c.messages(details=True):
                    print("MSG", repr(topic), repr(msg), d.qos, d.retain, d.dup)
                    n += 1
                    if n == 3:
                        break
                print("UP", c.up.is_set(), c.down.is_set())
            print("DOWN", c.up.is_set(), c.down.is_set())
            c2 = aclient(CLIENT_ID + "-2")
            await aattempt("CLEAN0", c2.connect(False))
            await c2.disconnect()
            await aattempt("RESUMED", c2.connect(False))
            await c2.disconnect()
    """, mkparams(broker)).check()
    for q in (0, 1, 2):
        assert r.value("PUB%d" % q) is None
    got = [ln for ln in r.lines if ln.startswith("MSG ")]
    t = mkparams(broker)["TOPIC"]
    assert got == ["MSG %r %r %d False False" % ((t + "/q%d" % q).encode(), ("m%d" % q).encode(), q)
                   for q in (0, 1, 2)]
    assert r.get("UP") == "True False"
    assert r.get("DOWN") == "False True"
    assert r.value("CLEAN0") == 0
    assert r.value("RESUMED") == 1


def test_errors_are_the_blocking_clients(runtime, mosquitto, mkparams):
    b = mosquitto(users={"u": "right"})
    r = run_async(runtime, """
        async def amain():
            await aattempt("REFUSED", aclient(user="u", password="wrong").connect())
            c = aclient(user="u", password="right")
            await aattempt("QOS", c.publish(TOPIC, "x", qos=3))
            await aattempt("NOTCONN", c.publish(TOPIC, "x"))
            await c.connect()
            await aattempt("BADQOS", c.publish(TOPIC, "x", qos=3))
            await aattempt("BADTOPIC", c.publish(None, "x"))
            await c.disconnect()
            # An int port past 0..65535: the core's ValueError, not another port.
            await aattempt("BADPORT", AClient(CLIENT_ID, HOST, PORT + 65536).connect())
            # Timeouts: the blocking client's rule (TypeError, negative ValueError).
            await aattempt("NEGTIMEOUT", aclient().connect(timeout=-1))
            await aattempt("STRTIMEOUT", aclient().connect(timeout="1"))
            await aattempt("NEGREAUTH", c.reauthenticate(timeout=-1))
            attempt("BLOCKING_NEGTIMEOUT", MQTTClient(CLIENT_ID, HOST, PORT).connect, True, -1)
            # The constructor: the blocking client's checks.
            for label, args in (("CID_INT", (5, HOST, PORT)),
                                ("USER_INT", (CLIENT_ID, HOST, PORT, 5)),
                                ("KA_NEG", (CLIENT_ID, HOST, PORT, None, None, -1))):
                attempt("AIO_" + label, AClient, *args)
                attempt("BLK_" + label, MQTTClient, *args)
            # set_last_will(): the blocking client's checks, when it is called.
            for label, args in (("WILL_EMPTY", ("", "x")), ("WILL_QOS", ("w", "x", False, 3)),
                                ("WILL_MSG", ("w", None))):
                attempt("AIO_" + label, aclient().set_last_will, *args)
                attempt("BLK_" + label, MQTTClient(CLIENT_ID, HOST, PORT).set_last_will, *args)
            # Wrong types: the blocking client's TypeError texts.
            for label, args in (("RC_STR", ("3",)), ("RC_DELAY", (3, "1")),
                                ("RC_NONE", (None, None, 0.1))):
                attempt("AIO_" + label, aclient().set_reconnect, *args)
                attempt("BLK_" + label, MQTTClient(CLIENT_ID, HOST, PORT).set_reconnect, *args)
            await aattempt("AIO_PUB_QOS", aclient().publish(TOPIC, "x", False, "1"))
            attempt("BLK_PUB_QOS", MQTTClient(CLIENT_ID, HOST, PORT).publish, TOPIC, "x", False, "1")
        try:
            from umqtt.simple import MQTTClient as S
            S(CLIENT_ID, HOST, PORT, user="u", password="wrong").connect()
        except Exception as e:
            print("BLOCKING", exc_text(e))
    """, mkparams(b)).check()
    refused = r.exc("REFUSED")
    assert refused.name == "MQTTException" and refused.code == 5, refused
    assert r.get("REFUSED") == r.get("BLOCKING")
    assert r.exc("BADQOS").name == "ValueError"
    assert r.exc("BADTOPIC").name == "TypeError"
    assert r.get("BADPORT") == "EXC ValueError oserror=0 args=('port must be 0..65535',)", r
    assert r.get("NEGTIMEOUT") == r.get("NEGREAUTH") == r.get("BLOCKING_NEGTIMEOUT"), r
    assert r.exc("NEGTIMEOUT").name == "ValueError", r
    assert r.exc("STRTIMEOUT").name == "TypeError", r
    for label, name in (("WILL_EMPTY", "ValueError"), ("WILL_QOS", "ValueError"),
                        ("WILL_MSG", "TypeError"), ("CID_INT", "TypeError"),
                        ("USER_INT", "TypeError"), ("KA_NEG", "ValueError"),
                        ("RC_STR", "TypeError"), ("RC_DELAY", "TypeError"),
                        ("RC_NONE", "ValueError"),
                        ("PUB_QOS", "TypeError")):
        assert r.exc("AIO_" + label).name == name, (label, r)
        assert r.get("AIO_" + label) == r.get("BLK_" + label), (label, r)
    nc = r.exc("NOTCONN")
    assert nc.name == "MQTTException" and nc.code == 259, nc


def test_subscribe_list_one_suback(runtime, mosquitto, mkparams):
    """spec/PYAPI.md "umqtt.aio": subscribe() of a list of (filter, qos) pairs sends
    one SUBSCRIBE and returns every code without raising (a refused filter is 128 in
    the list), as the blocking client's; each filter delivers; bad items are
    TypeError; one SUBSCRIBE carries up to 16 filters (more: ValueError, the blocking
    client's too). On MQTT 5 the options apply to each filter."""
    b = mosquitto(deny_subscribe=["denied/#"])
    r = run_async(runtime, """
        async def amain():
            async with aclient() as c:
                await aattempt("LIST", c.subscribe([(TOPIC + "/a", 1), ("denied/x", 1),
                                                    (TOPIC + "/b", 2)]))
                await aattempt("ONE", c.subscribe([(TOPIC + "/c", 0)]))
                await aattempt("BADITEM", c.subscribe([TOPIC + "/d"]))
                await aattempt("BADQOS", c.subscribe([(TOPIC + "/d", 3)]))
                await aattempt("MANY", c.subscribe([(TOPIC + "/m%d" % i, 0) for i in range(17)]))
                for t, q in (("a", 1), ("b", 2), ("c", 0)):
                    await c.publish(TOPIC + "/" + t, t.upper(), qos=q)
                got = []
                async for topic, msg, d in c.messages(details=True):
                    got.append((topic, msg, d.qos))
                    if len(got) == 3:
                        break
                print("GOT", repr(sorted(got)))
            async with aclient(CLIENT_ID + "-5", protocol=5) as c:
                await aattempt("LIST5", c.subscribe([(TOPIC + "/e", 1), (TOPIC + "/f", 0)],
                                                    no_local=True))
                await c.publish(TOPIC + "/e", "own", qos=1)
                try:
                    await asyncio.wait_for(c.messages().__anext__(), 0.5)
                    print("OWN got")
                except asyncio.TimeoutError:
                    print("OWN none")
        from umqtt.simple import MQTTClient as S
        s = S(CLIENT_ID + "-blocking", HOST, PORT)
        s.set_callback(lambda t, m: None)
        s.connect()
        attempt("MANYBLOCKING", s.subscribe, [(TOPIC + "/m%d" % i, 0) for i in range(17)])
        attempt("SIXTEEN", s.subscribe, [(TOPIC + "/m%d" % i, 0) for i in range(16)])
        s.disconnect()
    """, mkparams(b)).check()
    t = mkparams(b)["TOPIC"].encode()
    assert r.value("LIST") == [1, 128, 2], r
    assert r.value("ONE") == [0], r
    assert r.exc("BADITEM").name == "TypeError", r
    assert r.exc("BADQOS").name == "ValueError", r
    assert r.exc("MANY").name == "ValueError", r
    assert r.get("MANY") == r.get("MANYBLOCKING"), r
    assert r.value("SIXTEEN") == [0] * 16, r
    assert r.get("GOT") == repr(sorted([(t + b"/a", b"A", 1), (t + b"/b", b"B", 2),
                                        (t + b"/c", b"C", 0)])), r
    assert r.value("LIST5") == [1, 0], r
    assert "OWN none" in r.lines, r


def test_1000_qos1_from_100_tasks_pipelined(runtime, broker, observer, mkparams):
    p = mkparams(broker)
    obs = observer(broker)
    obs.subscribe(p["TOPIC"], qos=1)
    r = run_async(runtime, """
        async def amain():
            c = aclient()
            await c.connect()
            state = {"acked": 0, "inflight": 0, "most": 0}
            async def pub(i):
                for j in range(10):
                    state["inflight"] += 1
                    state["most"] = max(state["most"], state["inflight"])
                    await c.publish(TOPIC, b"%d-%d" % (i, j), qos=1)
                    state["inflight"] -= 1
                    state["acked"] += 1
            t0 = ticks_ms()
            await asyncio.gather(*[pub(i) for i in range(100)])
            print("MS", ticks_diff(ticks_ms(), t0))
            print("ACKED", state["acked"])
            print("MOST", state["most"])
            await c.disconnect()
    """, p).check()
    assert r.get("ACKED") == "1000"
    # Many awaited at once (the window is 16 in flight on the wire).
    assert int(r.get("MOST")) > 16
    msgs = obs.wait_messages(1000, timeout=30)
    assert sorted(m.payload for m in msgs) == sorted(b"%d-%d" % (i, j) for i in range(100)
                                                     for j in range(10))
    print("[%s] 1000 QoS 1 from 100 tasks: %s ms" % (runtime.name, r.get("MS")))


def test_concurrent_large_qos0_publishers_wait_their_turn(runtime, fake_broker, mkparams):
    # 4 tasks publishing 64 KB QoS 0 messages in a loop to a broker that reads
    # nothing for a second (a small receive window): the socket fills, and each
    # publish waits its turn (on MicroPython for the task whose drain() is in
    # progress) instead of spinning without yielding or queueing without bound.
    # Every message arrives whole, DISCONNECT last.
    import socket
    fake_broker.listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    proc = runtime.start(prelude("""
        async def amain():
            c = aclient()
            await c.connect()
            big = b"x" * 65536
            async def writer(i):
                for j in range(40):
                    await c.publish(TOPIC, big)
                return j + 1
            print("SENT", sum(await asyncio.gather(*[writer(i) for i in range(4)])))
            await c.disconnect()
    """), mkparams(fake_broker))
    fake_broker.accept()
    fake_broker.expect(fb.CONNECT)
    fake_broker.send(fb.packet(fb.CONNACK, 0, b"\x00\x00"))
    time.sleep(1.0)  # the client's writes back up meanwhile
    published = 0
    while True:
        pkt = fake_broker.read_packet(timeout=30)
        if pkt.type != fb.PUBLISH:
            break
        assert len(pkt.body) > 65536, len(pkt.body)
        published += 1
    assert pkt.type == fb.DISCONNECT, pkt
    assert published == 160
    r = proc.wait(60).check()
    assert r.get("SENT") == "160"


def test_background_keepalive_and_dead_broker(runtime, broker, mkparams):
    """Keepalive 2 s: idle for 5 s the client stays (its own PINGREQs); then the broker
    is frozen and the client notices within 1.5 x keepalive (measured on its clock)."""
    p = mkparams(broker)
    proc = runtime.start(prelude("""
        async def amain():
            c = aclient(keepalive=2)
            await c.connect()
            await c.subscribe(TOPIC, 1)
            await asyncio.sleep(5)
            print("IDLE_UP", c.up.is_set())
            print("READY")
            sys.stdin.readline()
            t0 = ticks_ms()
            try:
                async for m in c.messages():
                    pass
            except Exception as e:
                print("ENDED", exc_text(e))
            print("DETECT_MS", ticks_diff(ticks_ms(), t0))
            print("DOWN", c.down.is_set())
    """), p)
    proc.expect("READY", timeout=30)
    with broker.frozen():
        proc.send()
        r = proc.wait(timeout=30).check()
    assert r.get("IDLE_UP") == "True"
    assert "exceeded timeout" not in broker.log()
    e = parse_ended(r)
    assert e.name == "MQTTException" and e.code == 257, e
    assert int(r.get("DETECT_MS")) <= 3000, r
    assert r.get("DOWN") == "True"


def test_disconnect_ends_waiting_requests(runtime, broker, mkparams):
    """Requests waiting for an acknowledgement that cannot come (the broker frozen)
    when disconnect() is called raise the core's OSError(-1, "connection closed by
    disconnect()") (spec/PYAPI.md "umqtt.aio"), and disconnect() returns."""
    p = mkparams(broker)
    proc = runtime.start(prelude("""
        async def amain():
            c = aclient()
            await c.connect()
            print("READY")
            sys.stdin.readline()
            waiting = [asyncio.create_task(aattempt("SUB", c.subscribe(TOPIC, 1))),
                       asyncio.create_task(aattempt("PUB", c.publish(TOPIC, b"x", qos=1))),
                       asyncio.create_task(aattempt("UNSUB", c.unsubscribe(TOPIC + "/u")))]
            await asyncio.sleep(0.5)
            await c.disconnect()
            for t in waiting:
                await t
            print("DOWN", c.down.is_set())
    """), p)
    proc.expect("READY", timeout=30)
    with broker.frozen():
        proc.send()
        r = proc.wait(timeout=30).check()
    from harness.runtimes import parse_exc
    for label in ("SUB", "PUB", "UNSUB"):
        e = parse_exc(r.get(label))
        assert e.oserror and e.code == -1, (label, e)
        assert "connection closed by disconnect()" in str(e.args), (label, e)
    assert r.get("DOWN") == "True"


def parse_ended(r):
    from harness.runtimes import parse_exc
    return parse_exc(r.get("ENDED"))


def test_cancellation_keeps_session_and_stream(runtime, broker, observer, mkparams):
    p = mkparams(broker)
    obs = observer(broker)
    obs.subscribe(p["TOPIC"] + "/out", qos=1)
    r = run_async(runtime, """
        async def amain():
            c = aclient()
            await c.connect()
            await c.subscribe(TOPIC + "/in", 1)
            # Cancelled while waiting for its PUBACK: still delivered.
            t = asyncio.create_task(c.publish(TOPIC + "/out", "cancelled", qos=1))
            await asyncio.sleep(0)
            t.cancel()
            try:
                await t
            except asyncio.CancelledError:
                print("CANCELLED")
            # A consumer cancelled while waiting loses nothing.
            async def first():
                async for topic, msg in c.messages():
                    return msg
            t = asyncio.create_task(first())
            await asyncio.sleep(0.2)
            t.cancel()
            try:
                await t
            except asyncio.CancelledError:
                pass
            await c.publish(TOPIC + "/in", "after", qos=1)
            print("GOT", repr(await first()))
            await c.publish(TOPIC + "/out", "next", qos=1)
            await c.disconnect()
    """, p).check()
    assert "CANCELLED" in r.lines
    assert r.get("GOT") == repr(b"after")
    assert sorted(m.payload for m in obs.wait_messages(2, timeout=10)) == [b"cancelled", b"next"]


def test_slow_consumer_back_pressure(runtime, mosquitto, observer, mkparams):
    """queue_size=4, a consumer far slower than the publisher (1,500 QoS 1 messages of
    1,000 B, 1.5 MB): every message arrives, in order, the queue never holds more than
    4, and the client's memory stays flat (it stops reading the socket: the messages
    wait at the broker and in TCP buffers, not in the client). Measured from before
    the first message to the middle of the stream, when an unbounded client would
    hold all of them: MicroPython heap (gc.mem_alloc), CPython resident set (the Rust
    buffers are outside tracemalloc)."""
    n = 1500
    # Mosquitto drops messages for a slow subscriber past its queue (1000 by default).
    broker = mosquitto(extra="max_queued_messages 100000")
    p = mkparams(broker, N=n)
    proc = runtime.start(prelude("""
        def mem():
            if RUNTIME == "micropython":
                import gc
                gc.collect()
                return gc.mem_alloc()
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * 4096
        async def amain():
            c = aclient(queue_size=4)
            await c.connect()
            await c.subscribe(TOPIC, 1)
            base = mem()
            print("READY")
            got = []
            most = 0
            grew = 0
            async for topic, msg in c.messages():
                most = max(most, len(c._q))
                got.append(int(msg[:8]))
                await asyncio.sleep(0.004)
                if len(got) == N // 2:
                    grew = mem() - base
                if len(got) == N:
                    break
            print("ORDER", got == list(range(N)))
            print("MOST", most)
            print("GREW", grew)
            await c.disconnect()
    """), p)
    proc.expect("READY", timeout=30)
    obs = observer(broker)
    for i in range(n):
        obs.publish(p["TOPIC"], b"%08d" % i + b"x" * 992, qos=1)
    r = proc.wait(timeout=90).check()
    assert r.get("ORDER") == "True"
    assert int(r.get("MOST")) <= 4
    grew = int(r.get("GREW"))
    print("[%s] memory growth while 750 of 1.5 MB were held back: %d B" % (runtime.name, grew))
    assert grew < (256 * 1024 if runtime.name == "micropython" else 1024 * 1024), grew


def test_tls(runtime, mosquitto, certs, observer, mkparams):
    """TLS through the runtime's asyncio streams: an SSLContext, ssl=True with
    ssl_params (as each runtime's blocking client takes them), and a wrong CA."""
    from test_tls import SSL_SETUP
    b = mosquitto(certs=certs)
    p = mkparams(b, TLS_PORT=b.tls_port, CA_PEM=str(certs.ca_pem), CA_DER=str(certs.ca_der),
                 WRONG_PEM=str(certs.wrong_ca_pem), WRONG_DER=str(certs.wrong_ca_der))
    obs = observer(b)
    obs.subscribe(p["TOPIC"], 1)
    r = run_async(runtime, SSL_SETUP + """
    async def amain():
        c = AClient(CLIENT_ID, HOST, TLS_PORT, ssl=tls_context(CA_PEM, CA_DER))
        await aattempt("CONTEXT", c.connect())
        await c.publish(TOPIC, "context", qos=1)
        await c.disconnect()
        c = AClient(CLIENT_ID, HOST, TLS_PORT, ssl=True, ssl_params=tls_params(CA_PEM, CA_DER))
        await aattempt("PARAMS", c.connect())
        await c.publish(TOPIC, "params", qos=1)
        await c.disconnect()
        c = AClient(CLIENT_ID, HOST, TLS_PORT, ssl=tls_context(WRONG_PEM, WRONG_DER))
        await aattempt("WRONG", c.connect())
    """, p).check()
    assert r.value("CONTEXT") == 0
    assert r.value("PARAMS") == 0
    assert r.get("WRONG").startswith("EXC "), r
    assert sorted(m.payload for m in obs.wait_messages(2)) == [b"context", b"params"]
