# One MQTT 5 benchmark client (run by v5_bench.py):
#     python v5_worker.py KIND PROTOCOL PORT N0 N1 NR [LIBDIR]
# KIND: ours (umqtt.simple: the pyo3 extension, or on MicroPython the native module
# found in LIBDIR) or paho (paho-mqtt 2.x, no network thread); PROTOCOL: 4 (MQTT 3.1.1) or 5. Publishes N0 QoS 0 messages of 64 bytes (then
# one QoS 1 round trip, so the broker has read them all), N1 QoS 1 messages one after
# the other, then receives NR QoS 0 messages a second connection of the same kind
# published first. Prints one JSON line of messages/second.
import json
import sys
import time

KIND, PROTO, PORT, N0, N1, NR = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
if len(sys.argv) > 7:
    sys.path.insert(0, sys.argv[7])
from bench_clock import clock, secs  # noqa: E402
HOST = "127.0.0.1"
PAYLOAD = b"p" * 64
TOPIC = "bench/v5/%s/%d" % (KIND, PROTO)


def ours():
    from umqtt.simple import MQTTClient

    def client(name):
        c = MQTTClient("v5bench-%s-%d-%s" % (KIND, PROTO, name), HOST, PORT, protocol=PROTO)
        c.connect()
        return c

    c = client("pub")
    pub = c.publish
    t0 = clock()
    for _ in range(N0):
        pub(TOPIC, PAYLOAD)
    pub(TOPIC + "/sync", b"x", False, 1)
    r0 = N0 / secs(t0)
    t0 = clock()
    for _ in range(N1):
        pub(TOPIC, PAYLOAD, False, 1)
    r1 = N1 / secs(t0)
    got = [0]

    def cb(t, m):
        got[0] += 1

    s = client("sub")
    s.set_callback(cb)
    s.subscribe(TOPIC + "/rx", 0)
    for _ in range(NR):
        pub(TOPIC + "/rx", PAYLOAD)
    pub(TOPIC + "/sync", b"x", False, 1)
    t0 = clock()
    while got[0] < NR:
        s.wait_msg()
    rr = NR / secs(t0)
    c.disconnect()
    s.disconnect()
    return r0, r1, rr


def paho():
    import paho.mqtt.client as mqtt

    proto = mqtt.MQTTv5 if PROTO == 5 else mqtt.MQTTv311

    def client(name):
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=proto,
                        client_id="v5bench-%s-%d-%s" % (KIND, PROTO, name))
        c.connect(HOST, PORT, keepalive=60)
        until(c, c.is_connected, "CONNACK")
        return c

    def until(c, done, what):
        deadline = time.monotonic() + 60
        while not done():
            c.loop(0.1)
            if time.monotonic() > deadline:
                raise OSError("paho: no " + what)

    c = client("pub")
    pub = c.publish
    t0 = clock()
    for _ in range(N0):
        pub(TOPIC, PAYLOAD)
    until(c, pub(TOPIC + "/sync", b"x", qos=1).is_published, "PUBACK")
    r0 = N0 / secs(t0)
    t0 = clock()
    for _ in range(N1):
        until(c, pub(TOPIC, PAYLOAD, qos=1).is_published, "PUBACK")
    r1 = N1 / secs(t0)
    got = [0]
    s = client("sub")
    s.on_message = lambda *a: got.__setitem__(0, got[0] + 1)
    acked = []
    s.on_subscribe = lambda *a: acked.append(1)
    s.subscribe(TOPIC + "/rx", 0)
    until(s, lambda: acked, "SUBACK")
    for _ in range(NR):
        pub(TOPIC + "/rx", PAYLOAD)
    until(c, pub(TOPIC + "/sync", b"x", qos=1).is_published, "PUBACK")
    t0 = clock()
    until(s, lambda: got[0] >= NR, "messages")
    rr = NR / secs(t0)
    c.disconnect()
    s.disconnect()
    return r0, r1, rr


try:
    r0, r1, rr = ours() if KIND == "ours" else paho()
    print(json.dumps({"qos0": r0, "qos1": r1, "recv": rr}))
except Exception as e:
    print(json.dumps({"error": "%s: %s" % (type(e).__name__, e)}))
