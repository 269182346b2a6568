# One WebSocket benchmark client, on CPython or MicroPython (run by ws_bench.py):
#     python|micropython ws_worker.py KIND TRANSPORT PORT N0 N1 [LIBDIR]
# KIND: ours (umqtt.simple: the pyo3 extension or simple.mpy) or paho (paho-mqtt
# 2.x, CPython); TRANSPORT: tcp or websockets. Publishes N0 QoS 0 messages of 64
# bytes (then one QoS 1 round trip, so the broker has read them all), then N1
# QoS 1 messages one after the other; prints one JSON line of messages/second.
import json
import sys

KIND, TRANSPORT, PORT, N0, N1 = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), \
    int(sys.argv[5])
if len(sys.argv) > 6:
    sys.path.insert(0, sys.argv[6])
import time  # noqa: E402

HOST = "127.0.0.1"
PAYLOAD = b"p" * 64

from bench_clock import clock, secs  # noqa: E402


def ours():
    from umqtt.simple import MQTTClient

    c = MQTTClient(b"wsbench-ours-" + TRANSPORT.encode(), HOST, PORT, transport=TRANSPORT)
    c.connect()
    pub = c.publish
    t0 = clock()
    for _ in range(N0):
        pub(b"bench/ws", PAYLOAD)
    pub(b"bench/ws/sync", b"x", False, 1)
    r0 = N0 / secs(t0)
    t0 = clock()
    for _ in range(N1):
        pub(b"bench/ws", PAYLOAD, False, 1)
    r1 = N1 / secs(t0)
    c.disconnect()
    return r0, r1


def paho():
    import paho.mqtt.client as mqtt

    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="wsbench-paho-" + TRANSPORT,
                    transport=TRANSPORT)
    c.connect(HOST, PORT, keepalive=60)

    def until(done, what):
        # No network thread: paho's fastest single-threaded use.
        deadline = time.monotonic() + 60
        while not done():
            c.loop(0.1)
            if time.monotonic() > deadline:
                raise OSError("paho: no " + what)

    until(c.is_connected, "CONNACK")
    pub = c.publish
    t0 = clock()
    for _ in range(N0):
        pub("bench/ws", PAYLOAD)
    until(pub("bench/ws/sync", b"x", qos=1).is_published, "PUBACK")
    r0 = N0 / secs(t0)
    t0 = clock()
    for _ in range(N1):
        until(pub("bench/ws", PAYLOAD, qos=1).is_published, "PUBACK")
    r1 = N1 / secs(t0)
    c.disconnect()
    return r0, r1


try:
    r0, r1 = ours() if KIND == "ours" else paho()
    print(json.dumps({"qos0": r0, "qos1": r1}))
except Exception as e:
    print(json.dumps({"error": "%s: %s" % (type(e).__name__, e)}))
