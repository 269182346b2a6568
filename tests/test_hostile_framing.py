"""Hostile broker, framing: wrong remaining lengths, truncated packets then silence,
reserved packet types and flag bits, packets only a client may send, oversized frames.
Table-driven (see harness/hostile.py); every case cites the MQTT 3.1.1 statement it
comes from. [MQTT-4.8.0-1]: on a protocol violation the receiver MUST close the network
connection, so each violation expects an exception and EOF at the fake broker."""

from harness import hostile as h
from harness.fakebroker import (CONNECT, PINGRESP, PUBACK, PUBCOMP, PUBREC, PUBREL,
                                SUBSCRIBE, UNSUBSCRIBE, ack, mqtt_str, packet, publish,
                                suback, unsuback)
from harness.hostile import CLOSE, Accept, Case, Drip, E, OSErr, Violation

T = h.TOPIC
V = Violation
PING_TIMEOUT = V(257, within=4.0)   # keepalive 1 s: PINGREQ at 0.75 s, no answer
PUBREC1, PUBCOMP1, PUBACK1 = ack(PUBREC, 1), ack(PUBCOMP, 1), ack(PUBACK, 1)
MB3 = 3 * 1024 * 1024


def nonminimal(n, width):
    """Remaining length n in `width` bytes (legal in 3.1.1, which asks for no minimum)."""
    out = []
    for i in range(width):
        b = (n >> (7 * i)) & 0x7F
        out.append(b | (0x80 if i < width - 1 else 0))
    return bytes(out)


def pub_nonminimal(payload, width):
    body = mqtt_str(T) + payload
    return b"\x30" + nonminimal(len(body), width) + body


GOOD = publish(T, b"after")
QOS1_9 = publish(T, b"q1", qos=1, pid=9)

RL = "sec 2.2.3 (remaining length: at most 4 bytes) [MQTT-4.8.0-1]"
CASES = [
    # --- remaining length: 5-byte varints ------------------------------------------
    Case("rl5-publish", "wait", "PUBLISH with a 5-byte remaining length; " + RL,
         [b"\x30\xff\xff\xff\xff\x01" + b"\x00" * 8], V()),
    Case("rl5-pingresp", "wait", "PINGRESP whose length 0 is spread over 5 bytes; " + RL,
         [b"\xd0\x80\x80\x80\x80\x00"], V()),
    Case("rl5-check", "check", "5-byte remaining length seen by check_msg; " + RL,
         [b"\x30\xff\xff\xff\xff\x7f"], V()),
    Case("rl5-connack", "connect", "CONNACK with a 5-byte remaining length; " + RL,
         [b"\x20\x82\x80\x80\x80\x00\x00\x00"], V()),
    Case("rl5-during-puback-wait", "pub1", "5-byte length where the PUBACK should be; " + RL,
         [b"\x40\xff\xff\xff\xff\x7f"], V()),
    Case("rl5-after-good-publish", "wait", "a good PUBLISH, then a 5-byte length: the "
         "first is delivered, the rest is a violation; " + RL,
         [GOOD + b"\x30\x80\x80\x80\x80\x01"], V(msgs=[b"after"])),
    Case("rl5-drip", "check", "a 5-byte remaining length arriving one byte at a time; "
         + RL, [Drip(b"\x30\xff\xff\xff\xff\x01", 0.02)], V()),
    # --- remaining length does not match the packet's fields ------------------------
    Case("rl-puback-short", "pub1", "PUBACK with remaining length 1, sec 3.4.1 (must be 2) "
         "[MQTT-4.8.0-1]", [b"\x40\x01\x00"], V()),
    Case("rl-puback-long", "pub1", "PUBACK with remaining length 3, sec 3.4.1 "
         "[MQTT-4.8.0-1]", [b"\x40\x03\x00\x01\x00"], V()),
    Case("rl-pubrec-long", "pub2", "PUBREC with remaining length 3, sec 3.5.1 "
         "[MQTT-4.8.0-1]", [b"\x50\x03\x00\x01\x00"], V()),
    Case("rl-pubrel-short", "wait", "PUBREL with remaining length 1, sec 3.6.1 "
         "[MQTT-4.8.0-1]", [b"\x62\x01\x00"], V()),
    Case("rl-pubcomp-long", "pub2", "PUBCOMP with remaining length 4, sec 3.7.1 "
         "[MQTT-4.8.0-1]", [PUBREC1, E(PUBREL, 1), b"\x70\x04\x00\x01\x00\x00"], V()),
    Case("rl-unsuback-short", "unsub", "UNSUBACK with remaining length 1, sec 3.11.1 "
         "[MQTT-4.8.0-1]", [b"\xb0\x01\x00"], V()),
    Case("rl-unsuback-long", "unsub", "UNSUBACK with remaining length 3, sec 3.11.1 "
         "[MQTT-4.8.0-1]", [b"\xb0\x03\x00\x01\x00"], V()),
    Case("rl-suback-no-codes", "sub", "SUBACK with only a packet id: one return code per "
         "filter is required [MQTT-3.8.4-5]", [b"\x90\x02\x00\x01"], V()),
    Case("rl-pingresp-long", "wait", "PINGRESP with remaining length 1, sec 3.13.1 "
         "[MQTT-4.8.0-1]", [b"\xd0\x01\x00"], V()),
    Case("rl-connack-long", "connect", "CONNACK with remaining length 3, sec 3.2.1 "
         "[MQTT-4.8.0-1]", [b"\x20\x03\x00\x00\x00"], V()),
    Case("rl-connack-short", "connect", "CONNACK with remaining length 1, sec 3.2.1 "
         "[MQTT-4.8.0-1]", [b"\x20\x01\x00"], V()),
    Case("rl-connack-zero", "connect", "CONNACK with remaining length 0, sec 3.2.1 "
         "[MQTT-4.8.0-1]", [b"\x20\x00"], V()),
    Case("rl-publish-zero", "wait", "PUBLISH with remaining length 0 (no topic) "
         "[MQTT-3.3.2-1]", [b"\x30\x00"], V()),
    Case("rl-publish-qos1-no-pid", "wait", "QoS 1 PUBLISH that ends after its topic, no "
         "packet id [MQTT-2.3.1-1]", [b"\x32\x03\x00\x01t"], V()),
    Case("rl-topic-past-end", "wait", "topic length 16 in a 4-byte body [MQTT-3.3.2-1]",
         [b"\x30\x04\x00\x10ab"], V()),
    Case("rl-topic-len-ffff", "check", "topic length 65535 in a 3-byte body "
         "[MQTT-3.3.2-1]", [b"\x30\x03\xff\xffa"], V()),
    Case("rl-topic-hides-next", "wait", "a PUBLISH whose topic length (9) runs into the "
         "next packet: must not resync onto it [MQTT-3.3.2-1] [MQTT-4.8.0-1]",
         [b"\x30\x05\x00\x09abc" + GOOD], V()),
    # --- legal but unusual lengths ----------------------------------------------------
    Case("rl-nonminimal-pingresp", "wait", "PINGRESP with length 0 written as 80 00: "
         "sec 2.2.3 of 3.1.1 does not require the shortest form", [b"\xd0\x80\x00"],
         Accept()),
    Case("rl-nonminimal-publish", "wait", "PUBLISH whose length uses 4 bytes, sec 2.2.3",
         [pub_nonminimal(b"nm4", 4)], Accept(msgs=[b"nm4"])),
    Case("rl-nonminimal-publish-check", "check", "PUBLISH whose length uses 3 bytes, "
         "sec 2.2.3", [pub_nonminimal(b"nm3", 3)], Accept(msgs=[b"nm3"])),
    Case("rl-nonminimal-puback", "pub1", "PUBACK with length 2 written as 82 00, sec 2.2.3",
         [b"\x40\x82\x00\x00\x01"], Accept()),
    Case("rl-2byte", "wait", "PUBLISH of 200 bytes: 2-byte remaining length, sec 2.2.3",
         [publish(T, b"x" * 200)], Accept(msgs=[200])),
    Case("rl-3byte", "check", "PUBLISH of 70,000 bytes: 3-byte remaining length, sec 2.2.3",
         [publish(T, b"y" * 70000, qos=1, pid=3)], Accept(replies=[(PUBACK, 3)],
                                                         msgs=[70000])),
    Case("rl-empty-payload", "wait", "QoS 0 PUBLISH whose length ends with the topic: a "
         "zero-length payload, sec 3.3.3", [publish(T, b"")], Accept(msgs=[b""])),
    # --- truncated packets, then silence (keepalive must notice) ------------------------
    Case("trunc-first-byte", "wait", "one byte of a PUBLISH, then silence: no PINGRESP "
         "comes, sec 3.1.2.10 (client SHOULD close)", [b"\x30"], PING_TIMEOUT),
    Case("trunc-varint", "wait", "a PUBLISH header cut inside its remaining length, then "
         "silence, sec 3.1.2.10", [b"\x30\x80"], PING_TIMEOUT),
    Case("trunc-header-only", "wait", "fixed header of a 10-byte QoS 1 PUBLISH, then "
         "silence, sec 3.1.2.10", [b"\x32\x0a"], PING_TIMEOUT),
    Case("trunc-mid-topic", "wait", "PUBLISH cut inside its topic, then silence, "
         "sec 3.1.2.10", [b"\x30\x0a\x00\x05ab"], PING_TIMEOUT),
    Case("trunc-mid-payload", "wait", "PUBLISH missing its last byte, then silence, "
         "sec 3.1.2.10", [GOOD[:-1]], PING_TIMEOUT),
    Case("trunc-check", "check", "PUBLISH missing 3 bytes while the client polls, then "
         "silence, sec 3.1.2.10", [QOS1_9[:-3]], PING_TIMEOUT),
    Case("trunc-puback", "pub1", "half a PUBACK, then silence, sec 3.1.2.10",
         [b"\x40\x02\x00"], PING_TIMEOUT),
    Case("trunc-pubcomp", "pub2", "half a PUBCOMP after PUBREC/PUBREL, then silence, "
         "sec 3.1.2.10", [PUBREC1, E(PUBREL, 1), b"\x70\x02\x00"], PING_TIMEOUT),
    Case("trunc-suback", "sub", "SUBACK without its return code, then silence, "
         "sec 3.1.2.10", [b"\x90\x03\x00\x01"], PING_TIMEOUT),
    Case("trunc-unsuback", "unsub", "UNSUBACK header only, then silence, sec 3.1.2.10",
         [b"\xb0\x02"], PING_TIMEOUT),
    Case("trunc-connack", "connect", "half a CONNACK, then silence: connect(timeout=1.5) "
         "gives up [MQTT-3.2.0-1]", [b"\x20\x02\x00"], OSErr(110)),
    Case("trunc-connack-first-byte", "connect", "one byte of CONNACK, then silence "
         "[MQTT-3.2.0-1]", [b"\x20"], OSErr(110)),
    Case("trunc-then-close", "wait", "PUBLISH cut after 4 bytes, then the broker closes: "
         "OSError(-1), sec 4.8", [b"\x30\x0a\x00\x05", CLOSE], OSErr(-1, eof=False)),
    Case("trunc-connack-then-close", "connect", "half a CONNACK, then the broker closes "
         "[MQTT-3.2.2-6]", [b"\x20\x02", CLOSE], OSErr(-1, eof=False)),
    Case("silence-after-connack", "wait", "nothing at all after CONNACK, not even a "
         "PINGRESP, sec 3.1.2.10", [], PING_TIMEOUT),
    Case("silence-during-puback-wait", "pub1", "no PUBACK and no PINGRESP, sec 3.1.2.10",
         [], PING_TIMEOUT),
    Case("silence-during-suback-wait", "sub", "no SUBACK and no PINGRESP, sec 3.1.2.10",
         [], PING_TIMEOUT),
    Case("silence-instead-of-connack", "connect", "no CONNACK at all [MQTT-3.2.0-1]",
         [], OSErr(110)),
    Case("close-instead-of-connack", "connect", "the broker closes without CONNACK "
         "[MQTT-3.2.2-6]", [CLOSE], OSErr(-1, eof=False)),
    # --- reserved packet types 0 and 15 (Table 2.1) ------------------------------------
    Case("type0-empty", "wait", "packet type 0, sec 2.2.1 Table 2.1 (Reserved, "
         "forbidden) [MQTT-4.8.0-1]", [b"\x00\x00"], V()),
    Case("type0-body", "wait", "packet type 0 with a 2-byte body, sec 2.2.1 Table 2.1",
         [b"\x00\x02\x00\x01"], V()),
    Case("type15-empty", "wait", "packet type 15, sec 2.2.1 Table 2.1 (Reserved)",
         [b"\xf0\x00"], V()),
    Case("type15-flags", "wait", "packet type 15 with all flag bits set, sec 2.2.1",
         [b"\xff\x00"], V()),
    Case("type15-check", "check", "packet type 15 with a body, while polling, sec 2.2.1",
         [b"\xf0\x03\x01\x02\x03"], V()),
    Case("type0-before-connack", "connect", "packet type 0 instead of CONNACK, sec 2.2.1 "
         "[MQTT-3.2.0-1]", [b"\x00\x00"], V()),
    Case("type15-during-puback-wait", "pub1", "packet type 15 where the PUBACK should "
         "be, sec 2.2.1", [b"\xf0\x00"], V()),
    # --- reserved flag bits (Table 2.2) --------------------------------------------------
    Case("flags-puback-2", "pub1", "PUBACK with flags 0010 [MQTT-2.2.2-1] [MQTT-2.2.2-2]",
         [b"\x42\x02\x00\x01"], V()),
    Case("flags-puback-f", "pub1", "PUBACK with flags 1111 [MQTT-2.2.2-2]",
         [b"\x4f\x02\x00\x01"], V()),
    Case("flags-pubrec-1", "pub2", "PUBREC with flags 0001 [MQTT-2.2.2-2]",
         [b"\x51\x02\x00\x01"], V()),
    Case("flags-pubrel-0", "wait", "PUBREL with flags 0000 [MQTT-3.6.1-1]",
         [b"\x60\x02\x00\x07"], V()),
    Case("flags-pubrel-3", "wait", "PUBREL with flags 0011 [MQTT-3.6.1-1]",
         [b"\x63\x02\x00\x07"], V()),
    Case("flags-pubrel-a", "check", "PUBREL with flags 1010 [MQTT-3.6.1-1]",
         [b"\x6a\x02\x00\x07"], V()),
    Case("flags-pubcomp-8", "pub2", "PUBCOMP with flags 1000 [MQTT-2.2.2-2]",
         [PUBREC1, E(PUBREL, 1), b"\x78\x02\x00\x01"], V()),
    Case("flags-suback-2", "sub", "SUBACK with flags 0010 [MQTT-2.2.2-2]",
         [b"\x92\x03\x00\x01\x01"], V()),
    Case("flags-unsuback-1", "unsub", "UNSUBACK with flags 0001 [MQTT-2.2.2-2]",
         [b"\xb1\x02\x00\x01"], V()),
    Case("flags-pingresp-1", "wait", "PINGRESP with flags 0001 [MQTT-2.2.2-2]",
         [b"\xd1\x00"], V()),
    Case("flags-pingresp-f", "check", "PINGRESP with flags 1111 [MQTT-2.2.2-2]",
         [b"\xdf\x00"], V()),
    Case("flags-connack-1", "connect", "CONNACK with flags 0001 [MQTT-2.2.2-2]",
         [b"\x21\x02\x00\x00"], V()),
    # --- packets only a client sends (Table 2.1 direction of flow) -----------------------
    Case("server-connect", "wait", "a CONNECT from the server, sec 2.2.1 Table 2.1 "
         "(Client to Server) [MQTT-4.8.0-1]",
         [packet(CONNECT, 0, b"\x00\x04MQTT\x04\x02\x00\x3c\x00\x01x")], V()),
    Case("server-subscribe", "wait", "a SUBSCRIBE from the server, Table 2.1",
         [packet(SUBSCRIBE, 2, b"\x00\x05" + mqtt_str("a/b") + b"\x01")], V()),
    Case("server-unsubscribe", "wait", "an UNSUBSCRIBE from the server, Table 2.1",
         [packet(UNSUBSCRIBE, 2, b"\x00\x05" + mqtt_str("a/b"))], V()),
    Case("server-pingreq", "wait", "a PINGREQ from the server, Table 2.1", [b"\xc0\x00"],
         V()),
    Case("server-disconnect", "wait", "a DISCONNECT from the server, Table 2.1 (sec 3.14: "
         "the final packet from the client)", [b"\xe0\x00"], V()),
    Case("server-pingreq-before-connack", "connect", "PINGREQ instead of CONNACK, "
         "Table 2.1 [MQTT-3.2.0-1]", [b"\xc0\x00"], V()),
    Case("server-disconnect-before-connack", "connect", "DISCONNECT instead of CONNACK, "
         "Table 2.1 [MQTT-3.2.0-1]", [b"\xe0\x00"], V()),
    Case("server-subscribe-during-sub", "sub", "a SUBSCRIBE echoed instead of SUBACK, "
         "Table 2.1", [packet(SUBSCRIBE, 2, b"\x00\x01" + mqtt_str(T) + b"\x01")], V()),
    Case("server-disconnect-during-pub1", "pub1", "DISCONNECT instead of PUBACK, "
         "Table 2.1", [b"\xe0\x00"], V()),
    Case("server-pingreq-check", "check", "PINGREQ from the server while polling, "
         "Table 2.1", [b"\xc0\x00"], V()),
    Case("server-subscribe-bad-flags", "wait", "SUBSCRIBE with flags 0000 from the server "
         "[MQTT-2.2.2-2] Table 2.1", [packet(SUBSCRIBE, 0, b"\x00\x05" + mqtt_str("a"))],
         V()),
    # --- oversized frames: a PC takes 3 MB, MicroPython's 2 MB heap cannot --------------
    Case("oversized-wait", "wait", "a 3 MB QoS 0 PUBLISH (legal: up to 256 MB, sec 2.2.3); "
         "MicroPython skips it (MQTTException 258) and stays in step",
         [publish(T, b"z" * MB3), GOOD],
         {"cpython": Accept(msgs=[MB3, b"after"]),
          "micropython": Accept(msgs=[b"after"], soft=[("MQTTException", 258)])}),
    Case("oversized-qos1-check", "check", "a 3 MB QoS 1 PUBLISH, sec 2.2.3; a skipped "
         "one is not acknowledged (the broker redelivers it), [MQTT-4.3.2-2]",
         [publish(T, b"z" * MB3, qos=1, pid=11), QOS1_9],
         {"cpython": Accept(replies=[(PUBACK, 11), (PUBACK, 9)], msgs=[MB3, b"q1"]),
          "micropython": Accept(replies=[(PUBACK, 9)], msgs=[b"q1"],
                                soft=[("MQTTException", 258)])}),
    Case("oversized-during-puback-wait", "pub1", "a 3 MB PUBLISH before the PUBACK, "
         "sec 2.2.3: skipped silently while waiting for an ack",
         [publish(T, b"z" * MB3), PUBACK1],
         {"cpython": Accept(msgs=[MB3]), "micropython": Accept()}),
    Case("oversized-then-malformed", "wait", "a 3 MB PUBLISH, then a 5-byte remaining "
         "length; " + RL, [publish(T, b"z" * MB3) + b"\x30\xff\xff\xff\xff\x01"],
         {"cpython": V(msgs=[MB3]), "micropython": V(soft=[("MQTTException", 258)])}),
    Case("pingresp-burst-during-puback-wait", "pub1", "1000 PINGRESPs then the PUBACK: "
         "unsolicited PINGRESPs are harmless, sec 3.13",
         [packet(PINGRESP, 0, b"") * 1000, PUBACK1], Accept()),
    Case("drip-publish", "check", "a QoS 1 PUBLISH one byte per TCP segment, sec 4.2 "
         "(ordered lossless stream, any segmentation)", [Drip(QOS1_9, 0.01)],
         Accept(replies=[(PUBACK, 9)], msgs=[b"q1"])),
    Case("coalesced-acks", "pub2", "PUBREC and a QoS 1 PUBLISH in one segment, then the "
         "rest of the QoS 2 flow, sec 4.2",
         [PUBREC1 + QOS1_9, E(PUBREL, 1), PUBCOMP1], Accept(replies=[(PUBACK, 9)],
                                                            msgs=[b"q1"])),
    Case("suback-unsuback-split", "sub", "SUBACK split after its first byte, sec 4.2",
         [Drip(suback(1, 1), 0.05)], Accept(ret=1)),
    Case("unsuback-drip", "unsub", "UNSUBACK one byte per segment, sec 4.2",
         [Drip(unsuback(1), 0.05)], Accept()),
]


def test_hostile_framing(runtime, fake_broker):
    h.run(runtime, fake_broker, CASES)


def test_oversized_frames_under_memory_limit(runtime, fake_broker, mkparams):
    """Frames the client cannot hold: 40 MB sent in full, then a header announcing the
    MQTT maximum (256 MB) followed by silence. CPython runs under an address-space limit
    (RLIMIT_AS) so that it, like MicroPython with its 2 MB heap, cannot allocate them.
    Each is skipped with MQTTException(258), never an abort (a Rust allocation failure
    aborts the process unless the buffer refuses to grow); the stream stays in step
    (the QoS 1 message after the 40 MB one is delivered and acknowledged) and the
    silence ends in MQTTException(257)."""
    big = 40 * 1024 * 1024
    proc = runtime.start("""
        if RUNTIME == "cpython":
            import resource
            vm = [int(ln.split()[1]) for ln in open("/proc/self/status")
                  if ln.startswith("VmSize")][0] * 1024
            resource.setrlimit(resource.RLIMIT_AS, (vm + 24 * 1024 * 1024,
                                                    resource.RLIM_INFINITY))
        c = new_client(keepalive=2)
        c.set_callback(on_msg)
        c.connect()
        for i in range(4):
            attempt("W%d" % i, c.wait_msg)
    """, mkparams(fake_broker))
    fake_broker.handshake()
    body = mqtt_str(T) + b"\x00" * (big - len(mqtt_str(T)))
    fake_broker.send(b"\x30" + nonminimal(len(body), 4))
    chunk = bytes(1024 * 1024)
    for off in range(0, len(body), len(chunk)):
        fake_broker.send(body[off:off + len(chunk)])
    fake_broker.send(publish(T, b"in step", qos=1, pid=21))
    assert fake_broker.expect(PUBACK).pid == 21
    fake_broker.send(b"\x30\xff\xff\xff\x7f" + mqtt_str(T))
    assert fake_broker.read_packet(timeout=10).type == 12  # PINGREQ, left unanswered
    assert fake_broker.closed_by_client(timeout=10)
    r = proc.wait(60).check()
    assert not r.stderr.strip(), r
    for label, code in (("W0", 258), ("W2", 258), ("W3", 257)):
        e = r.exc(label)
        assert e.name == "MQTTException" and e.code == code, (label, e, r)
    # spec/PYAPI.md "wait_msg": the delivered QoS 1 PUBLISH's first byte.
    assert r.value("W1") == 0x32
    assert [m for _, m in r.msgs()] == [b"in step"]
