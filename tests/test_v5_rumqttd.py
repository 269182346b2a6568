"""MQTT 5 against a second broker, rumqttd 0.20 (crates.io, scripts/setup_rumqttd.sh),
on both runtimes, with paho-mqtt speaking MQTT 5 as the checker: the API's round trips
do not depend on what Mosquitto happens to do. (aedes 1.2.0 answers an MQTT 5 CONNECT
with a 3.1.1 refusal; amqtt speaks 3.1.1 only.)"""

import ast

import pytest

from harness.rumqttd import Rumqttd
from test_v5_api import V5Observer


@pytest.fixture
def rumqttd(tmp_path):
    b = Rumqttd(tmp_path / "rumqttd").start()
    yield b
    b.stop()


def test_properties_both_ways_through_rumqttd(runtime, rumqttd, mkparams):
    """Subscribe (one filter and a list), receive a paho MQTT 5 publish with its
    properties as details, publish QoS 1 and 2 with properties that paho sees, the acks'
    reason codes, unsubscribe's code."""
    p = mkparams(rumqttd)
    t = p["TOPIC"]
    obs = V5Observer(rumqttd, t + "/out")
    try:
        proc = runtime.start("""
            def on_detail(t, m, d):
                MSGS.append((t, m))
                print("DETAIL", repr((t, m, d.qos, d.properties)))
            # rumqttd refuses keepalive 0.
            c = new_client(protocol=5, keepalive=30)
            c.set_callback(on_detail, details=True)
            print("SP", c.connect())
            print("SUB", c.subscribe(TOPIC + "/in", 1))
            print("LIST", c.subscribe([(TOPIC + "/a", 0), (TOPIC + "/b", 2)]))
            print("READY")
            poll(c, 1, 10000, "wait")
            props = {"content_type": "text/plain", "correlation_data": b"\\x01\\x02",
                     "user_property": [("k", "v"), ("k", "w")]}
            print("PUB1", c.publish(TOPIC + "/out", b"q1", qos=1, properties=props))
            print("PUB2", c.publish(TOPIC + "/out", b"q2", qos=2,
                                    properties={"response_topic": TOPIC + "/reply"}))
            print("UNSUB", c.unsubscribe(TOPIC + "/in"))
            c.disconnect()
        """, p)
        proc.expect("READY")
        obs.publish(t + "/in", b"hello", qos=1, ContentType="application/x",
                    UserProperty=[("a", "1"), ("b", "2"), ("a", "3")],
                    CorrelationData=b"\x09")
        r = proc.wait(30).check()
        msgs = obs.wait(2)
    finally:
        obs.close()
    assert r.get("SP") == "0"
    assert r.get("SUB") == "1"
    assert r.get("LIST") == "[0, 2]"
    (detail,) = [ast.literal_eval(ln.split(" ", 1)[1]) for ln in r.lines
                 if ln.startswith("DETAIL ")]
    topic, payload, qos, props = detail
    assert (topic, payload, qos) == ((t + "/in").encode(), b"hello", 1)
    assert props["content_type"] == "application/x"
    assert props["correlation_data"] == b"\x09"
    assert props["user_property"] == [("a", "1"), ("b", "2"), ("a", "3")]
    assert r.get("PUB1") == "0" and r.get("PUB2") == "0"
    assert r.get("UNSUB") == "0"
    by_payload = {m.payload: m for m in msgs}
    m1 = by_payload[b"q1"]
    assert m1.properties.ContentType == "text/plain"
    assert m1.properties.CorrelationData == b"\x01\x02"
    assert m1.properties.UserProperty == [("k", "v"), ("k", "w")]
    assert by_payload[b"q2"].properties.ResponseTopic == t + "/reply"
