"""SUBSCRIBE / UNSUBSCRIBE and receiving with wait_msg and check_msg; paho publishes."""

import pytest


@pytest.mark.parametrize("mode", ["wait", "check"])
@pytest.mark.parametrize("qos", [0, 1, 2])
def test_subscribe_and_receive(runtime, broker, observer, mkparams, qos, mode):
    p = mkparams(broker, QOS=qos, MODE=mode)
    obs = observer(broker)
    proc = runtime.start("""
        c = new_client()
        c.set_callback(on_msg)
        c.connect()
        attempt("GRANTED", c.subscribe, TOPIC, QOS)
        print("READY")
        poll(c, 3, 15000, MODE)
        c.disconnect()
    """, p)
    proc.expect("READY")
    for i in range(3):
        obs.publish(p["TOPIC"], b"msg %d" % i, qos=qos)
    r = proc.wait().check()
    assert r.value("GRANTED") == qos
    topic = p["TOPIC"].encode()
    assert r.msgs() == [(topic, b"msg %d" % i) for i in range(3)]


def test_qos2_inbound_exactly_once(runtime, broker, observer, mkparams):
    p = mkparams(broker)
    obs = observer(broker)
    proc = runtime.start("""
        c = new_client()
        c.set_callback(on_msg)
        c.connect()
        c.subscribe(TOPIC, 2)
        print("READY")
        poll(c, 10, 15000)
        # Keep polling: a duplicate would show up now.
        t0 = ticks_ms()
        while ticks_diff(ticks_ms(), t0) < 1500:
            c.check_msg()
            time.sleep(0.02)
        c.disconnect()
    """, p)
    proc.expect("READY")
    for i in range(10):
        obs.publish(p["TOPIC"], b"q2-%d" % i, qos=2)
    r = proc.wait().check()
    assert [m for _, m in r.msgs()] == [b"q2-%d" % i for i in range(10)]


def test_subscribe_wildcards(runtime, broker, observer, mkparams):
    p = mkparams(broker)
    obs = observer(broker)
    proc = runtime.start("""
        c = new_client()
        c.set_callback(on_msg)
        c.connect()
        c.subscribe(TOPIC + "/+/temp", 1)
        c.subscribe(TOPIC + "/all/#", 1)
        print("READY")
        poll(c, 2, 10000)
        c.disconnect()
    """, p)
    proc.expect("READY")
    obs.publish(p["TOPIC"] + "/kitchen/temp", b"21", qos=1)
    obs.publish(p["TOPIC"] + "/kitchen/humidity", b"skip", qos=1)
    obs.publish(p["TOPIC"] + "/all/a/b", b"deep", qos=1)
    r = proc.wait().check()
    t = p["TOPIC"]
    assert r.msgs() == [((t + "/kitchen/temp").encode(), b"21"), ((t + "/all/a/b").encode(), b"deep")]


def test_unsubscribe_stops_delivery(runtime, broker, observer, mkparams):
    """After unsubscribe(gone), a message on `gone` published before one on `kept` must
    not arrive: the broker keeps one publisher's order, so once `kept` arrived, `gone`
    would have too."""
    p = mkparams(broker)
    obs = observer(broker)
    gone, kept = p["TOPIC"] + "/gone", p["TOPIC"] + "/kept"
    proc = runtime.start("""
        c = new_client()
        c.set_callback(on_msg)
        c.connect()
        c.subscribe(TOPIC + "/gone", 1)
        c.subscribe(TOPIC + "/kept", 1)
        print("READY")
        poll(c, 1, 10000)
        attempt("UNSUB", c.unsubscribe, TOPIC + "/gone")
        wait_go("UNSUBSCRIBED")
        poll(c, 2, 10000)
        c.disconnect()
    """, p)
    proc.expect("READY")
    obs.publish(gone, b"before", qos=1)
    proc.expect("UNSUBSCRIBED")
    obs.publish(gone, b"after", qos=1)
    obs.publish(kept, b"kept", qos=1)
    proc.send()
    r = proc.wait().check()
    assert r.value("UNSUB") is None
    assert r.msgs() == [(gone.encode(), b"before"), (kept.encode(), b"kept")]


def test_retained_message_reaches_later_subscriber(runtime, broker, observer, mkparams):
    p = mkparams(broker)
    obs = observer(broker)
    obs.publish(p["TOPIC"] + "/from-paho", b"retained-in", qos=1, retain=True)
    r = runtime.run("""
        c = new_client()
        c.set_callback(on_msg)
        c.connect()
        c.publish(TOPIC + "/from-client", b"retained-out", retain=True, qos=1)
        c.subscribe(TOPIC + "/from-paho", 1)
        poll(c, 1, 10000)
        c.disconnect()
    """, p).check()
    assert r.msgs() == [((p["TOPIC"] + "/from-paho").encode(), b"retained-in")]
    late = observer(broker)
    late.subscribe(p["TOPIC"] + "/from-client", 1)
    got = late.wait_messages(1)
    assert [(m.payload, m.retain) for m in got] == [(b"retained-out", True)]


def test_ping_answered(runtime, broker, mkparams):
    """ping() sends PINGREQ without waiting; the next wait_msg() reads the PINGRESP and
    returns None (umqtt.simple returns None for it too)."""
    p = mkparams(broker)
    r = runtime.run("""
        c = new_client()
        c.connect()
        attempt("PING", c.ping)
        attempt("WAIT", c.wait_msg)
        c.disconnect()
    """, p).check()
    assert r.value("PING") is None
    assert r.value("WAIT") is None
    log = broker.log()
    assert "Received PINGREQ from %s" % p["CLIENT_ID"] in log
    assert "Sending PINGRESP to %s" % p["CLIENT_ID"] in log
