"""MicroPython heap use: steady-state QoS 0 publish allocates nothing.

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
