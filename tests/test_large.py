"""Sizes umqtt.simple gets wrong or cannot do: topics over 1,000 bytes and 1 MB payloads,
both directions."""

LONG_TOPIC_LEN = 1200
MB = 1024 * 1024


def test_long_topic_both_ways(runtime, broker, observer, mkparams, ids):
    long_topic = ids.topic("long/") + "x" * (LONG_TOPIC_LEN - len(ids.topic("long/")))
    assert len(long_topic) == LONG_TOPIC_LEN
    p = mkparams(broker, LONG=long_topic)
    obs = observer(broker)
    obs.subscribe(long_topic + "/out", 1)
    proc = runtime.start("""
        c = new_client()
        c.set_callback(on_msg)
        c.connect()
        c.subscribe(LONG + "/in", 1)
        c.publish(LONG + "/out", b"long out", qos=1)
        print("READY")
        poll(c, 1, 10000)
        c.disconnect()
    """, p)
    proc.expect("READY")
    obs.publish(long_topic + "/in", b"long in", qos=1)
    r = proc.wait().check()
    assert r.msgs() == [((long_topic + "/in").encode(), b"long in")]
    got = obs.wait_messages(1)
    assert [(m.topic, m.payload) for m in got] == [(long_topic + "/out", b"long out")]


def test_megabyte_payload_both_ways(runtime, broker, observer, mkparams):
    payload = bytes(range(256)) * (MB // 256)
    p = mkparams(broker)
    obs = observer(broker, timeout=30)
    obs.subscribe(p["TOPIC"] + "/out", 1)
    # MicroPython's unix port starts with a 2 MB heap: the 1 MB payload, the received copy
    # and the packet buffer do not fit (the client raises MemoryError cleanly), so this
    # test gives MicroPython 32 MB. CPython ignores `heap`.
    proc = runtime.start("""
        big = bytes(range(256)) * 4096
        got = []
        def cb(topic, msg):
            got.append(msg == big)
            print("IN", len(msg), msg == big)
        c = new_client()
        c.set_callback(cb)
        c.connect()
        c.subscribe(TOPIC + "/in", 1)
        c.publish(TOPIC + "/out", big, qos=1)
        print("READY")
        t0 = ticks_ms()
        while not got and ticks_diff(ticks_ms(), t0) < 30000:
            c.wait_msg()
        c.disconnect()
    """, p, heap="32M")
    proc.expect("READY", timeout=60)
    got = obs.wait_messages(1)
    assert len(got) == 1 and got[0].payload == payload, got
    obs.publish(p["TOPIC"] + "/in", payload, qos=1)
    r = proc.wait(timeout=90).check()
    assert r.get("IN") == "%d True" % MB
