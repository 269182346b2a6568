"""The fake WebSocket broker (harness/fake_ws.py) speaks correct WebSocket framing,
checked with an independent client (paho-mqtt, transport="websockets"), and sends the
hostile frames it claims to, checked byte by byte on a raw socket."""

import base64
import os
import socket
import struct
import threading
import time

import paho.mqtt.client as paho
import pytest

from harness.fake_ws import CLOSE, PING, accept_key, frame
from harness.fakebroker import CONNECT, PUBACK, PUBLISH, SUBSCRIBE, ack, connack, publish, suback


def paho_client():
    c = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="paho-ws",
                    protocol=paho.MQTTv311, transport="websockets")
    c.ws_set_options(path="/mqtt")
    return c


def test_paho_session_through_fragments_pings_and_packed_frames(fake_ws):
    got = []
    connected = threading.Event()
    c = paho_client()
    c.on_connect = lambda *a: connected.set()
    c.on_message = lambda cl, u, m: got.append((m.topic, bytes(m.payload), m.qos))
    c.connect_async(fake_ws.host, fake_ws.port, keepalive=60)
    c.loop_start()
    fake_ws.strict_mask = False  # paho's pongs are unmasked (checked below)
    try:
        fake_ws.accept()
        assert fake_ws.path == "/mqtt"
        assert fake_ws.headers["sec-websocket-protocol"] == b"mqtt"
        assert fake_ws.headers["upgrade"].lower() == b"websocket"
        assert fake_ws.read_packet().type == CONNECT
        # CONNACK in three fragments with a ping after each of the first two.
        fake_ws.send_fragments(connack(), [1, 3], between=frame(PING, b"hello?"))
        assert connected.wait(10)
        c.subscribe("t/#", qos=1)
        sub = fake_ws.expect(SUBSCRIBE)
        # SUBACK and two PUBLISHes packed in one frame, the second split over two.
        packed = suback(sub.pid, 1) + publish(b"t/a", b"one") + publish(b"t/b", b"two", 1, 7)
        fake_ws.send(packed[:-3])
        fake_ws.send(packed[-3:])
        assert fake_ws.expect(PUBACK).pid == 7
        deadline = time.monotonic() + 10
        while len(got) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert got == [("t/a", b"one", 0), ("t/b", b"two", 1)]
        # paho answered the pings; the fake broker read its pongs (with the payload).
        assert [p for op, p in fake_ws.client_frames if op == 0xA] == [b"hello?", b"hello?"]
        assert fake_ws.unmasked_frames == 2  # exactly those pongs: paho's data is masked
        # MQTT from the client in big frames: a 100 KB QoS 1 publish (16-bit or 64-bit length).
        c.publish("up", b"x" * 100_000, qos=1)
        p = fake_ws.expect(PUBLISH)
        topic, pid, payload, qos, _, _ = p.publish_fields()
        assert (topic, len(payload), qos) == (b"up", 100_000, 1)
        fake_ws.send(ack(PUBACK, pid))
    finally:
        c.loop_stop()
        c.disconnect()


def test_paho_refuses_a_bad_accept_key(fake_ws):
    c = paho_client()
    result = {}

    def run():
        try:
            c.connect(fake_ws.host, fake_ws.port, keepalive=60)
            result["ok"] = True
        except Exception as e:  # noqa: BLE001 - paho's own exception types vary
            result["error"] = e

    t = threading.Thread(target=run)
    t.start()
    fake_ws.accept(answer=lambda key: (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + accept_key(b"not the key") + b"\r\n"
        b"Sec-WebSocket-Protocol: mqtt\r\n\r\n"))
    t.join(10)
    assert "error" in result, result
    assert "key" in str(result["error"]).lower()


def raw_ws_client(fake_ws):
    """A raw socket that did the handshake; returns (socket, handshake answer)."""
    s = socket.create_connection((fake_ws.host, fake_ws.port), timeout=5)
    key = base64.b64encode(os.urandom(16))
    s.sendall(b"GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n"
              b"Sec-WebSocket-Protocol: mqtt\r\n\r\n")
    fake_ws.accept()
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += s.recv(1)
    assert b"Sec-WebSocket-Accept: " + accept_key(key) + b"\r\n" in answer
    return s


def recv_exactly(s, n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        assert chunk, "fake broker closed early"
        out += chunk
    return out


def test_hostile_frames_are_sent_as_asked(fake_ws):
    s = raw_ws_client(fake_ws)
    # A masked server frame holding a CONNACK.
    fake_ws.send_raw(frame(0x2, connack(), mask=b"\x01\x02\x03\x04"))
    assert recv_exactly(s, 10) == bytes([0x82, 0x84, 1, 2, 3, 4]) + bytes(
        b ^ m for b, m in zip(connack(), b"\x01\x02\x03\x04"))
    # An oversized frame header: 2**40 bytes announced.
    fake_ws.send_raw(frame(0x2, b"", length_form=64)[:2] + struct.pack("!Q", 1 << 40))
    assert recv_exactly(s, 10) == bytes([0x82, 127]) + struct.pack("!Q", 1 << 40)
    # Half a packet, then a close with its code.
    fake_ws.send_fragments(connack(), [2])
    fake_ws.send_close(1011, b"bye")
    assert recv_exactly(s, 4 + 2 + 2 + 7) == (
        bytes([0x02, 2]) + connack()[:2] + bytes([0x80, 2]) + connack()[2:]
        + bytes([0x88, 5]) + struct.pack("!H", 1011) + b"bye")
    # Reserved bits and a text frame.
    fake_ws.send_raw(frame(0x2, b"", rsv=4) + frame(0x1, b"t"))
    assert recv_exactly(s, 5) == bytes([0xC2, 0, 0x81, 1]) + b"t"
    # The client's frames are unwrapped (a masked close is recorded, ends reading).
    s.sendall(frame(CLOSE, struct.pack("!H", 1000), mask=b"abcd"))
    with pytest.raises(ConnectionError):
        fake_ws.read_packet(timeout=5)
    assert fake_ws.client_frames == [(CLOSE, struct.pack("!H", 1000))]
    s.close()


def test_unmasked_client_frames_are_caught(fake_ws):
    # What the binding tests rely on: a client that forgets to mask fails the test.
    s = raw_ws_client(fake_ws)
    s.sendall(frame(0x2, bytes([0xC0, 0])))  # PINGREQ, unmasked
    with pytest.raises(AssertionError, match="not masked"):
        fake_ws.read_packet(timeout=5)
    s.close()
