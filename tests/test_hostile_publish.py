"""Hostile broker, inbound PUBLISH: QoS 3, wildcards / invalid UTF-8 / NUL / empty
topics, packet id 0, odd flags, duplicates and the QoS 2 receiver rules, unusual but
legal topics. Table-driven, see harness/hostile.py."""

from harness import hostile as h
from harness.fakebroker import (PUBACK, PUBCOMP, PUBREC, PUBREL, ack, mqtt_str, packet,
                                publish, suback, unsuback)
from harness.hostile import Accept, Case, E, Violation

V = Violation
T = h.TOPIC
PUBACK1, PUBREC1, PUBCOMP1 = ack(PUBACK, 1), ack(PUBREC, 1), ack(PUBCOMP, 1)
UTF8 = "[MQTT-1.5.3-1] [MQTT-3.3.2-1] (topic MUST be well-formed UTF-8)"


def raw_topic(topic, payload=b"p", qos=0, pid=None, flags=None):
    """A PUBLISH with a topic given as raw bytes (no validation)."""
    body = len(topic).to_bytes(2, "big") + topic
    if qos:
        body += pid.to_bytes(2, "big")
    return packet(3, (qos << 1) if flags is None else flags, body + payload)


def qos2_flow(pid, payload, dup=False):
    """Ops for one inbound QoS 2 message, PUBLISH to PUBCOMP."""
    return [publish(T, payload, qos=2, pid=pid, dup=dup), E(PUBREC, pid), ack(PUBREL, pid),
            E(PUBCOMP, pid)]


MAX_TOPIC = "m" * 65535
# 200 distinct packet ids spread over the whole id space, both ends included.
Q2_IDS = [1 + i * 7919 % 65535 for i in range(199)] + [65535]
CASES = [
    # --- QoS 3 ---------------------------------------------------------------------------
    Case("qos3", "wait", "PUBLISH with both QoS bits set [MQTT-3.3.1-4]",
         [b"\x36\x05\x00\x01t\x00\x01"], V()),
    Case("qos3-dup-retain", "wait", "PUBLISH with flags 1111 (QoS 3) [MQTT-3.3.1-4]",
         [b"\x3f\x05\x00\x01t\x00\x01"], V()),
    Case("qos3-check", "check", "QoS 3 PUBLISH while polling [MQTT-3.3.1-4]",
         [b"\x36\x05\x00\x01t\x00\x02"], V()),
    Case("qos3-during-pub1", "pub1", "QoS 3 PUBLISH where the PUBACK should be "
         "[MQTT-3.3.1-4]", [b"\x36\x05\x00\x01t\x00\x02"], V()),
    Case("qos3-during-sub", "sub", "QoS 3 PUBLISH where the SUBACK should be "
         "[MQTT-3.3.1-4]", [b"\x36\x05\x00\x01t\x00\x02"], V()),
    # --- wildcards in the topic name ---------------------------------------------------
    Case("topic-hash", "wait", "topic 'a/#' [MQTT-3.3.2-2]", [publish("a/#", b"x")], V()),
    Case("topic-hash-alone", "wait", "topic '#' [MQTT-3.3.2-2]", [publish("#", b"x")], V()),
    Case("topic-plus", "wait", "topic '+' [MQTT-3.3.2-2]", [publish("+", b"x")], V()),
    Case("topic-plus-mid", "check", "topic 'a/+/b' [MQTT-3.3.2-2]",
         [publish("a/+/b", b"x", qos=1, pid=4)], V()),
    Case("topic-plus-in-word", "wait", "topic 'a+b' (a wildcard char inside a level) "
         "[MQTT-3.3.2-2]", [publish("a+b", b"x")], V()),
    Case("topic-hash-qos2", "pub1", "QoS 2 PUBLISH to 'x/#' during a QoS 1 publish "
         "[MQTT-3.3.2-2]", [publish("x/#", b"x", qos=2, pid=4)], V()),
    # --- invalid UTF-8 / U+0000 ------------------------------------------------------------
    Case("utf8-bad-continuation", "wait", "topic C3 28 " + UTF8,
         [raw_topic(b"a\xc3\x28")], V()),
    Case("utf8-lone-continuation", "wait", "topic with a lone 0x80 " + UTF8,
         [raw_topic(b"\x80abc")], V()),
    Case("utf8-overlong", "wait", "overlong '/' C0 AF " + UTF8, [raw_topic(b"a\xc0\xafb")],
         V()),
    Case("utf8-surrogate", "wait", "U+D800 encoded ED A0 80 (surrogates MUST NOT appear) "
         + UTF8, [raw_topic(b"\xed\xa0\x80")], V()),
    Case("utf8-truncated", "check", "topic ending inside a 3-byte sequence E2 82 " + UTF8,
         [raw_topic(b"euro\xe2\x82")], V()),
    Case("utf8-5byte", "wait", "5-byte sequence F8 88 80 80 80 " + UTF8,
         [raw_topic(b"\xf8\x88\x80\x80\x80")], V()),
    Case("utf8-above-max", "wait", "code point above U+10FFFF (F4 90 80 80) " + UTF8,
         [raw_topic(b"\xf4\x90\x80\x80")], V()),
    Case("utf8-ff", "wait", "byte 0xFF in the topic " + UTF8, [raw_topic(b"a\xffb")], V()),
    Case("utf8-qos1", "pub1", "invalid UTF-8 in a QoS 1 PUBLISH during a publish: no "
         "PUBACK for it " + UTF8, [raw_topic(b"\xc3", qos=1, pid=3)], V()),
    Case("nul-in-topic", "wait", "U+0000 inside the topic [MQTT-1.5.3-2] [MQTT-4.7.3-2]",
         [raw_topic(b"a\x00b")], V()),
    Case("nul-topic", "check", "topic that is one U+0000 [MQTT-1.5.3-2]",
         [raw_topic(b"\x00", qos=1, pid=2)], V()),
    # --- empty topic, packet id 0 -------------------------------------------------------
    Case("empty-topic", "wait", "zero-length topic [MQTT-4.7.3-1]", [raw_topic(b"")], V()),
    Case("empty-topic-qos1", "wait", "zero-length topic, QoS 1 [MQTT-4.7.3-1]",
         [raw_topic(b"", qos=1, pid=5)], V()),
    Case("pid0-qos1", "wait", "QoS 1 PUBLISH with packet id 0 [MQTT-2.3.1-1]",
         [publish(T, b"x", qos=1, pid=0)], V()),
    Case("pid0-qos2", "check", "QoS 2 PUBLISH with packet id 0 [MQTT-2.3.1-1]",
         [publish(T, b"x", qos=2, pid=0)], V()),
    Case("pid0-during-sub", "sub", "QoS 1 PUBLISH with packet id 0 before the SUBACK "
         "[MQTT-2.3.1-1]", [publish(T, b"x", qos=1, pid=0)], V()),
    Case("pid0-during-pub2", "pub2", "QoS 2 PUBLISH with packet id 0 during a QoS 2 "
         "publish [MQTT-2.3.1-1]", [publish(T, b"x", qos=2, pid=0)], V()),
    Case("qos2-unreleased-200", "wait", "200 QoS 2 messages left unreleased (MQTT 3.1.1 "
         "sets no limit; brokers leave hundreds): each delivered once and answered with "
         "PUBREC, a resent one (DUP) is not delivered again, the connection stays up; "
         "PUBRELs later get PUBCOMPs [MQTT-4.3.3-2]",
         [b"".join(publish(T, b"n%d" % i, qos=2, pid=p) for i, p in enumerate(Q2_IDS)),
          publish(T, b"n57", qos=2, pid=Q2_IDS[57], dup=True)]
         + [ack(PUBREL, p) for p in Q2_IDS],
         Accept(replies=[(PUBREC, p) for p in Q2_IDS] + [(PUBREC, Q2_IDS[57])]
                + [(PUBCOMP, p) for p in Q2_IDS],
                msgs=[b"n%d" % i for i in range(len(Q2_IDS))])),
    # --- odd but legal flags and duplicates -----------------------------------------------
    Case("qos0-dup", "wait", "QoS 0 PUBLISH with DUP set: the server broke "
         "[MQTT-3.3.1-2] but the message is intact; tolerated and delivered",
         [publish(T, b"d0", dup=True)], Accept(msgs=[b"d0"])),
    Case("qos1-dup-first", "wait", "QoS 1 PUBLISH with DUP on first sight [MQTT-3.3.1-1] "
         "[MQTT-3.3.1-3]", [publish(T, b"d1", qos=1, pid=8, dup=True)],
         Accept(replies=[(PUBACK, 8)], msgs=[b"d1"])),
    Case("qos1-twice", "wait", "the same QoS 1 packet id twice: both delivered and "
         "acknowledged (at least once) [MQTT-4.3.2-2]",
         [publish(T, b"a", qos=1, pid=8), publish(T, b"a", qos=1, pid=8, dup=True)],
         Accept(replies=[(PUBACK, 8), (PUBACK, 8)], msgs=[b"a", b"a"])),
    Case("qos2-dup-before-pubrel", "wait", "QoS 2 PUBLISH resent with DUP before PUBREL: "
         "PUBREC again, delivered once [MQTT-4.3.3-2]",
         [publish(T, b"once", qos=2, pid=7), E(PUBREC, 7),
          publish(T, b"once", qos=2, pid=7, dup=True), E(PUBREC, 7), ack(PUBREL, 7),
          E(PUBCOMP, 7)], Accept(msgs=[b"once"])),
    Case("qos2-resend-no-dup", "check", "QoS 2 PUBLISH resent without DUP before PUBREL: "
         "still one delivery [MQTT-4.3.3-2]",
         [publish(T, b"once", qos=2, pid=7), E(PUBREC, 7), publish(T, b"once", qos=2, pid=7),
          E(PUBREC, 7), ack(PUBREL, 7), E(PUBCOMP, 7)], Accept(msgs=[b"once"])),
    Case("qos2-reuse-after-pubcomp", "wait", "after PUBCOMP the id is free: the same id "
         "is a new message [MQTT-4.3.3-2]", qos2_flow(7, b"one") + qos2_flow(7, b"two"),
         Accept(msgs=[b"one", b"two"])),
    Case("pubrel-unknown", "wait", "PUBREL for an id never received: PUBCOMP anyway "
         "[MQTT-4.3.3-2]", [ack(PUBREL, 77)], Accept(replies=[(PUBCOMP, 77)])),
    Case("pubrel-twice", "wait", "PUBREL resent (our PUBCOMP may be lost): PUBCOMP each "
         "time [MQTT-4.3.3-2]", qos2_flow(9, b"q2") + [ack(PUBREL, 9), E(PUBCOMP, 9)],
         Accept(msgs=[b"q2"])),
    Case("pubrel-before-publish", "wait", "PUBREL then a PUBLISH with the same id: the "
         "PUBLISH is new [MQTT-4.3.3-2]",
         [ack(PUBREL, 8), E(PUBCOMP, 8)] + qos2_flow(8, b"late"), Accept(msgs=[b"late"])),
    Case("qos2-dup-first", "check", "QoS 2 with DUP on first sight: delivered once "
         "[MQTT-3.3.1-3]", qos2_flow(10, b"d2", dup=True), Accept(msgs=[b"d2"])),
    Case("qos2-same-id-both-ways", "pub2", "the broker's QoS 2 PUBLISH uses id 1 like "
         "the client's own QoS 2 PUBLISH: ids are per direction [MQTT-2.3.1-2] "
         "[MQTT-2.3.1-4]",
         [publish(T, b"mirror", qos=2, pid=1), E(PUBREC, 1), PUBREC1, E(PUBREL, 1),
          ack(PUBREL, 1), E(PUBCOMP, 1), PUBCOMP1], Accept(msgs=[b"mirror"])),
    Case("retain", "wait", "RETAIN set on a message to a client [MQTT-3.3.1-9]",
         [publish(T, b"kept", qos=1, pid=2, retain=True)],
         Accept(replies=[(PUBACK, 2)], msgs=[b"kept"])),
    Case("all-flags-qos1", "check", "QoS 1 with DUP and RETAIN, sec 3.3.1",
         [packet(3, 0x0B, mqtt_str(T) + b"\x00\x02" + b"f")],
         Accept(replies=[(PUBACK, 2)], msgs=[b"f"])),
    Case("empty-payload-qos1", "wait", "zero-length payload, QoS 1, sec 3.3.3",
         [publish(T, b"", qos=1, pid=3)], Accept(replies=[(PUBACK, 3)], msgs=[b""])),
    Case("pid-65535", "wait", "packet id 65535 [MQTT-2.3.1-1]",
         [publish(T, b"max", qos=1, pid=65535)],
         Accept(replies=[(PUBACK, 65535)], msgs=[b"max"])),
    # --- unusual but valid topics -------------------------------------------------------
    Case("topic-bom", "wait", "topic starting with EF BB BF: U+FEFF, not to be stripped "
         "[MQTT-1.5.3-3]", [raw_topic(b"\xef\xbb\xbfbom")],
         Accept(msgs=[(b"\xef\xbb\xbfbom", b"p")])),
    Case("topic-control-char", "wait", "U+0001 in the topic: SHOULD NOT be sent, a "
         "receiver MAY close, sec 1.5.3; accepted", [raw_topic(b"a\x01b")],
         Accept(msgs=[(b"a\x01b", b"p")])),
    Case("topic-noncharacter", "check", "U+FFFF (a non-character) in the topic, sec 1.5.3",
         [raw_topic(b"\xef\xbf\xbf")], Accept(msgs=[(b"\xef\xbf\xbf", b"p")])),
    Case("topic-4byte-utf8", "wait", "a 4-byte UTF-8 character (U+1F600) in the topic, "
         "sec 1.5.3", [raw_topic("t/\U0001F600".encode())],
         Accept(msgs=[("t/\U0001F600".encode(), b"p")])),
    Case("topic-dollar", "wait", "topic '$SYS/x', sec 4.7.2", [publish("$SYS/x", b"s")],
         Accept(msgs=[(b"$SYS/x", b"s")])),
    Case("topic-slash", "wait", "topic '/' (two empty levels), sec 4.7.1.1",
         [publish("/", b"s")], Accept(msgs=[(b"/", b"s")])),
    Case("topic-empty-levels", "check", "topic 'a//b/', sec 4.7.1.1",
         [publish("a//b/", b"s")], Accept(msgs=[(b"a//b/", b"s")])),
    Case("topic-max-length", "wait", "topic of 65,535 bytes [MQTT-4.7.3-3]",
         [publish(MAX_TOPIC, b"long", qos=1, pid=6)],
         Accept(replies=[(PUBACK, 6)], msgs=[(65535, b"long")])),
    Case("topic-not-subscribed", "wait", "a topic the client never subscribed to: the "
         "server broke [MQTT-3.3.2-3]; delivered like umqtt.simple does",
         [publish("never/subscribed", b"n")], Accept(msgs=[(b"never/subscribed", b"n")])),
    Case("payload-looks-like-packets", "wait", "a payload made of CONNACK, PINGREQ and "
         "DISCONNECT bytes: payload is opaque, sec 3.3.3",
         [publish(T, b"\x20\x02\x00\x00\xc0\x00\xe0\x00", qos=1, pid=5)],
         Accept(replies=[(PUBACK, 5)], msgs=[b"\x20\x02\x00\x00\xc0\x00\xe0\x00"])),
    # --- bursts, interleaving -------------------------------------------------------------
    Case("two-in-one-segment", "check", "two PUBLISHes in one segment, sec 4.2",
         [publish(T, b"a") + publish(T, b"b", qos=1, pid=2)],
         Accept(replies=[(PUBACK, 2)], msgs=[b"a", b"b"])),
    Case("qos1-burst-200", "wait", "200 QoS 1 messages in one burst: PUBACKs in order "
         "[MQTT-4.6.0-2]", [b"".join(publish(T, b"%d" % i, qos=1, pid=i + 1)
                                     for i in range(200))],
         Accept(replies=[(PUBACK, i + 1) for i in range(200)],
                msgs=[b"%d" % i for i in range(200)])),
    Case("qos2-burst-20", "check", "20 QoS 2 messages, each PUBLISH followed by its "
         "PUBREL, in one burst: PUBREC/PUBCOMP in order [MQTT-4.6.0-3]",
         [b"".join(publish(T, b"%d" % i, qos=2, pid=i + 1) + ack(PUBREL, i + 1)
                   for i in range(20))],
         Accept(replies=[r for i in range(20) for r in ((PUBREC, i + 1), (PUBCOMP, i + 1))],
                msgs=[b"%d" % i for i in range(20)])),
    Case("qos1-during-pub1", "pub1", "a QoS 1 message arrives while the client waits for "
         "its PUBACK: delivered and acknowledged [MQTT-4.3.2-2]",
         [publish(T, b"in", qos=1, pid=1), E(PUBACK, 1), PUBACK1], Accept(msgs=[b"in"])),
    Case("qos2-during-sub", "sub", "a QoS 2 message before the SUBACK, PUBREL after it "
         "[MQTT-4.3.3-2] [MQTT-3.8.4-3]",
         [publish(T, b"in2", qos=2, pid=3), E(PUBREC, 3), suback(1, 1), ack(PUBREL, 3),
          E(PUBCOMP, 3)], Accept(msgs=[b"in2"], ret=1)),
    Case("qos1-during-unsub", "unsub", "a QoS 1 message before the UNSUBACK "
         "[MQTT-3.10.4-3]", [publish(T, b"in3", qos=1, pid=4), E(PUBACK, 4), unsuback(1)],
         Accept(msgs=[b"in3"])),
    Case("qos2-during-pub2", "pub2", "an inbound QoS 2 flow interleaved with the "
         "client's own [MQTT-4.3.3-2]",
         [publish(T, b"x2", qos=2, pid=40), E(PUBREC, 40), PUBREC1, E(PUBREL, 1),
          ack(PUBREL, 40), E(PUBCOMP, 40), PUBCOMP1], Accept(msgs=[b"x2"])),
]


def test_hostile_publish(runtime, fake_broker):
    h.run(runtime, fake_broker, CASES)
