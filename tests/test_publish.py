"""PUBLISH from the client, checked by an independent paho-mqtt observer."""

import re

import pytest


@pytest.mark.parametrize("qos", [0, 1, 2])
def test_publish_qos_observed(runtime, broker, observer, mkparams, qos):
    p = mkparams(broker, QOS=qos)
    obs = observer(broker)
    obs.subscribe(p["TOPIC"], 2)
    r = runtime.run("""
        c = new_client()
        c.connect()
        attempt("PUB", c.publish, TOPIC, b"hello qos %d" % QOS, False, QOS)
        attempt("PID", lambda: c.pid)
        c.disconnect()
    """, p).check()
    assert r.value("PUB") is None
    got = obs.wait_messages(1)
    assert len(got) == 1, r
    m = got[0]
    assert (m.topic, m.payload, m.qos, m.retain) == (p["TOPIC"], b"hello qos %d" % qos, qos, False)
    # QoS > 0 used a packet id, exposed as `pid` like umqtt.simple.
    assert (r.value("PID") > 0) == (qos > 0)


@pytest.mark.parametrize("qos", [1, 2])
def test_publish_many_in_order(runtime, broker, observer, mkparams, qos):
    """Back-to-back acknowledged publishes: each waits for its ack, all arrive in order."""
    p = mkparams(broker, QOS=qos, N=50)
    obs = observer(broker)
    obs.subscribe(p["TOPIC"], 2)
    r = runtime.run("""
        c = new_client()
        c.connect()
        for i in range(N):
            c.publish(TOPIC, "m%d" % i, qos=QOS)
        c.disconnect()
    """, p).check()
    got = obs.wait_messages(50)
    assert [m.payload for m in got] == [b"m%d" % i for i in range(50)], r
    assert all(m.qos == qos for m in got)


def test_publish_keyword_arguments(runtime, broker, observer, mkparams):
    p = mkparams(broker)
    obs = observer(broker)
    obs.subscribe(p["TOPIC"] + "/#", 2)
    runtime.run("""
        c = new_client()
        c.connect()
        c.publish(topic=TOPIC + "/kw", msg=b"kw", retain=False, qos=1)
        c.publish(TOPIC + "/pos", b"pos", False, 2)
        c.disconnect()
    """, p).check()
    got = obs.wait_messages(2)
    assert sorted((m.topic, m.payload, m.qos) for m in got) == [
        (p["TOPIC"] + "/kw", b"kw", 1), (p["TOPIC"] + "/pos", b"pos", 2)]


def test_messages_arriving_during_qos1_publish_reach_callback(runtime, broker, mkparams):
    """publish() waits for PUBACK and hands messages that arrive meanwhile to the
    callback (the client is subscribed to its own topic, so its own message comes back
    while it waits)."""
    p = mkparams(broker)
    r = runtime.run("""
        c = new_client()
        c.set_callback(on_msg)
        c.connect()
        c.subscribe(TOPIC, 1)
        for i in range(20):
            c.publish(TOPIC, "loop%d" % i, qos=1)
        poll(c, 20, 10000)
        print("COUNT", len(MSGS))
        c.disconnect()
    """, p).check()
    topic = p["TOPIC"].encode()
    assert r.msgs() == [(topic, b"loop%d" % i) for i in range(20)]


def test_pid_attribute_sets_the_next_packet_id(runtime, broker, mkparams):
    """umqtt.simple's `pid`: a plain attribute; the packet id of the next QoS 1/2 publish
    or subscribe follows it, also after the program set it, and it shows the id taken
    (spec/PYAPI.md "MQTTClient"). Checked in Mosquitto's log of the PUBLISHes it
    received."""
    p = mkparams(broker)
    r = runtime.run("""
        c = new_client()
        c.set_callback(on_msg)
        c.connect()
        c.publish(TOPIC, b"a", False, 1)
        print("PID1", c.pid)
        c.pid = 1000
        c.publish(TOPIC, b"b", False, 0)
        c.publish(TOPIC, b"c", False, 1)
        print("PID2", c.pid)
        c.pid = 65535
        c.subscribe(TOPIC + "/x", 1)
        print("PID3", c.pid)
        c.publish(TOPIC, b"d", False, 2)
        print("PID4", c.pid)
        # Out of range: the next operation refuses it, sends nothing and leaves the
        # client usable.
        c.pid = 70000
        attempt("PUB_BAD", c.publish, TOPIC, b"e", False, 1)
        c.pid = 5
        c.publish(TOPIC, b"f", False, 1)
        print("PID5", c.pid)
        c.disconnect()
    """, p).check()
    assert [r.get("PID%d" % i) for i in (1, 2, 3, 4, 5)] == ["1", "1001", "1", "2", "6"]
    bad = r.get("PUB_BAD")
    assert bad.startswith("EXC ValueError ") and "pid must be 0..65535" in bad, r
    cid = re.escape(p["CLIENT_ID"])
    got = re.findall(r"Received PUBLISH from %s \(d0, q(\d), r0, m(\d+)," % cid, broker.log())
    assert got == [("1", "1"), ("0", "0"), ("1", "1001"), ("2", "2"), ("1", "6")]
