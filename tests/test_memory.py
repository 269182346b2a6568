"""Heap use: steady-state QoS 0 publish allocates nothing (MicroPython); clients
dropped without disconnect() are freed, and made while the collector runs at every
allocation (both runtimes).

MicroPython-only by nature (gc.mem_alloc); on CPython the same publish path is
exercised by every other test. Pure-Python umqtt.simple allocates ~128 bytes per
publish (bench/ measures both side by side).
"""

import pytest

from harness.runtimes import requested_runtimes

MPY = [n for n in requested_runtimes() if n == "micropython"]


@pytest.mark.parametrize("runtime", MPY, indirect=True)
def test_qos0_publish_allocates_nothing_on_micropython(runtime, broker, observer, mkparams):
    p = mkparams(broker)
    obs = observer(broker)
    obs.subscribe(p["TOPIC"], 0)
    r = runtime.run("""
    import gc
    c = new_client()
    c.connect()
    msg = b"x" * 64
    topic = TOPIC
    # Warm up: buffers reach their steady size.
    for i in range(100):
        c.publish(topic, msg)
    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    for i in range(2000):
        c.publish(topic, msg)
    after = gc.mem_alloc()
    gc.enable()
    print("ALLOCATED", after - before)
    c.ping()
    c.wait_msg()
    c.disconnect()
    """, p)
    r.check()
    assert int(r.get("ALLOCATED")) == 0
    # The publishes were real: the broker passed them on.
    assert len(obs.wait_messages(2100, timeout=30)) == 2100


@pytest.mark.parametrize("runtime", requested_runtimes(), indirect=True)
def test_dropped_clients_are_freed(runtime, broker, mkparams):
    # Clients whose socket the program closed (or lost) and that were then dropped
    # without disconnect(): nothing of them may stay reachable. The MicroPython
    # engine is scanned conservatively by the collector; stale stack bytes moved into
    # each new engine once kept the one before alive (~10 KB each) until the heap ran
    # out (this loop leaked 10.8 KB per client; the hostile tables ran out of heap).
    p = mkparams(broker)
    r = runtime.run("""
    import gc
    mem_free = getattr(gc, "mem_free", lambda: 0)
    for i in range(40):
        c = MQTTClient("drop-%d" % i, HOST, PORT)
        c.set_callback(lambda t, m: None)
        c.connect(True)
        c.sock.close()
        c = None
        gc.collect()
        print("FREE", mem_free())
    if RUNTIME == "cpython":
        import weakref
        c = MQTTClient("drop-cpython", HOST, PORT)
        c.connect(True)
        c.sock.close()
        ref = weakref.ref(c)
        c = None
        gc.collect()
        print("ALIVE", ref() is not None)
    """, p)
    r.check()
    free = [int(ln.split()[1]) for ln in r.lines if ln.startswith("FREE ")]
    assert len(free) == 40
    assert free[2] - free[-1] < 8000, free
    if runtime.name == "cpython":
        assert r.get("ALIVE") == "False"


def test_clients_made_while_the_collector_runs(runtime, broker, mkparams):
    # A collection at every allocation while clients (and a subclass, as
    # umqtt.robust's) are made, connected and dropped. CPython's collector once
    # visited a client that object.__new__ had tracked but pyo3 had not filled in yet
    # (its __dict__ is allocated in between): a segfault, found by
    # tests/test_args_property.py on a fresh machine.
    r = runtime.run("""
    import gc
    if RUNTIME == "cpython":
        gc.set_threshold(1)
    else:
        gc.threshold(1)

    class Sub(MQTTClient):
        pass

    for i in range(300):
        c = (Sub if i % 2 else MQTTClient)("gc-%d" % i, HOST, PORT)
        c.extra = [c]
        if i % 50 == 0:
            c.connect()
            c.disconnect()
    print("MADE", i + 1)
    """, mkparams(broker))
    r.check()
    assert r.get("MADE") == "300"
