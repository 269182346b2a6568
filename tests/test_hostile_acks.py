"""Hostile broker, acknowledgements: unsolicited, duplicate, wrong-type and wrong-id
PUBACK / PUBREC / PUBREL / PUBCOMP / SUBACK / UNSUBACK, packet id 0, bad SUBACK return
codes. Table-driven, see harness/hostile.py.

The rule the client follows: an ack whose id is free (a late duplicate after a
retransmission) is ignored, PUBREC for a free id is answered with PUBREL (the broker
still holds that message); an ack of the wrong kind for an id in use, or a SUBACK nobody
asked for, is a violation of [MQTT-2.3.1-6] / [MQTT-2.3.1-7]."""

from harness import hostile as h
from harness.fakebroker import (PINGRESP, PUBACK, PUBCOMP, PUBREC, PUBREL, ack, packet,
                                publish, suback, unsuback)
from harness.hostile import Accept, Case, Drip, E, Sleep, Violation

V = Violation
T = h.TOPIC
PUBACK1, PUBREC1, PUBCOMP1 = ack(PUBACK, 1), ack(PUBREC, 1), ack(PUBCOMP, 1)
SAME_ID = "[MQTT-2.3.1-6] (PUBACK/PUBREC/PUBREL carry the PUBLISH's id)"
SUB_ID = "[MQTT-2.3.1-7] [MQTT-3.8.4-2] (SUBACK carries the SUBSCRIBE's id)"
UNSUB_ID = "[MQTT-2.3.1-7] [MQTT-3.10.4-4] (UNSUBACK carries the UNSUBSCRIBE's id)"
QOS2_END = [E(PUBREL, 1), PUBCOMP1]     # the normal end of the client's QoS 2 flow

CASES = [
    # --- PUBACK ---------------------------------------------------------------------------
    Case("puback-other-id", "pub1", "PUBACK for id 9 (not in use), then for id 1: the "
         "stray one is ignored " + SAME_ID, [ack(PUBACK, 9), PUBACK1], Accept()),
    Case("puback-twice", "pub1", "the PUBACK twice (a duplicate after a resend), "
         "[MQTT-4.3.2-1]", [PUBACK1, PUBACK1], Accept()),
    Case("puback-unsolicited", "wait", "PUBACK with nothing in flight, sec 3.4",
         [ack(PUBACK, 1)], Accept()),
    Case("puback-unsolicited-check", "check", "PUBACK for id 65535 while polling, sec 3.4",
         [ack(PUBACK, 65535)], Accept()),
    Case("puback-pid0", "pub1", "PUBACK with packet id 0 [MQTT-2.3.1-1] sec 2.3.1",
         [ack(PUBACK, 0)], V()),
    Case("puback-pid0-wait", "wait", "unsolicited PUBACK with packet id 0, sec 2.3.1",
         [ack(PUBACK, 0)], V()),
    Case("puback-for-qos2", "pub2", "PUBACK answering a QoS 2 PUBLISH [MQTT-4.3.3-1] "
         + SAME_ID, [PUBACK1], V()),
    Case("puback-for-pubrel", "pub2", "PUBACK answering the PUBREL (PUBCOMP expected) "
         "[MQTT-4.3.3-1]", [PUBREC1, E(PUBREL, 1), PUBACK1], V()),
    Case("puback-for-subscribe", "sub", "PUBACK answering a SUBSCRIBE " + SUB_ID,
         [PUBACK1], V()),
    Case("puback-for-unsubscribe", "unsub", "PUBACK answering an UNSUBSCRIBE " + UNSUB_ID,
         [PUBACK1], V()),
    Case("puback-after-pingresp", "pub1", "PINGRESP first, then the PUBACK, sec 3.13",
         [packet(PINGRESP, 0, b""), PUBACK1], Accept()),
    Case("puback-split", "pub1", "PUBACK in two segments, sec 4.2",
         [b"\x40\x02", Sleep(0.1), b"\x00\x01"], Accept()),
    Case("puback-slow", "pub1", "PUBACK after 0.5 s (pings keep the link alive), "
         "[MQTT-4.3.2-1]", [Sleep(0.5), PUBACK1], Accept()),
    Case("puback-with-publish", "pub1", "PUBACK and a QoS 1 PUBLISH in one segment "
         "[MQTT-4.3.2-2]", [PUBACK1 + publish(T, b"m", qos=1, pid=3)],
         Accept(replies=[(PUBACK, 3)], msgs=[b"m"])),
    # --- PUBREC ---------------------------------------------------------------------------
    Case("pubrec-for-qos1", "pub1", "PUBREC answering a QoS 1 PUBLISH [MQTT-4.3.2-1] "
         + SAME_ID, [PUBREC1], V()),
    Case("pubrec-pid0", "pub2", "PUBREC with packet id 0, sec 2.3.1", [ack(PUBREC, 0)],
         V()),
    Case("pubrec-twice", "pub2", "PUBREC twice: PUBREL each time [MQTT-4.3.3-1] "
         "[MQTT-4.4.0-1]", [PUBREC1, E(PUBREL, 1), PUBREC1] + QOS2_END, Accept()),
    Case("pubrec-other-id", "pub2", "PUBREC for id 9 (not in use): PUBREL 9 releases "
         "whatever the broker holds, then the real flow [MQTT-4.3.3-1]",
         [ack(PUBREC, 9), E(PUBREL, 9), PUBREC1] + QOS2_END, Accept()),
    Case("pubrec-unsolicited", "wait", "PUBREC with nothing in flight: answered PUBREL, "
         "sec 3.5", [ack(PUBREC, 33)], Accept(replies=[(PUBREL, 33)])),
    Case("pubrec-for-subscribe", "sub", "PUBREC answering a SUBSCRIBE " + SUB_ID,
         [PUBREC1], V()),
    Case("pubrec-for-unsubscribe", "unsub", "PUBREC answering an UNSUBSCRIBE " + UNSUB_ID,
         [PUBREC1], V()),
    Case("pubrec-drip", "pub2", "PUBREC one byte per segment, sec 4.2",
         [Drip(PUBREC1, 0.05)] + QOS2_END, Accept()),
    # --- PUBREL / PUBCOMP -----------------------------------------------------------------
    Case("pubrel-for-own-id", "pub2", "PUBREL with the id of the client's own QoS 2 "
         "PUBLISH: it is about the other direction, PUBCOMP [MQTT-4.3.3-2]",
         [ack(PUBREL, 1), E(PUBCOMP, 1), PUBREC1] + QOS2_END, Accept()),
    Case("pubrel-pid0", "wait", "PUBREL with packet id 0, sec 2.3.1", [ack(PUBREL, 0)],
         V()),
    Case("pubcomp-before-pubrec", "pub2", "PUBCOMP before PUBREC [MQTT-4.3.3-1]",
         [PUBCOMP1], V()),
    Case("pubcomp-for-qos1", "pub1", "PUBCOMP answering a QoS 1 PUBLISH [MQTT-4.3.2-1]",
         [PUBCOMP1], V()),
    Case("pubcomp-twice", "pub2", "PUBCOMP twice, [MQTT-4.3.3-1]",
         [PUBREC1, E(PUBREL, 1), PUBCOMP1, PUBCOMP1], Accept()),
    Case("pubcomp-other-id", "pub2", "PUBCOMP for id 5 (not in use) before the real one, "
         "sec 3.7", [PUBREC1, E(PUBREL, 1), ack(PUBCOMP, 5), PUBCOMP1], Accept()),
    Case("pubcomp-unsolicited", "check", "PUBCOMP with nothing in flight, sec 3.7",
         [ack(PUBCOMP, 3)], Accept()),
    Case("pubcomp-pid0", "pub2", "PUBCOMP with packet id 0, sec 2.3.1",
         [PUBREC1, E(PUBREL, 1), ack(PUBCOMP, 0)], V()),
    Case("pubcomp-for-subscribe", "sub", "PUBCOMP answering a SUBSCRIBE " + SUB_ID,
         [PUBCOMP1], V()),
    # --- SUBACK -----------------------------------------------------------------------------
    Case("suback-other-id", "sub", "SUBACK for id 9 " + SUB_ID, [suback(9, 1)], V()),
    Case("suback-two-codes", "sub", "two return codes for one filter [MQTT-3.8.4-5] "
         "[MQTT-3.9.3-1]", [suback(1, 1, 1)], V()),
    Case("suback-code-3", "sub", "return code 3 [MQTT-3.9.3-2]", [suback(1, 3)], V()),
    Case("suback-code-81", "sub", "return code 0x81 [MQTT-3.9.3-2]", [suback(1, 0x81)],
         V()),
    Case("suback-code-ff", "sub", "return code 0xff [MQTT-3.9.3-2]", [suback(1, 0xFF)],
         V()),
    Case("suback-pid0", "sub", "SUBACK with packet id 0, sec 2.3.1", [suback(0, 1)], V()),
    Case("suback-unsolicited", "wait", "SUBACK nobody asked for " + SUB_ID,
         [suback(1, 0)], V()),
    Case("suback-twice", "sub", "the SUBACK twice (SUBSCRIBE is never resent) " + SUB_ID,
         [suback(1, 1), suback(1, 1)], V()),
    Case("suback-for-publish", "pub1", "SUBACK answering a QoS 1 PUBLISH " + SUB_ID,
         [suback(1, 1)], V()),
    Case("suback-for-unsubscribe", "unsub", "SUBACK answering an UNSUBSCRIBE "
         + UNSUB_ID, [suback(1, 0)], V()),
    Case("suback-refused", "sub", "return code 0x80: the subscription failed, the "
         "connection is fine, sec 3.9.3 (MQTTException(128), as umqtt.simple)",
         [suback(1, 0x80)], Accept(soft=[("MQTTException", 128)])),
    Case("suback-granted-lower", "sub", "QoS 0 granted for QoS 1 [MQTT-3.8.4-6]",
         [suback(1, 0)], Accept(ret=0)),
    Case("suback-granted-higher", "sub", "QoS 2 granted for QoS 1: the server broke "
         "[MQTT-3.8.4-6]; reported as granted", [suback(1, 2)], Accept(ret=2)),
    Case("suback-after-pingresp", "sub", "PINGRESP then SUBACK, sec 3.13",
         [packet(PINGRESP, 0, b""), suback(1, 1)], Accept(ret=1)),
    Case("suback-with-retained", "sub", "SUBACK and a retained message in one segment "
         "[MQTT-3.3.1-9] [MQTT-3.8.4-3]",
         [suback(1, 1) + publish(T, b"r", qos=1, pid=2, retain=True)],
         Accept(replies=[(PUBACK, 2)], msgs=[b"r"], ret=1)),
    # --- UNSUBACK -----------------------------------------------------------------------
    Case("unsuback-other-id", "unsub", "UNSUBACK for id 9 (not in use), then the right "
         "one " + UNSUB_ID, [unsuback(9), unsuback(1)], Accept()),
    Case("unsuback-twice", "unsub", "the UNSUBACK twice " + UNSUB_ID,
         [unsuback(1), unsuback(1)], Accept()),
    Case("unsuback-unsolicited", "wait", "UNSUBACK nobody asked for, sec 3.11",
         [unsuback(4)], Accept()),
    Case("unsuback-pid0", "unsub", "UNSUBACK with packet id 0, sec 2.3.1", [unsuback(0)],
         V()),
    Case("unsuback-for-publish", "pub1", "UNSUBACK answering a QoS 1 PUBLISH "
         + SAME_ID, [unsuback(1)], V()),
    Case("unsuback-for-subscribe", "sub", "UNSUBACK answering a SUBSCRIBE " + SUB_ID,
         [unsuback(1)], V()),
    # --- PINGRESP -------------------------------------------------------------------------
    Case("pingresp-unsolicited", "wait", "PINGRESP without PINGREQ, sec 3.13",
         [packet(PINGRESP, 0, b"")], Accept()),
    Case("pingresp-many-check", "check", "50 PINGRESPs while polling, sec 3.13",
         [packet(PINGRESP, 0, b"") * 50], Accept()),
]


def test_hostile_acks(runtime, fake_broker):
    h.run(runtime, fake_broker, CASES)


def test_hostile_table_size():
    """The issue asks for at least 100 distinct sequences; every case cites its source."""
    import test_hostile_connack
    import test_hostile_framing
    import test_hostile_publish
    tables = (CASES, test_hostile_connack.CASES, test_hostile_framing.CASES,
              test_hostile_publish.CASES)
    every = [c for t in tables for c in t]
    h.check_table(every)
    assert len(every) >= 100, len(every)
