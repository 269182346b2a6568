"""Liveness: when the broker stops answering, a client with keepalive K raises
MQTTException(257) within 1.5 K of its next wait_msg()/check_msg() (sec 3.1.2.10: a
client that gets no PINGRESP in reasonable time SHOULD close the connection), and closes
the connection. Two ways to stop answering: the fake broker goes silent (TCP stays up),
and a real Mosquitto is frozen with SIGSTOP."""

import time

import pytest

from harness import fakebroker as fb

# The client measures from the call that should notice the silence to the exception.
SILENT_CLIENT = """
    c = new_client(keepalive=K)
    c.set_callback(on_msg)
    c.connect()
    if SUBSCRIBE:
        c.subscribe(TOPIC, 1)
    print("READY")
    if GO:
        wait_go()
    if IDLE_MS:
        time.sleep_ms(IDLE_MS) if hasattr(time, "sleep_ms") else time.sleep(IDLE_MS / 1000)
    t0 = ticks_ms()
    try:
        while ticks_diff(ticks_ms(), t0) < 20000:
            if MODE == "check":
                if c.check_msg() is None:
                    time.sleep(0.01)
            else:
                c.wait_msg()
        print("NO_EXCEPTION")
    except Exception as e:
        print("RAISED", exc_text(e))
    print("ELAPSED_MS", ticks_diff(ticks_ms(), t0))
    attempt("AFTER", c.publish, TOPIC, b"x")
"""


# The engine gives up 1.25 K after the call starts (PINGREQ at 0.75 K, answer due
# 0.5 K later; core/src/session/keepalive.rs, unit-tested on the core's own clock in
# core/tests/client_waits.rs). Here the bound is wall time of a subprocess on a shared
# 2-core machine, where a busy scheduler was seen to add ~700 ms (3190 ms for K=2), so
# the bound is the promised 1.5 K plus an honest 1 s of scheduling slack; the figure
# is printed so a run shows how close it came.
SCHED_SLACK_MS = 1000


def check_raised(r, k):
    text = r.get("RAISED")
    assert text.startswith("EXC MQTTException") and "(257," in text, r
    elapsed = int(r.get("ELAPSED_MS"))
    print("\n[%s] keepalive %d s: raised after %d ms (design 1.25 K = %d ms)" % (
        getattr(r.runtime, "name", r.runtime), k, elapsed, 1250 * k))
    assert elapsed <= 1500 * k + SCHED_SLACK_MS, "raised after %d ms, keepalive %d s: %r" % (
        elapsed, k, r)
    # The connection is gone: the next call says so instead of writing into a dead socket.
    e = r.exc("AFTER")
    assert e.name == "MQTTException" and e.code == 259, e
    return elapsed


@pytest.mark.parametrize("mode", ["wait", "check"])
@pytest.mark.parametrize("k", [1, 2])
def test_silent_fake_broker(runtime, fake_broker, mkparams, k, mode):
    p = mkparams(fake_broker, K=k, MODE=mode, SUBSCRIBE=False, GO=False, IDLE_MS=0)
    proc = runtime.start(SILENT_CLIENT, p)
    fake_broker.handshake()
    # From here on the broker reads nothing and answers nothing.
    proc.expect("READY")
    r = proc.wait(timeout=30).check()
    check_raised(r, k)
    first = fake_broker.read_packet(timeout=5)
    assert first.type == fb.PINGREQ, first
    assert fake_broker.closed_by_client(timeout=5)


def test_silent_after_idle(runtime, fake_broker, mkparams):
    """The client was idle for longer than the keepalive before calling wait_msg(): the
    PINGREQ goes out at once and the bound still holds from that call."""
    p = mkparams(fake_broker, K=2, MODE="wait", SUBSCRIBE=False, GO=False, IDLE_MS=3000)
    proc = runtime.start(SILENT_CLIENT, p)
    fake_broker.handshake()
    r = proc.wait(timeout=30).check()
    check_raised(r, 2)


def test_pings_answered_no_false_alarm(runtime, fake_broker, mkparams):
    """Control for the tests above: the same client against a broker that answers its
    PINGREQs keeps going for 5 keepalive periods without raising. One blocking
    wait_msg() waits through all of them (spec/PYAPI.md "wait_msg": the automatic
    pings are ours, their PINGRESPs do not end it) and returns the first byte of the
    PUBLISH that finally comes (48)."""
    p = mkparams(fake_broker)
    proc = runtime.start("""
        c = new_client(keepalive=1)
        c.set_callback(on_msg)
        c.connect()
        attempt("WAIT", c.wait_msg)
        c.disconnect()
    """, p)
    fake_broker.handshake()
    pings = 0
    t0 = time.monotonic()
    published = False
    while True:
        pk = fake_broker.read_packet(timeout=10)
        if pk.type == fb.DISCONNECT:
            break
        assert pk.type == fb.PINGREQ, pk
        pings += 1
        fake_broker.send(fb.packet(fb.PINGRESP, 0, b""))
        if not published and time.monotonic() - t0 >= 5:
            fake_broker.send(fb.publish(b"t", b"late"))
            published = True
    r = proc.wait(30).check()
    # One PINGREQ per 0.75 s of silence from the client: about 6 in 5 s.
    assert 5 <= pings <= 9, pings
    assert r.value("WAIT") == 48, r
    assert [m for _, m in r.msgs()] == [b"late"]


@pytest.mark.parametrize("mode", ["wait", "check"])
def test_sigstopped_mosquitto(runtime, broker, observer, mkparams, mode):
    k = 2
    p = mkparams(broker, K=k, MODE=mode, SUBSCRIBE=True, GO=True, IDLE_MS=0)
    obs = observer(broker)
    proc = runtime.start(SILENT_CLIENT, p)
    proc.expect("READY")
    # Still alive before the freeze: a message gets through.
    obs.publish(p["TOPIC"], b"before", qos=1)
    time.sleep(0.5)  # let Mosquitto pass it on before it freezes
    with broker.frozen():
        proc.send()
        r = proc.wait(timeout=30).check()
    check_raised(r, k)
    assert [m for _, m in r.msgs()] == [b"before"]
