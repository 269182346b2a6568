"""The MQTT 5 Python API (spec/PYAPI.md "MQTT 5") against Mosquitto 2 on both
runtimes, with paho-mqtt speaking MQTT 5 as the independent checker."""

import ast
import threading
import time

import paho.mqtt.client as paho
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from harness import fakebroker as fb

class V5Observer:
    """A paho MQTT 5 client recording messages with their properties."""

    def __init__(self, b, topic):
        self.messages = []
        self._cond = threading.Condition()
        self._subscribed = threading.Event()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *a: self._subscribed.set()
        self.client.connect(b.host, b.port)
        self.client.loop_start()
        self.client.subscribe(topic, qos=1)
        assert self._subscribed.wait(10)

    def _on_message(self, client, userdata, msg):
        with self._cond:
            self.messages.append(msg)
            self._cond.notify_all()

    def wait(self, n, timeout=10):
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.messages) >= n, timeout), self.messages
            return list(self.messages)

    def publish(self, topic, payload, qos=1, retain=False, **props):
        p = Properties(PacketTypes.PUBLISH)
        for k, v in props.items():
            setattr(p, k, v)
        self.client.publish(topic, payload, qos=qos, retain=retain,
                            properties=p if props else None).wait_for_publish(10)

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def v5obs():
    made = []

    def make(b, topic):
        o = V5Observer(b, topic)
        made.append(o)
        return o

    yield make
    for o in made:
        o.close()


def test_protocol_argument(runtime, broker, mkparams):
    """protocol=4 is 3.1.1 (the default); 5 is MQTT 5; anything else is a ValueError."""
    r = runtime.run("""
        print("DEFAULT", new_client().protocol)
        c = new_client(protocol=4)
        attempt("V4", c.connect)
        c.disconnect()
        attempt("P3", new_client, protocol=3)
        attempt("P6", new_client, protocol=6)
        attempt("PSTR", new_client, protocol="5")
        def v5():
            c = new_client(protocol=5)
            c.connect()
            p = c.connack_properties
            c.disconnect()
            return sorted(p)
        attempt("V5", v5)
    """, mkparams(broker)).check()
    assert r.get("DEFAULT") == "4"
    assert r.value("V4") == 0
    for label in ("P3", "P6"):
        e = r.exc(label)
        assert e.name == "ValueError" and "protocol must be 4" in e.args[0], e
    assert r.exc("PSTR").name == "TypeError"
    assert "receive_maximum" in r.value("V5")


def test_connect_properties_assigned_id_and_session_resume(runtime, broker, mkparams):
    """An empty client id gets the broker's assigned_client_identifier as client_id;
    session_expiry_interval keeps the session across a clean_session=False reconnect
    (connect() without properties reuses the last ones)."""
    r = runtime.run("""
        c = MQTTClient("", HOST, PORT, protocol=5)
        attempt("FIRST", c.connect, True, None, {"session_expiry_interval": 60})
        print("ID", c.client_id)
        print("CONNACK", sorted(c.connack_properties))
        c.sock.close()
        attempt("RESUMED", c.connect, False)
        c.disconnect()
        d = MQTTClient(CLIENT_ID, HOST, PORT, protocol=5)
        attempt("NO_EXPIRY", d.connect, True)
        d.sock.close()
        attempt("NOT_KEPT", d.connect, False)
        d.disconnect()
    """, mkparams(broker)).check()
    assert r.value("FIRST") == 0
    assert r.get("ID").startswith("auto-")
    assert "assigned_client_identifier" in r.get("CONNACK")
    assert r.value("RESUMED") == 1
    assert r.value("NO_EXPIRY") == 0
    assert r.value("NOT_KEPT") == 0


def test_publish_properties_end_to_end(runtime, broker, mkparams, v5obs):
    """User properties in order with repeats, correlation data, content type, response
    topic and message expiry reach a paho MQTT 5 subscriber; QoS 1/2 return the ack's
    reason code, QoS 0 None."""
    p = mkparams(broker)
    obs = v5obs(broker, p["TOPIC"])
    r = runtime.run("""
        c = new_client(protocol=5)
        c.connect()
        props = {"user_property": [("k", "1"), ("j", "2"), ("k", "3")],
                 "correlation_data": b"\\x00id", "content_type": "text/plain",
                 "response_topic": TOPIC + "/reply", "message_expiry_interval": 300,
                 "payload_format_indicator": 1}
        attempt("Q1", c.publish, TOPIC, "one", False, 1, props)
        attempt("Q2", c.publish, TOPIC, "two", qos=2, properties={"content_type": "x"})
        attempt("Q0", c.publish, TOPIC, "zero")
        c.disconnect()
    """, p).check()
    assert r.value("Q1") == 0 and r.value("Q2") == 0
    assert r.value("Q0") is None
    msgs = obs.wait(3)
    first = msgs[0].properties
    assert msgs[0].payload == b"one"
    assert first.UserProperty == [("k", "1"), ("j", "2"), ("k", "3")]
    assert first.CorrelationData == b"\x00id"
    assert first.ContentType == "text/plain"
    assert first.ResponseTopic == p["TOPIC"] + "/reply"
    assert 0 < first.MessageExpiryInterval <= 300
    assert first.PayloadFormatIndicator == 1
    assert msgs[1].properties.ContentType == "x"


def test_receive_with_details(runtime, broker, mkparams, v5obs):
    """set_callback(f, details=True): qos, retain, dup and the message's properties, a
    subscription_identifier as a list; on 3.1.1 properties are {}."""
    p = mkparams(broker)
    obs = v5obs(broker, p["TOPIC"] + "/none")
    r = runtime.start("""
        def on_detail(t, m, d):
            MSGS.append(t)
            print("DETAIL", repr((t, m, d.qos, d.retain, d.dup, d.properties)))
        c = new_client(protocol=5)
        c.set_callback(on_detail, details=True)
        c.connect()
        c.subscribe(TOPIC, 1, properties={"subscription_identifier": 7})
        d = new_client(CLIENT_ID + "-v4")
        d.set_callback(on_detail, details=True)
        d.connect()
        d.subscribe(TOPIC, 1)
        print("READY")
        poll(c, 1, 10000)
        poll(d, 2, 10000)
        c.disconnect()
        d.disconnect()
    """, p)
    r.expect("READY")
    obs.publish(p["TOPIC"], b"hello", qos=1, UserProperty=[("a", "b")], ContentType="ct")
    r = r.wait().check()
    details = [ln.split(" ", 1)[1] for ln in r.lines if ln.startswith("DETAIL ")]
    got = sorted((ast.literal_eval(x) for x in details), key=lambda d: len(d[5]))
    topic = p["TOPIC"].encode()
    assert got[0] == (topic, b"hello", 1, False, False, {})
    assert got[1][:5] == (topic, b"hello", 1, False, False)
    assert got[1][5] == {"user_property": [("a", "b")], "content_type": "ct",
                         "subscription_identifier": [7]}


def test_subscribe_options_and_lists(runtime, broker, mkparams):
    """no_local keeps our own publications away; retain_handling=2 sends no retained
    message; a list of (filter, qos) pairs is one SUBSCRIBE returning its codes (on 3.1.1
    too); unsubscribe returns 0x11 for a filter never subscribed."""
    r = runtime.run("""
        c = new_client(protocol=5)
        c.set_callback(on_msg)
        c.connect()
        c.publish(TOPIC + "/ret", "kept", retain=True, qos=1)
        attempt("NOLOCAL", c.subscribe, TOPIC + "/own", 1, True)
        attempt("RH2", c.subscribe, TOPIC + "/ret", 1, retain_handling=2)
        c.publish(TOPIC + "/own", "mine", qos=1)
        poll(c, 1, 1000)
        print("GOT", len(MSGS))
        attempt("LIST", c.subscribe, [(TOPIC + "/a", 0), (TOPIC + "/b", 2)])
        attempt("UNSUB", c.unsubscribe, TOPIC + "/a")
        attempt("UNSUB_NONE", c.unsubscribe, TOPIC + "/never")
        c.disconnect()
        d = new_client(CLIENT_ID + "-v4")
        d.set_callback(on_msg)
        d.connect()
        attempt("LIST4", d.subscribe, [(TOPIC + "/a", 1), (TOPIC + "/b", 2)])
        attempt("OPT4", d.subscribe, TOPIC, 0, True)
        attempt("UNSUB4", d.unsubscribe, TOPIC + "/a")
        d.disconnect()
    """, mkparams(broker)).check()
    assert r.value("NOLOCAL") == 1 and r.value("RH2") == 1
    assert r.get("GOT") == "0"
    assert r.value("LIST") == [0, 2]
    assert r.value("UNSUB") == 0 and r.value("UNSUB_NONE") == 0x11
    assert r.value("LIST4") == [1, 2]
    e = r.exc("OPT4")
    assert e.name == "ValueError" and "protocol=5" in e.args[0]
    assert r.value("UNSUB4") is None


def test_property_argument_errors_send_nothing(runtime, broker, mkparams):
    """Unknown name, wrong type, not allowed on that packet, out of range: ValueError or
    TypeError before anything is sent (the connection stays usable); properties on a
    3.1.1 client: ValueError, None and {} accepted."""
    r = runtime.run("""
        c = new_client(protocol=5)
        c.connect()
        attempt("UNKNOWN", c.publish, TOPIC, "x", properties={"colour": 1})
        attempt("TYPE", c.publish, TOPIC, "x", properties={"content_type": 5})
        attempt("NOT_ALLOWED", c.publish, TOPIC, "x", properties={"session_expiry_interval": 1})
        attempt("RANGE", c.publish, TOPIC, "x", properties={"payload_format_indicator": 7})
        attempt("BIG", c.publish, TOPIC, "x", properties={"message_expiry_interval": 2**40})
        attempt("NOT_DICT", c.publish, TOPIC, "x", properties=[1])
        attempt("STILL_UP", c.publish, TOPIC, "x", qos=1)
        c.disconnect()
        # Across properties: authentication data without a method (CPython sent it,
        # MicroPython raised MQTTException 256 as if the broker had erred).
        attempt("DATA_NO_METHOD", new_client(protocol=5).connect,
                properties={"authentication_data": b"x"})
        import asyncio
        from umqtt.aio import MQTTClient as AClient
        async def aio_data_no_method():
            try:
                await AClient(CLIENT_ID, HOST, PORT, protocol=5).connect(
                    properties={"authentication_data": b"x"})
                print("AIO_DATA_NO_METHOD", "OK", "None")
            except Exception as e:
                print("AIO_DATA_NO_METHOD", exc_text(e))
        asyncio.run(aio_data_no_method())
        d = new_client(CLIENT_ID + "-v4")
        d.connect()
        attempt("V4_PROPS", d.publish, TOPIC, "x", properties={"content_type": "a"})
        attempt("V4_EMPTY", d.publish, TOPIC, "x", qos=1, properties={})
        attempt("V4_NONE", d.publish, TOPIC, "x", qos=1, properties=None)
        d.disconnect()
    """, mkparams(broker)).check()
    for label in ("UNKNOWN", "NOT_ALLOWED", "RANGE", "BIG", "V4_PROPS"):
        assert r.exc(label).name == "ValueError", label
    assert r.exc("TYPE").name == "TypeError"
    assert r.exc("NOT_DICT").name == "TypeError"
    assert r.value("STILL_UP") == 0x10  # PUBACK "no matching subscribers"
    assert r.value("V4_EMPTY") is None and r.value("V4_NONE") is None
    for label in ("DATA_NO_METHOD", "AIO_DATA_NO_METHOD"):
        e = r.exc(label)
        assert (e.name, tuple(e.args)) == (
            "ValueError", ("authentication_data needs authentication_method",)), (label, e)


def test_refusals_carry_reason_codes(runtime, mosquitto, mkparams):
    """A bad login is MQTTException(0x87, reason) on MQTT 5 (Mosquitto 2.0.11 sends 0x87,
    not 0x86); an ACL-denied QoS 1 publish is MQTTException(0x87, ...) and the connection
    stays up."""
    b = mosquitto(users={"alice": "secret"},
                  acl="user alice\ntopic readwrite umqtt/#\n")
    r = runtime.run("""
        c = MQTTClient(CLIENT_ID, HOST, PORT, user="alice", password="wrong", protocol=5)
        attempt("BAD_LOGIN", c.connect)
        c = MQTTClient(CLIENT_ID, HOST, PORT, user="alice", password="secret", protocol=5)
        c.connect()
        attempt("DENIED", c.publish, "forbidden/t", "x", qos=1)
        attempt("ALLOWED", c.publish, TOPIC, "x", qos=1)
        c.disconnect()
    """, mkparams(b)).check()
    e = r.exc("BAD_LOGIN")
    assert e.name == "MQTTException" and e.args[0] == 0x87 and len(e.args) == 2, e
    e = r.exc("DENIED")
    assert e.name == "MQTTException" and e.args[0] == 0x87, e
    assert r.value("ALLOWED") == 0x10  # no subscribers


def test_will_properties_and_disconnect_with_will(runtime, broker, mkparams, v5obs):
    """set_last_will(..., properties=) and disconnect(reason=4): the broker publishes the
    will with its properties; a plain disconnect() does not."""
    p = mkparams(broker)
    obs = v5obs(broker, p["TOPIC"] + "/will")
    r = runtime.run("""
        c = new_client(protocol=5)
        c.set_last_will(TOPIC + "/will", "gone", qos=1,
                        properties={"content_type": "text/x", "user_property": [("w", "1")]})
        c.connect()
        attempt("DISC4", c.disconnect, 4)
        d = new_client(CLIENT_ID + "-2", protocol=5)
        d.set_last_will(TOPIC + "/will", "never", qos=1)
        d.connect()
        attempt("DISC0", d.disconnect)
        e = new_client(CLIENT_ID + "-3")
        e.set_last_will(TOPIC + "/will", "x")
        attempt("V4_REASON", e.disconnect, 4)
        attempt("V4_WILLPROPS", e.set_last_will, TOPIC, "x", properties={"content_type": "a"})
    """, p).check()
    assert r.value("DISC4") is None and r.value("DISC0") is None
    obs.wait(1)
    time.sleep(0.5)  # a will of the plain disconnect would be here by now
    msgs = obs.wait(1)
    assert [m.payload for m in msgs] == [b"gone"]
    assert msgs[0].properties.ContentType == "text/x"
    assert msgs[0].properties.UserProperty == [("w", "1")]
    assert r.exc("V4_REASON").name == "ValueError"
    assert r.exc("V4_WILLPROPS").name == "ValueError"


def v5_connack():
    return fb.packet(fb.CONNACK, 0, b"\x00\x00\x00")


def v5_disconnect(reason, reason_string):
    props = b"\x1f" + fb.mqtt_str(reason_string)
    return fb.packet(fb.DISCONNECT, 0, bytes([reason]) + fb.varint(len(props)) + props)


def test_server_disconnect_raises_and_retryable_reconnects(runtime, fake_broker, mkparams):
    """A DISCONNECT from the server raises MQTTException(reason_code, reason_string) out of
    the call that read it; with set_reconnect() a retryable code (0x8B server shutting
    down) reconnects instead (a fake broker: Mosquitto 2.0.11 closes without one)."""
    proc = runtime.start("""
        c = new_client(protocol=5)
        c.set_callback(on_msg)
        c.connect()
        attempt("WAIT", c.wait_msg)
        c.set_reconnect(attempts=3, min_delay=0.05, max_delay=0.1,
                        on_reconnect=lambda sp: print("RECONNECTED", sp))
        c.connect()
        attempt("WAIT_RC", c.wait_msg)
        c.disconnect()
    """, mkparams(fake_broker))
    for reason in ("going down", "again"):
        fake_broker.accept()
        fake_broker.expect(fb.CONNECT)
        fake_broker.send(v5_connack())
        fake_broker.send(v5_disconnect(0x8B, reason))
        assert fake_broker.closed_by_client()
    fake_broker.accept()
    fake_broker.expect(fb.CONNECT)
    fake_broker.send(v5_connack())
    fake_broker.send(fb.packet(fb.PUBLISH, 0, fb.mqtt_str("t") + b"\x00after"))
    fake_broker.expect(fb.DISCONNECT)
    r = proc.wait(30).check()
    e = r.exc("WAIT")
    assert e.name == "MQTTException" and e.args == (0x8B, "going down"), e
    assert r.get("RECONNECTED") == "0"
    assert r.value("WAIT_RC") == 0x30
    assert r.msgs() == [(b"t", b"after")]


def test_which_errors_carry_the_reason_string(runtime, fake_broker, mkparams):
    """The core's one rule, on both runtimes: a refused CONNACK, a refused subscription
    and a server DISCONNECT are MQTTException(code, reason_string), the string None when
    the packet had none or an empty one; other errors carry none."""
    proc = runtime.start("""
        c = new_client(protocol=5)
        c.set_callback(on_msg)
        attempt("CONNECT", c.connect)
        c.connect()
        attempt("SUB", lambda: c.subscribe("t", 1))
        attempt("WAIT", c.wait_msg)
    """, mkparams(fake_broker))
    serve_reason_strings(fake_broker)
    check_reason_strings(proc.wait(30).check(), "WAIT")


def serve_reason_strings(fake_broker):
    """The broker of the reason-string tests (here and umqtt.aio's): a CONNACK
    refusal with an empty reason string, then a connection whose SUBACK refuses
    with "nope" and a DISCONNECT 0x8E without one."""
    empty = b"\x1f" + fb.mqtt_str("")
    fake_broker.accept()
    fake_broker.expect(fb.CONNECT)
    fake_broker.send(fb.packet(fb.CONNACK, 0, b"\x00\x87" + fb.varint(len(empty)) + empty))
    assert fake_broker.closed_by_client()
    fake_broker.accept()
    fake_broker.expect(fb.CONNECT)
    fake_broker.send(v5_connack())
    pid = fake_broker.expect(fb.SUBSCRIBE).pid
    props = b"\x1f" + fb.mqtt_str("nope")
    body = pid.to_bytes(2, "big") + fb.varint(len(props)) + props + b"\x87"
    fake_broker.send(fb.packet(fb.SUBACK, 0, body))
    fake_broker.send(fb.packet(fb.DISCONNECT, 0, b"\x8e\x00"))
    assert fake_broker.closed_by_client()


def check_reason_strings(r, last):
    for label, args in (("CONNECT", (0x87, None)), ("SUB", (0x87, "nope")),
                        (last, (0x8E, None))):
        e = r.exc(label)
        assert e.name == "MQTTException" and e.args == args, (label, e)


AUTH = 15
# The core's ValueError text for an MQTT 5 call on a protocol 4 client.
NEEDS_V5 = "properties and subscription options need protocol=5"


def auth_packet(reason, method, data):
    props = b"\x15" + fb.mqtt_str(method) + b"\x16" + fb.mqtt_str(data)
    return fb.packet(AUTH, 0, bytes([reason]) + fb.varint(len(props)) + props)


def test_enhanced_authentication(runtime, fake_broker, mkparams):
    """set_auth(method, data, on_challenge): the CONNECT carries the method and data, each
    AUTH challenge is answered with on_challenge(data), CONNACK ends it; an exception in
    on_challenge comes out of connect() (a fake broker: Mosquitto has no AUTH methods
    without a plugin)."""
    proc = runtime.start("""
        c = new_client(protocol=5)
        c.set_auth("X-TEST", b"hello", lambda d: b"answer:" + d)
        attempt("CONNECT", c.connect)
        print("METHOD", c.connack_properties.get("authentication_method"))
        c.disconnect()
        def refuse(d):
            raise ValueError("no answer for " + repr(d))
        c.set_auth("X-TEST", None, refuse)
        attempt("RAISED", c.connect)
        attempt("V4", new_client().set_auth, "X", b"", refuse)
    """, mkparams(fake_broker))
    fake_broker.accept()
    p = fake_broker.expect(fb.CONNECT)
    assert b"X-TEST" in p.body and b"hello" in p.body
    fake_broker.send(auth_packet(0x18, "X-TEST", b"ch1"))
    a = fake_broker.expect(AUTH)
    assert a.body[0] == 0x18 and b"answer:ch1" in a.body
    props = b"\x15" + fb.mqtt_str("X-TEST")
    fake_broker.send(fb.packet(fb.CONNACK, 0, b"\x00\x00" + fb.varint(len(props)) + props))
    fake_broker.expect(fb.DISCONNECT)
    fake_broker.accept()
    fake_broker.expect(fb.CONNECT)
    fake_broker.send(auth_packet(0x18, "X-TEST", b"ch2"))
    r = proc.wait(30).check()
    assert r.value("CONNECT") == 0
    assert r.get("METHOD") == "X-TEST"
    e = r.exc("RAISED")
    assert e.name == "ValueError" and "ch2" in e.args[0], e
    # The core's text, the same from umqtt.aio (test_aio_v5.py).
    e = r.exc("V4")
    assert e.name == "ValueError" and e.args == (NEEDS_V5,), e


def test_reauthenticate(runtime, fake_broker, mkparams):
    """reauthenticate(data) after a set_auth() connect: AUTH 0x19 with the data, each
    challenge answered by on_challenge, the broker's AUTH success ends it; a message
    arriving meanwhile goes to the callback; without set_auth(): ValueError."""
    proc = runtime.start("""
        c = new_client(protocol=5)
        c.set_callback(on_msg)
        attempt("PLAIN", c.reauthenticate, b"x")
        c.set_auth("X-TEST", b"hello", lambda d: b"answer:" + d)
        c.connect()
        attempt("REAUTH", c.reauthenticate, b"again")
        c.disconnect()
    """, mkparams(fake_broker))
    fake_broker.accept()
    fake_broker.expect(fb.CONNECT)
    props = b"\x15" + fb.mqtt_str("X-TEST")
    fake_broker.send(fb.packet(fb.CONNACK, 0, b"\x00\x00" + fb.varint(len(props)) + props))
    a = fake_broker.expect(AUTH)
    assert a.body[0] == 0x19 and b"again" in a.body, a
    fake_broker.send(fb.packet(fb.PUBLISH, 0, fb.mqtt_str("t") + b"\x00meanwhile"))
    fake_broker.send(auth_packet(0x18, "X-TEST", b"ch3"))
    a = fake_broker.expect(AUTH)
    assert a.body[0] == 0x18 and b"answer:ch3" in a.body, a
    fake_broker.send(auth_packet(0x00, "X-TEST", b""))
    fake_broker.expect(fb.DISCONNECT)
    r = proc.wait(30).check()
    assert r.exc("PLAIN").name == "ValueError"
    assert r.value("REAUTH") is None
    assert r.msgs() == [(b"t", b"meanwhile")]


def test_callback_details_on_3_1_1(runtime, broker, observer, mkparams):
    """set_callback(f, details=True) on MQTT 3.1.1, both runtimes: f(topic, msg, details)
    with the delivered QoS, RETAIN and DUP flags and properties {} (spec/PYAPI.md "MQTT 5");
    set_callback(f) goes back to f(topic, msg)."""
    p = mkparams(broker)
    obs = observer(broker)
    obs.publish(p["TOPIC"] + "/r", b"kept", qos=1, retain=True)
    proc = runtime.start("""
        def on_detail(t, m, d):
            MSGS.append(t)
            print("DETAIL", repr((t, m, d.qos, d.retain, d.dup, d.properties)))
        c = new_client()
        c.set_callback(on_detail, details=True)
        c.connect()
        c.subscribe(TOPIC + "/#", 2)
        print("READY")
        poll(c, 2, 10000)
        c.set_callback(on_msg)
        c.publish(TOPIC + "/plain", "p", qos=1)
        poll(c, 3, 10000)
        c.disconnect()
    """, p)
    proc.expect("READY")
    obs.publish(p["TOPIC"] + "/live", b"two", qos=2)
    r = proc.wait().check()
    details = [ast.literal_eval(ln.split(" ", 1)[1]) for ln in r.lines if ln.startswith("DETAIL ")]
    t = p["TOPIC"].encode()
    assert sorted(details) == [(t + b"/live", b"two", 2, False, False, {}),
                               (t + b"/r", b"kept", 1, True, False, {})]
    assert (t + b"/plain", b"p") in r.msgs()
