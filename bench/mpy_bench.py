# MicroPython workloads, run under the unix port by run.py:
#     micropython mpy_bench.py KIND PORT [LIBDIR]
# KIND: raw (pre-built packets, one write each), raw_nodelay (the same with
# TCP_NODELAY, as our client sets it), ours (umqtt/simple.mpy) or
# umqtt (pure-Python umqtt.simple); LIBDIR holds the umqtt/ package to test.
# It reads one command per line on stdin and answers one JSON line on stdout,
# so run.py can start a publisher process between "subscribed" and "go".
import gc
import json
import socket
import sys
import time

KIND = sys.argv[1]
PORT = int(sys.argv[2])
if len(sys.argv) > 3:
    sys.path.insert(0, sys.argv[3])

import mqttraw  # noqa: E402  (next to this script, shared with CPython)

RAW = KIND.startswith("raw")
if not RAW:
    try:
        from umqtt.simple import MQTTClient
    except Exception as e:
        print(json.dumps({"error": "import umqtt.simple: %s: %s" % (type(e).__name__, e)}))
        sys.exit(1)

HOST = "127.0.0.1"
SYNC_TOPIC = b"bench/sync"
_ids = [0]
_count = 0


def _cb(topic, msg):
    global _count
    _count += 1


def cid(tag):
    _ids[0] += 1
    return ("mpy-%s-%s-%d" % (KIND, tag, _ids[0])).encode()


def say(d):
    print(json.dumps(d))


def read_line():
    return sys.stdin.readline().strip()


def elapsed_s(t0):
    return time.ticks_diff(time.ticks_us(), t0) / 1e6


# --- the client under test -------------------------------------------------------


class Raw:
    # The raw loops: pre-built packets, one socket write each.
    def __init__(self, tag):
        s = socket.socket()
        s.connect(socket.getaddrinfo(HOST, PORT)[0][-1])
        if KIND == "raw_nodelay":
            s.setsockopt(6, 1, 1)  # IPPROTO_TCP, TCP_NODELAY
        s.write(mqttraw.connect(cid(tag)))
        ack = s.read(mqttraw.CONNACK_LEN)
        if ack[0] != 0x20 or ack[3] != 0:
            raise OSError("CONNACK refused")
        self.sock = s
        self.ack = bytearray(4)

    def roundtrip(self):
        self.sock.write(mqttraw.publish(SYNC_TOPIC, b"x", 1, 1))
        self.sock.readinto(self.ack)
        if self.ack[0] != 0x40:
            raise OSError("expected PUBACK")

    def subscribe(self, topic):
        self.sock.write(mqttraw.subscribe(topic))
        self.sock.read(mqttraw.SUBACK_LEN)

    def disconnect(self):
        self.sock.write(mqttraw.DISCONNECT)
        self.sock.close()


def client(tag):
    if RAW:
        return Raw(tag)
    c = MQTTClient(cid(tag), HOST, PORT)
    c.connect()
    c.set_callback(_cb)
    return c


def roundtrip(c):
    # Once this QoS 1 PUBACK is back, the broker has read all sent before.
    if RAW:
        c.roundtrip()
    else:
        c.publish(SYNC_TOPIC, b"x", False, 1)


# --- workloads -------------------------------------------------------------------


def qos0(size, n):
    c = client("q0")
    payload = b"p" * size
    topic = b"bench/t"
    if RAW:
        pkt = mqttraw.publish(topic, payload)
        w = c.sock.write
        t0 = time.ticks_us()
        for _ in range(n):
            w(pkt)
    else:
        pub = c.publish
        t0 = time.ticks_us()
        for _ in range(n):
            pub(topic, payload)
    roundtrip(c)
    dt = elapsed_s(t0)
    c.disconnect()
    return {"rate": n / dt}


def qos1(size, n, budget):
    c = client("q1")
    payload = b"p" * size
    topic = b"bench/t"
    done = 0
    t0 = time.ticks_us()
    budget_us = int(budget * 1e6)
    if RAW:
        pkt = mqttraw.publish(topic, payload, 1, 1)
        w = c.sock.write
        r = c.sock.readinto
        ack = c.ack
        while done < n:
            w(pkt)
            r(ack)
            done += 1
            if time.ticks_diff(time.ticks_us(), t0) > budget_us:
                break
    else:
        pub = c.publish
        while done < n:
            pub(topic, payload, False, 1)
            done += 1
            if time.ticks_diff(time.ticks_us(), t0) > budget_us:
                break
    dt = elapsed_s(t0)
    c.disconnect()
    return {"rate": done / dt, "count": done}


def _subscribed(tag, topic):
    c = client(tag)
    c.subscribe(topic)
    return c


def _receive(c, step, n):
    # Counts n messages through the callback (or n frames of bytes for raw).
    global _count
    _count = 0
    if RAW:
        total = n * FRAME_LEN[0]
        buf = RX_BUF
        r = step
        got = 0
        while got < total:
            k = total - got
            if k > 4096:
                k = 4096
            got += r(buf, k)
    else:
        while _count < n:
            step()


FRAME_LEN = [0]
RX_BUF = bytearray(4096)


def _rx_setup(tag, size, method, topic):
    # Subscribe, tell run.py, wait for "go" (its publisher is running).
    FRAME_LEN[0] = len(mqttraw.publish(topic, b"p" * size))
    c = _subscribed(tag, topic)
    step = c.sock.readinto if RAW else getattr(c, method)
    say({"ready": 1})
    if read_line() != "go":
        raise OSError("expected go")
    return c, step


def receive(size, n, method, topic):
    c, step = _rx_setup("rx", size, method, topic)
    t0 = time.ticks_us()
    _receive(c, step, n)
    dt = elapsed_s(t0)
    c.disconnect()
    return {"rate": n / dt}


def latency(size, n, budget, topic):
    global _count
    c = _subscribed("lat", topic)
    payload = b"p" * size
    samples = []
    budget_us = int(budget * 1e6)
    start = time.ticks_us()
    if RAW:
        pkt = mqttraw.publish(topic, payload)
        back = bytearray(len(pkt))
        for _ in range(n):
            t0 = time.ticks_us()
            c.sock.write(pkt)
            c.sock.readinto(back)
            samples.append(time.ticks_diff(time.ticks_us(), t0))
            if time.ticks_diff(time.ticks_us(), start) > budget_us:
                break
    else:
        _count = 0
        for i in range(n):
            t0 = time.ticks_us()
            c.publish(topic, payload)
            while _count <= i:
                c.wait_msg()
            samples.append(time.ticks_diff(time.ticks_us(), t0))
            if time.ticks_diff(time.ticks_us(), start) > budget_us:
                break
    c.disconnect()
    samples.sort()
    k = len(samples)
    return {
        "p50_us": samples[k // 2],
        "p99_us": samples[min(k - 1, k * 99 // 100)],
        "count": k,
    }


def _loop_baseline(k):
    # Heap bytes of the measuring loop itself (the range object), subtracted.
    gc.collect()
    gc.disable()
    a = gc.mem_alloc()
    for _ in range(k):
        pass
    b = gc.mem_alloc()
    gc.enable()
    return b - a


def heap_publish(size, k):
    c = client("heap")
    payload = b"p" * size
    topic = b"bench/t"
    if RAW:
        pkt = mqttraw.publish(topic, payload)
        pub = c.sock.write
        args = (pkt,)
    else:
        pub = c.publish
        args = (topic, payload)
    for _ in range(100):  # warm-up: first-use allocations are not steady state
        pub(*args)
    base = _loop_baseline(k)
    gc.collect()
    gc.disable()
    a = gc.mem_alloc()
    if RAW:
        for _ in range(k):
            pub(pkt)
    else:
        for _ in range(k):
            pub(topic, payload)
    b = gc.mem_alloc()
    gc.enable()
    roundtrip(c)
    c.disconnect()
    return {"bytes_per_msg": (b - a - base) / k}


def heap_receive(size, k, method, topic):
    # run.py pre-loads k + 100 messages between "ready" and "go"; the first
    # 100 are a warm-up.
    c, step = _rx_setup("heaprx", size, method, topic)
    _receive(c, step, 100)
    base = _loop_baseline(1)
    gc.collect()
    gc.disable()
    a = gc.mem_alloc()
    _receive(c, step, k)
    b = gc.mem_alloc()
    gc.enable()
    c.disconnect()
    return {"bytes_per_msg": (b - a - base) / k}


def main():
    say({"ok": 1})
    while True:
        line = read_line()
        if not line or line == "quit":
            return
        a = line.split()
        cmd = a[0]
        try:
            if cmd == "qos0":
                r = qos0(int(a[1]), int(a[2]))
            elif cmd == "qos1":
                r = qos1(int(a[1]), int(a[2]), float(a[3]))
            elif cmd == "rx":
                r = receive(int(a[1]), int(a[2]), a[3], a[4].encode())
            elif cmd == "lat":
                r = latency(int(a[1]), int(a[2]), float(a[3]), a[4].encode())
            elif cmd == "heap_pub":
                r = heap_publish(int(a[1]), int(a[2]))
            elif cmd == "heap_rx":
                r = heap_receive(int(a[1]), int(a[2]), a[3], a[4].encode())
            else:
                r = {"error": "unknown command " + cmd}
        except Exception as e:
            r = {"error": "%s: %s" % (type(e).__name__, e)}
        say(r)


main()
