"""The WebSocket broker fixture works, proven with an independent client (paho-mqtt over
transport="websockets"), so the binding tests can rely on it: ws:// and wss:// (test CA),
QoS 0/1/2 both ways, retained messages, a last will, a large payload, and messages crossing
between the WebSocket and the plain MQTT listener of the same broker."""

import socket
import time

import paho.mqtt.client as paho

from harness.observer import Observer


def ws_client(b, **kw):
    return Observer(b.host, b.ws_port, transport="websockets", **kw)


def test_ws_and_tcp_clients_meet_on_one_broker(ws_broker, ids):
    b = ws_broker
    assert b.url() == "ws://127.0.0.1:%d/mqtt" % b.ws_port
    sub = ws_client(b)
    tcp = Observer(b.host, b.port)
    topic = ids.topic()
    assert sub.subscribe(topic + "/#", qos=2) == [2]
    for qos in (0, 1, 2):
        tcp.publish(topic + "/tcp", b"from tcp %d" % qos, qos=qos)
    got = sub.wait_messages(3)
    assert sorted((m.payload, m.qos) for m in got) == [
        (b"from tcp 0", 0), (b"from tcp 1", 1), (b"from tcp 2", 2)]
    # And the other way: the WebSocket client publishes, the TCP one receives.
    assert tcp.subscribe(topic + "/ws", qos=2) == [2]
    for qos in (0, 1, 2):
        sub.publish(topic + "/ws", b"from ws %d" % qos, qos=qos)
    got = tcp.wait_messages(3, topic=topic + "/ws")
    assert sorted((m.payload, m.qos) for m in got) == [
        (b"from ws 0", 0), (b"from ws 1", 1), (b"from ws 2", 2)]
    sub.close()
    tcp.close()


def test_ws_retained_will_and_large_payload(ws_broker, ids):
    b = ws_broker
    topic = ids.topic()
    pub = ws_client(b)
    pub.publish(topic + "/kept", b"retained", qos=1, retain=True)
    # A 1 MB publish from a WebSocket client reaches a TCP subscriber quickly.
    tcp = Observer(b.host, b.port)
    tcp.subscribe(topic + "/big", qos=1)
    big = bytes(range(256)) * 4096
    pub.publish(topic + "/big", big, qos=1)
    got = tcp.wait_messages(1, topic=topic + "/big", timeout=20)
    assert [m.payload for m in got] == [big]
    # Broker to WebSocket subscriber: 100 KB (Mosquitto 2.0.11 sends ~40 KB/s there).
    late = ws_client(b)
    assert late.subscribe(topic + "/#", qos=1) == [1]
    assert [m.payload for m in late.wait_messages(1)] == [b"retained"]
    pub.publish(topic + "/mid", big[:100_000], qos=1)
    got = late.wait_messages(2, timeout=30)
    assert got[-1].payload == big[:100_000]
    # A WebSocket client that vanishes without DISCONNECT: its will goes out.
    assert tcp.subscribe(topic + "/will", qos=1) == [1]
    doomed = ws_client(b, will=(topic + "/will", b"gone", 1, False), client_id=ids.client("d"))
    doomed.client.loop_stop()
    wrapper = doomed.client.socket()  # paho's WebSocket wrapper around the TCP socket
    getattr(wrapper, "_socket", wrapper).shutdown(socket.SHUT_RDWR)
    got = tcp.wait_messages(1, topic=topic + "/will", timeout=10)
    assert [m.payload for m in got] == [b"gone"]
    for o in (pub, tcp, late):
        o.close()


def test_wss_with_the_test_ca(ws_mosquitto, certs, ids):
    b = ws_mosquitto(certs=certs)
    assert b.url(tls=True) == "wss://127.0.0.1:%d/mqtt" % b.wss_port
    sub = Observer(b.host, b.wss_port, transport="websockets", ca_certs=certs.ca_pem)
    topic = ids.topic()
    assert sub.subscribe(topic, qos=2) == [2]
    sub.publish(topic, b"over wss", qos=2)
    assert [m.payload for m in sub.wait_messages(1)] == [b"over wss"]
    sub.close()
    # The unrelated CA is refused: the fixture really checks certificates.
    c = paho.Client(paho.CallbackAPIVersion.VERSION2, transport="websockets")
    c.tls_set(ca_certs=str(certs.wrong_ca_pem))
    try:
        c.connect(b.host, b.wss_port)
        raise AssertionError("connected with the wrong CA")
    except (OSError, ValueError) as e:
        assert "certificate" in str(e).lower()
    finally:
        c.loop_stop()


def test_broker_serves_the_mqtt_subprotocol(ws_broker):
    # What the core's handshake checks: 101, Upgrade, Connection, Accept and "mqtt".
    import base64
    import hashlib
    import os
    key = base64.b64encode(os.urandom(16))
    with socket.create_connection((ws_broker.host, ws_broker.ws_port), timeout=5) as s:
        s.sendall(b"GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n"
                  b"Sec-WebSocket-Protocol: mqtt\r\n\r\n")
        answer = b""
        end = time.monotonic() + 5
        while b"\r\n\r\n" not in answer and time.monotonic() < end:
            answer += s.recv(1024)
    lines = answer.split(b"\r\n")
    assert lines[0].startswith(b"HTTP/1.1 101 ")
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(b":") for ln in lines[1:] if ln)}
    accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
    assert headers[b"sec-websocket-accept"] == accept
    assert headers[b"sec-websocket-protocol"] == b"mqtt"
    assert headers[b"upgrade"].lower() == b"websocket"


def test_aedes_large_messages_qos2_and_wss(ws_aedes, certs, ids):
    # The second broker: 1 MB both ways over WebSockets in seconds, QoS 2, wss.
    b = ws_aedes(certs=certs)
    assert b.url(tls=True) == "wss://127.0.0.1:%d/mqtt" % b.wss_port
    topic = ids.topic()
    sub = ws_client(b)
    secure = Observer(b.host, b.wss_port, transport="websockets", ca_certs=certs.ca_pem)
    tcp = Observer(b.host, b.port)
    assert sub.subscribe(topic + "/#", qos=2) == [2]
    big = bytes(range(256)) * 4096
    start = time.monotonic()
    secure.publish(topic + "/big", big, qos=2)
    tcp.publish(topic + "/small", b"tcp", qos=2)
    got = sub.wait_messages(2, timeout=30)
    assert sorted((m.payload, m.qos) for m in got) == sorted([(big, 2), (b"tcp", 2)])
    # Honest slack for a busy 2-core machine; Mosquitto 2.0.11 needs ~25 s for this.
    assert time.monotonic() - start < 15
    for o in (sub, secure, tcp):
        o.close()
