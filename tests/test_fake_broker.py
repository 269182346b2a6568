"""Against a fake broker (a plain socket server in the test): slow, duplicated, refused
and malformed input. The client must raise a clear error and never crash or hang."""

import time

import pytest

from harness import fakebroker as fb


@pytest.mark.parametrize("rc", [1, 2, 3, 4, 5])
def test_connack_refusal_codes(runtime, fake_broker, mkparams, rc):
    proc = runtime.start("""
        c = new_client()
        attempt("CONNECT", c.connect)
    """, mkparams(fake_broker))
    fake_broker.handshake(rc=rc)
    r = proc.wait(30).check()
    e = r.exc("CONNECT")
    assert e.name == "MQTTException" and e.args == (rc,), e


def test_partial_packet_check_msg_does_not_block(runtime, fake_broker, mkparams):
    """Half a PUBLISH arrives and the rest only later: check_msg returns None at once
    each time (umqtt.simple blocks here), then delivers the whole message."""
    proc = runtime.start("""
        c = new_client()
        c.set_callback(on_msg)
        c.connect()
        c.subscribe(TOPIC)
        wait_go("SUBSCRIBED")
        worst = 0
        results = []
        for i in range(10):
            t0 = ticks_ms()
            results.append(c.check_msg())
            worst = max(worst, ticks_diff(ticks_ms(), t0))
            time.sleep(0.02)
        print("RESULTS", repr(results))
        print("WORST_MS", worst)
        wait_go("HALF_CHECKED")
        poll(c, 1, 10000)
        c.disconnect()
    """, mkparams(fake_broker))
    fake_broker.handshake()
    fake_broker.handle_subscribe(0)
    proc.expect("SUBSCRIBED")
    frame = fb.publish(mkparams(fake_broker)["TOPIC"], b"slowly arriving payload")
    fake_broker.send(frame[:7])
    time.sleep(0.1)
    proc.send()
    proc.expect("HALF_CHECKED", timeout=20)
    fake_broker.send(frame[7:])
    proc.send()
    fake_broker.expect(fb.DISCONNECT)
    r = proc.wait(30).check()
    assert r.get("RESULTS") == repr([None] * 10)
    assert int(r.get("WORST_MS")) < 200
    assert [m for _, m in r.msgs()] == [b"slowly arriving payload"]


def test_qos2_duplicate_delivered_once(runtime, fake_broker, mkparams):
    """The broker resends a QoS 2 PUBLISH (DUP) before PUBREL: the client answers PUBREC
    both times but hands the message to the callback once."""
    p = mkparams(fake_broker)
    proc = runtime.start("""
        c = new_client()
        c.set_callback(on_msg)
        c.connect()
        c.subscribe(TOPIC, 2)
        print("READY")
        t0 = ticks_ms()
        while not [m for m in MSGS if m[1] == b"end"] and ticks_diff(ticks_ms(), t0) < 15000:
            c.wait_msg()
        c.disconnect()
    """, p)
    fake_broker.handshake()
    fake_broker.handle_subscribe(2)
    proc.expect("READY")
    fake_broker.send(fb.publish(p["TOPIC"], b"once", qos=2, pid=7))
    assert fake_broker.expect(fb.PUBREC).pid == 7
    fake_broker.send(fb.publish(p["TOPIC"], b"once", qos=2, pid=7, dup=True))
    assert fake_broker.expect(fb.PUBREC).pid == 7
    fake_broker.send(fb.ack(fb.PUBREL, 7))
    assert fake_broker.expect(fb.PUBCOMP).pid == 7
    # The id is free again: a new message with id 7 is a new message.
    fake_broker.send(fb.publish(p["TOPIC"], b"again", qos=2, pid=7))
    assert fake_broker.expect(fb.PUBREC).pid == 7
    fake_broker.send(fb.ack(fb.PUBREL, 7))
    assert fake_broker.expect(fb.PUBCOMP).pid == 7
    fake_broker.send(fb.publish(p["TOPIC"], b"end"))
    fake_broker.expect(fb.DISCONNECT)
    r = proc.wait(30).check()
    assert [m for _, m in r.msgs()] == [b"once", b"again", b"end"]


def test_broker_closing_connection_raises_oserror(runtime, fake_broker, mkparams):
    proc = runtime.start("""
        c = new_client()
        c.connect()
        print("READY")
        attempt("WAIT", c.wait_msg)
    """, mkparams(fake_broker))
    fake_broker.handshake()
    proc.expect("READY")
    fake_broker.conn.close()
    r = proc.wait(30).check()
    e = r.exc("WAIT")
    assert e.oserror and e.code == -1, e


BAD_INPUT = {
    # reserved packet type 0
    "reserved_type_0": bytes([0x00, 0x00]),
    # reserved packet type 15
    "reserved_type_15": bytes([0xF0, 0x00]),
    # PUBLISH with QoS 3
    "publish_qos3": bytes([0x36, 0x05, 0x00, 0x01, ord("t"), 0x00, 0x01]),
    # remaining length with a fifth continuation byte
    "bad_remaining_length": bytes([0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]),
    # PUBACK with a wrong length
    "puback_too_long": bytes([0x40, 0x03, 0x00, 0x01, 0x00]),
    # PUBREL without its required flags 0b0010
    "pubrel_bad_flags": bytes([0x60, 0x02, 0x00, 0x01]),
    # a CONNECT, which a server never sends
    "connect_from_server": fb.packet(fb.CONNECT, 0, b"\x00\x04MQTT\x04\x02\x00\x00\x00\x00"),
    # PUBLISH whose topic length runs past the packet
    "publish_topic_overrun": bytes([0x30, 0x04, 0x00, 0x10, ord("a"), ord("b")]),
    # PUBLISH with a wildcard in the topic name
    "publish_wildcard_topic": fb.publish("a/#", b"x"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_protocol_violation_raises_mqttexception(runtime, fake_broker, mkparams, case):
    proc = runtime.start("""
        c = new_client()
        c.set_callback(on_msg)
        c.connect()
        print("READY")
        attempt("WAIT", c.wait_msg)
    """, mkparams(fake_broker))
    fake_broker.handshake()
    proc.expect("READY")
    fake_broker.send(BAD_INPUT[case])
    r = proc.wait(30).check()
    e = r.exc("WAIT")
    # PYAPI: MQTTException(256, "protocol error: ...").
    assert e.name == "MQTTException" and e.code == 256, e
    assert "protocol error" in str(e.args[1:]), e
    assert not r.msgs()


def test_suback_failure_code_and_bad_code(runtime, fake_broker, mkparams):
    proc = runtime.start("""
        c = new_client()
        c.set_callback(on_msg)
        c.connect()
        attempt("REFUSED", c.subscribe, "a", 1)
        attempt("BAD_CODE", c.subscribe, "b", 1)
    """, mkparams(fake_broker))
    fake_broker.handshake()
    fake_broker.handle_subscribe(0x80)
    fake_broker.handle_subscribe(0x03)
    r = proc.wait(30).check()
    e = r.exc("REFUSED")
    assert e.name == "MQTTException" and e.code == 0x80, e
    e = r.exc("BAD_CODE")
    assert e.name == "MQTTException" and e.code == 256, e


def test_unanswered_qos1_publish_times_out(runtime, fake_broker, mkparams):
    """No PUBACK ever: the PUBLISH is retransmitted with DUP set, then publish() gives up
    with OSError(ETIMEDOUT) after the 30 s response timeout instead of hanging."""
    proc = runtime.start("""
        c = new_client()
        c.connect()
        t0 = ticks_ms()
        attempt("PUB", c.publish, TOPIC, b"lost", False, 1)
        print("ELAPSED_MS", ticks_diff(ticks_ms(), t0))
    """, mkparams(fake_broker))
    fake_broker.handshake()
    first = fake_broker.expect(fb.PUBLISH)
    topic, pid, payload, qos, dup, _ = first.publish_fields()
    assert (payload, qos, dup) == (b"lost", 1, False)
    again = fake_broker.expect(fb.PUBLISH, timeout=25)
    assert again.publish_fields()[1:5] == (pid, b"lost", 1, True)
    r = proc.wait(60).check()
    e = r.exc("PUB")
    assert e.oserror and e.code == 110, e
    assert 20000 <= int(r.get("ELAPSED_MS")) <= 45000
