"""Long run: 70,000 QoS 1 publishes in one session, so packet ids wrap past 65,535
(65,535 -> 1, never 0 [MQTT-2.3.1-1]) and every PUBACK must still be matched to its
PUBLISH. Checked on both sides: the client's `pid` after each publish, and Mosquitto's
log of every PUBLISH it received and every PUBACK it sent (log_type all)."""

import re

N = 70_000


def test_70000_qos1_publishes_wrap_packet_ids(runtime, broker, mkparams):
    p = mkparams(broker, N=N)
    r = runtime.run("""
        c = new_client()
        c.connect()
        bad = []
        expect = 0
        t0 = ticks_ms()
        for i in range(N):
            c.publish(TOPIC, b"m", False, 1)
            expect = expect + 1 if expect < 65535 else 1
            if c.pid != expect and len(bad) < 5:
                bad.append((i, c.pid, expect))
        print("ELAPSED_MS", ticks_diff(ticks_ms(), t0))
        print("LAST_PID", c.pid)
        print("BAD", repr(bad))
        c.disconnect()
    """, p, timeout=240).check()
    assert r.get("BAD") == "[]", r.get("BAD")
    assert int(r.get("LAST_PID")) == N - 65535
    cid = re.escape(p["CLIENT_ID"])
    log = broker.log()
    received = [(int(d), int(m)) for d, m in re.findall(
        r"Received PUBLISH from %s \(d(\d), q1, r0, m(\d+)," % cid, log)]
    acked = [int(m) for m in re.findall(r"Sending PUBACK to %s \(m(\d+), rc0\)" % cid, log)]
    expected = list(range(1, 65536)) + list(range(1, N - 65535 + 1))
    # Each id exactly once, in order, never resent (DUP 0), each acknowledged.
    assert [m for _, m in received] == expected
    assert all(d == 0 for d, _ in received)
    assert acked == expected
    print("%s: %d QoS 1 publishes in %s ms" % (runtime.name, N, r.get("ELAPSED_MS")))
