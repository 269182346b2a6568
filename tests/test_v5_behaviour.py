"""What the core must get right on MQTT 5, seen through the Python API on both runtimes,
against a fake broker (these are packets a real broker does not send, or limits Mosquitto
does not announce): inbound topic aliases, the CONNACK's limits enforced before sending,
and malformed or misplaced MQTT 5 packets answered with DISCONNECT and the reason code
of sec 4.13, raised as MQTTException(256, ...)."""

import struct

from harness import fakebroker as fb

AUTH = 15


def props(*items):
    b = b"".join(items)
    return fb.varint(len(b)) + b


def p_str(pid, s):
    return bytes([pid]) + fb.mqtt_str(s)


def p_u8(pid, v):
    return bytes([pid, v])


def p_u16(pid, v):
    return bytes([pid]) + struct.pack("!H", v)


def p_u32(pid, v):
    return bytes([pid]) + struct.pack("!I", v)


CONTENT_TYPE, SESSION_EXPIRY, SUB_ID = 0x03, 0x11, 0x0B
RECEIVE_MAX, ALIAS_MAX, ALIAS = 0x21, 0x22, 0x23
MAX_QOS, RETAIN_AVAILABLE, MAX_PACKET = 0x24, 0x25, 0x27


def connack5(*items):
    return fb.packet(fb.CONNACK, 0, b"\x00\x00" + props(*items))


def publish5(topic, payload, *items, prop_bytes=None):
    p = props(*items) if prop_bytes is None else prop_bytes
    return fb.packet(fb.PUBLISH, 0, fb.mqtt_str(topic) + p + payload)


def test_inbound_topic_aliases(runtime, fake_broker, mkparams):
    """A client that announced topic_alias_maximum resolves the broker's aliases (a PUBLISH
    with an empty topic and a known alias), on every connection afresh."""
    proc = runtime.start("""
        c = new_client(protocol=5)
        c.set_callback(on_msg)
        for n in range(2):
            c.connect(properties={"topic_alias_maximum": 4})
            c.wait_msg()
            c.wait_msg()
            attempt("STALE%d" % n, c.wait_msg)
    """, mkparams(fake_broker))
    for n in range(2):
        fake_broker.accept()
        p = fake_broker.expect(fb.CONNECT)
        assert p_u16(ALIAS_MAX, 4) in p.body
        fake_broker.send(connack5())
        fake_broker.send(publish5("a/b", b"one%d" % n, p_u16(ALIAS, 1)))
        fake_broker.send(publish5("", b"two%d" % n, p_u16(ALIAS, 1)))
        # Alias 2 was never set on this connection: a protocol error (0x82).
        fake_broker.send(publish5("", b"never", p_u16(ALIAS, 2)))
        d = fake_broker.expect(fb.DISCONNECT)
        assert d.body[:1] == b"\x82", d
        assert fake_broker.closed_by_client()
    r = proc.wait(30).check()
    assert r.msgs() == [(b"a/b", b"one0"), (b"a/b", b"two0"), (b"a/b", b"one1"), (b"a/b", b"two1")]
    for n in range(2):
        e = r.exc("STALE%d" % n)
        assert e.name == "MQTTException" and e.args[0] == 256, e


def test_connack_limits_refuse_before_sending(runtime, fake_broker, mkparams):
    """The CONNACK's maximum_packet_size, maximum_qos and retain_available: a publish the
    broker would refuse raises ValueError and nothing is sent."""
    proc = runtime.start("""
        c = new_client(protocol=5)
        c.connect()
        print("LIMITS", sorted(c.connack_properties.items()))
        attempt("BIG", c.publish, TOPIC, b"x" * 200)
        attempt("QOS2", c.publish, TOPIC, b"x", False, 2)
        attempt("RETAIN", c.publish, TOPIC, b"x", True)
        attempt("FINE", c.publish, TOPIC, b"fine")
        c.disconnect()
    """, mkparams(fake_broker))
    fake_broker.accept()
    fake_broker.expect(fb.CONNECT)
    fake_broker.send(connack5(p_u32(MAX_PACKET, 100), p_u8(MAX_QOS, 1), p_u8(RETAIN_AVAILABLE, 0)))
    p = fake_broker.next_packet()
    assert p.type == fb.PUBLISH and p.body.endswith(b"fine"), p
    fake_broker.expect(fb.DISCONNECT)
    r = proc.wait(30).check()
    assert r.get("LIMITS") == str([("maximum_packet_size", 100), ("maximum_qos", 1),
                                   ("retain_available", 0)])
    for label in ("BIG", "QOS2", "RETAIN"):
        assert r.exc(label).name == "ValueError", r.exc(label)
    assert r.value("FINE") is None


# (case, what the broker sends after CONNACK, the DISCONNECT reason code expected)
MALFORMED = [
    ("repeated-property", publish5("t", b"x", p_str(CONTENT_TYPE, "a"), p_str(CONTENT_TYPE, "b")),
     0x82),
    ("truncated-properties", publish5("t", b"", prop_bytes=fb.varint(10) + p_str(CONTENT_TYPE, "ab")),
     0x81),
    ("misplaced-property", publish5("t", b"x", p_u32(SESSION_EXPIRY, 5)), 0x81),
    ("unknown-property", publish5("t", b"x", b"\x7f\x00"), 0x81),
    ("subscription-id-zero", publish5("t", b"x", b"\x0b\x00"), 0x82),
    ("topic-alias-zero", publish5("t", b"x", p_u16(ALIAS, 0)), 0x94),
    ("topic-alias-above-maximum", publish5("t", b"x", p_u16(ALIAS, 5)), 0x94),
    ("unsolicited-auth", fb.packet(AUTH, 0, b"\x18" + props(p_str(0x15, "X"))), 0x82),
    ("connack-twice", connack5(), 0x82),
]


def test_malformed_v5_packets_disconnect_with_reason(runtime, fake_broker, mkparams):
    """Every malformed or out-of-place MQTT 5 packet is a protocol error: the client sends
    DISCONNECT with the reason code of sec 4.13 and raises MQTTException(256, ...) from the
    call that read it; the next connect() works."""
    p = mkparams(fake_broker)
    p["CASES"] = [c[0] for c in MALFORMED]
    proc = runtime.start("""
        for cid in CASES:
            c = MQTTClient("v5h-" + cid, HOST, PORT, protocol=5)
            c.set_callback(on_msg)
            c.connect(properties={"topic_alias_maximum": 4})
            attempt("CASE-" + cid, c.wait_msg)
            c.disconnect()
    """, p)
    problems = []
    for cid, data, code in MALFORMED:
        fake_broker.accept()
        fake_broker.expect(fb.CONNECT)
        fake_broker.send(connack5())
        fake_broker.send(data)
        d = fake_broker.expect(fb.DISCONNECT)
        if d.body[:1] != bytes([code]):
            problems.append("%s: DISCONNECT %r, expected reason 0x%02x" % (cid, d.body, code))
        assert fake_broker.closed_by_client()
    r = proc.wait(60).check()
    for cid, _, _ in MALFORMED:
        e = r.exc("CASE-" + cid)
        if e.name != "MQTTException" or e.args[0] != 256:
            problems.append("%s: raised %s%r" % (cid, e.name, e.args))
    assert r.msgs() == []
    assert not problems, "\n".join(problems)
