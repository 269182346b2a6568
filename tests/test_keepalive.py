"""Keepalive: the client pings by itself while it polls; mosquitto drops a client that
stays silent longer than 1.5 x keepalive (the control case that makes the first test
meaningful)."""

import time

import pytest


@pytest.mark.parametrize("mode", ["check", "wait"])
def test_keepalive_auto_ping_keeps_connection(runtime, broker, observer, mkparams, mode):
    """spec/PYAPI.md "wait_msg": the automatic PINGREQs are ours, so their PINGRESPs
    never end a blocking wait_msg(): one call waits through 9 s of pings and returns
    the message's first byte (0x32, QoS 1) when it comes."""
    p = mkparams(broker, MODE=mode)
    obs = observer(broker)
    proc = runtime.start("""
        c = new_client(keepalive=2)
        c.set_callback(on_msg)
        c.connect()
        c.subscribe(TOPIC, 1)
        if MODE == "check":
            t0 = ticks_ms()
            # 9 s without sending anything ourselves: only automatic PINGREQs keep
            # us on (mosquitto 2.0.11 drops a silent keepalive=2 client after ~6 s).
            while ticks_diff(ticks_ms(), t0) < 9000:
                c.check_msg()
                time.sleep(0.05)
            print("READY")
            poll(c, 1, 10000, MODE)
        else:
            print("READY")
            attempt("WAIT", c.wait_msg)
        c.disconnect()
    """, p)
    proc.expect("READY", timeout=40)
    if mode == "wait":
        time.sleep(9)
    obs.publish(p["TOPIC"], b"still there?", qos=1)
    r = proc.wait(timeout=60).check()
    assert [m for _, m in r.msgs()] == [b"still there?"]
    if mode == "wait":
        assert r.value("WAIT") == 0x32, r
    log = broker.log()
    assert "%s has exceeded timeout" % p["CLIENT_ID"] not in log
    assert log.count("Received PINGREQ from %s" % p["CLIENT_ID"]) >= 4, log


def test_silent_client_is_dropped_by_broker(runtime, broker, mkparams):
    p = mkparams(broker)
    r = runtime.run("""
        c = new_client(keepalive=2)
        c.connect()
        time.sleep(9)
        attempt("AFTER", c.wait_msg)
    """, p).check()
    assert "Client %s has exceeded timeout, disconnecting." % p["CLIENT_ID"] in broker.log()
    e = r.exc("AFTER")
    # The broker closed the socket: umqtt.simple raises OSError(-1).
    assert e.oserror and e.code == -1, e
