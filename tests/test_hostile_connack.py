"""Hostile broker, the connection handshake: CONNACK with bad lengths, flags and return
codes, packets before CONNACK, a second CONNACK later on. Table-driven, see
harness/hostile.py; sec 3.2 of MQTT 3.1.1 is the source of every case."""

from harness import hostile as h
from harness.fakebroker import (PINGRESP, PUBACK, PUBCOMP, PUBREC, PUBREL, ack, connack,
                                packet, publish, suback, unsuback)
from harness.hostile import Accept, Case, Drip, E, Violation

V = Violation
T = h.TOPIC
OK = connack()
FIRST = "[MQTT-3.2.0-1] (the first packet from the server MUST be CONNACK)"
TABLE31 = "sec 3.2.2.3 Table 3.1"

CASES = [
    # --- return codes: 1..5 are refusals, 6..255 reserved -----------------------------
    Case("rc1", "connect", "CONNACK rc 1 (unacceptable protocol version), %s, then "
         "[MQTT-3.2.2-5]" % TABLE31, [connack(rc=1)], V(1)),
    Case("rc2", "connect", "CONNACK rc 2 (identifier rejected), " + TABLE31,
         [connack(rc=2)], V(2)),
    Case("rc3", "connect", "CONNACK rc 3 (server unavailable), " + TABLE31,
         [connack(rc=3)], V(3)),
    Case("rc4", "connect", "CONNACK rc 4 (bad user name or password), " + TABLE31,
         [connack(rc=4)], V(4)),
    Case("rc5", "connect", "CONNACK rc 5 (not authorized), " + TABLE31, [connack(rc=5)],
         V(5)),
    Case("rc6", "connect", "CONNACK rc 6: reserved, %s [MQTT-4.8.0-1]" % TABLE31,
         [connack(rc=6)], V()),
    Case("rc128", "connect", "CONNACK rc 0x80 (an MQTT 5 reason code): reserved in "
         "3.1.1, " + TABLE31, [connack(rc=0x80)], V()),
    Case("rc255", "connect", "CONNACK rc 255: reserved, " + TABLE31, [connack(rc=255)],
         V()),
    Case("rc2-then-publish", "connect", "refusal followed by a PUBLISH the broker should "
         "not send: still the refusal [MQTT-3.2.2-5]",
         [connack(rc=2) + publish(T, b"x")], V(2)),
    # --- acknowledge flags: bits 7-1 reserved, session present only with rc 0 ----------
    Case("flags-02", "connect", "connect acknowledge flags 0x02: reserved bits, "
         "sec 3.2.2.1", [b"\x20\x02\x02\x00"], V()),
    Case("flags-80", "connect", "connect acknowledge flags 0x80, sec 3.2.2.1",
         [b"\x20\x02\x80\x00"], V()),
    Case("flags-ff", "connect", "connect acknowledge flags 0xff, sec 3.2.2.1",
         [b"\x20\x02\xff\x00"], V()),
    Case("sp1-rc1", "connect", "session present with a refusal [MQTT-3.2.2-4]",
         [b"\x20\x02\x01\x01"], V()),
    Case("sp1-rc5", "connect", "session present with rc 5 [MQTT-3.2.2-4]",
         [b"\x20\x02\x01\x05"], V()),
    Case("sp1-clean", "connect", "session present 1 answering clean_session=1: the "
         "server broke [MQTT-3.2.2-1]; nothing is lost, so the client goes on (3.1.1 "
         "gives the client no rule) and reports it", [connack(session_present=1)],
         Accept(sp=1)),
    # --- packets before CONNACK -----------------------------------------------------
    Case("pingresp-first", "connect", "PINGRESP before CONNACK " + FIRST,
         [packet(PINGRESP, 0, b""), OK], V()),
    Case("publish-first", "connect", "PUBLISH before CONNACK " + FIRST,
         [publish(T, b"early"), OK], V()),
    Case("publish-qos1-first", "connect", "QoS 1 PUBLISH before CONNACK " + FIRST,
         [publish(T, b"early", qos=1, pid=3), OK], V()),
    Case("puback-first", "connect", "PUBACK before CONNACK " + FIRST, [ack(PUBACK, 1)],
         V()),
    Case("pubrec-first", "connect", "PUBREC before CONNACK " + FIRST, [ack(PUBREC, 1)],
         V()),
    Case("pubrel-first", "connect", "PUBREL before CONNACK " + FIRST, [ack(PUBREL, 1)],
         V()),
    Case("pubcomp-first", "connect", "PUBCOMP before CONNACK " + FIRST,
         [ack(PUBCOMP, 1)], V()),
    Case("suback-first", "connect", "SUBACK before CONNACK " + FIRST, [suback(1, 0)], V()),
    Case("unsuback-first", "connect", "UNSUBACK before CONNACK " + FIRST, [unsuback(1)],
         V()),
    Case("pingresp-coalesced-first", "connect", "PINGRESP and CONNACK in one segment "
         + FIRST, [packet(PINGRESP, 0, b"") + OK], V()),
    # --- a second CONNACK ------------------------------------------------------------
    Case("second-connack-wait", "wait", "a second CONNACK: the server sends one per "
         "CONNECT, sec 3.2 [MQTT-4.8.0-1]", [OK], V()),
    Case("second-connack-check", "check", "a second CONNACK while polling, sec 3.2",
         [OK], V()),
    Case("second-connack-coalesced", "connect", "two CONNACKs in one segment, sec 3.2",
         [OK + OK], V()),
    Case("second-connack-refusal", "wait", "CONNACK rc 0, then CONNACK rc 5, sec 3.2",
         [connack(rc=5)], V()),
    Case("second-connack-during-pub1", "pub1", "CONNACK instead of PUBACK, sec 3.2",
         [OK], V()),
    Case("second-connack-during-sub", "sub", "CONNACK instead of SUBACK, sec 3.2", [OK],
         V()),
    Case("second-connack-during-unsub", "unsub", "CONNACK instead of UNSUBACK, sec 3.2",
         [OK], V()),
    Case("second-connack-sp1", "pub2", "CONNACK(session present) instead of PUBREC, "
         "sec 3.2", [connack(session_present=1)], V()),
    # --- legal but unusual handshakes -------------------------------------------------
    Case("connack-drip", "connect", "CONNACK one byte per segment, sec 4.2 (any "
         "segmentation)", [Drip(OK, 0.05)], Accept(sp=0)),
    Case("connack-nonminimal", "connect", "CONNACK with length 2 written as 82 00, "
         "sec 2.2.3", [b"\x20\x82\x00\x00\x00"], Accept(sp=0)),
    Case("connack-then-publish", "connect", "CONNACK and a QoS 1 PUBLISH in one segment: "
         "the PUBLISH is kept and delivered later [MQTT-4.3.2-2]",
         [OK + publish(T, b"early", qos=1, pid=5)],
         Accept(replies=[(PUBACK, 5)], msgs=[b"early"], sp=0)),
    Case("connack-then-pingresp", "connect", "CONNACK and an unsolicited PINGRESP in one "
         "segment, sec 3.13", [OK + packet(PINGRESP, 0, b"")], Accept(sp=0)),
    Case("connack-then-qos2", "connect", "CONNACK and a QoS 2 PUBLISH in one segment, "
         "then its PUBREL [MQTT-4.3.3-2]",
         [OK + publish(T, b"early2", qos=2, pid=6), E(PUBREC, 6), ack(PUBREL, 6),
          E(PUBCOMP, 6)], Accept(msgs=[b"early2"], sp=0)),
    Case("connack-sp1-then-pubrel", "connect", "session present and a PUBREL for a "
         "message the client does not know: PUBCOMP [MQTT-4.3.3-2] [MQTT-4.4.0-1]",
         [connack(session_present=1) + ack(PUBREL, 12)],
         Accept(replies=[(PUBCOMP, 12)], sp=1)),
    Case("connack-slow", "connect", "CONNACK after 1 s (within connect(timeout=1.5)), "
         "sec 3.1.4", [h.Sleep(1.0), OK], Accept(sp=0)),
]


def test_hostile_connack(runtime, fake_broker):
    h.run(runtime, fake_broker, CASES)
