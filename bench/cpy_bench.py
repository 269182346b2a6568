"""CPython workloads, run by run.py as a worker process per client:

    python cpy_bench.py KIND PORT
KIND: raw (pre-built packets, one sendall each), raw_nodelay (the same with
TCP_NODELAY, as our client sets it), ours (umqtt.simple, the pyo3 extension)
or paho (paho-mqtt 2.x). Same line protocol as mpy_bench.py: one command per
line on stdin, one JSON line back. A worker process per client keeps a crash
or hang of one client from taking the run down, and keeps RSS per client.

Hot loops bind methods to locals first, as a careful user would, and are
written out per client so no adapter layer sits between loop and library.
"""
import itertools
import json
import os
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mqttraw  # noqa: E402

HOST = "127.0.0.1"
SYNC_TOPIC = b"bench/sync"
_ids = itertools.count()


def client_id(tag):
    return ("bench-%s-%d-%d" % (tag, os.getpid(), next(_ids))).encode()


def say(d):
    print(json.dumps(d), flush=True)


def read_line():
    return sys.stdin.readline().strip()


# --- raw sockets ----------------------------------------------------------------


def recv_exact(sock, n):
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = sock.recv_into(view[got:])
        if k == 0:
            raise OSError("broker closed the connection")
        got += k
    return bytes(buf)


def raw_connect(port, tag, nodelay=False):
    s = socket.create_connection((HOST, port), timeout=60)
    # Blocking from here on, like our client's socket: a socket with a
    # timeout makes CPython poll() before every send, a second syscall.
    s.settimeout(None)
    if nodelay:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(mqttraw.connect(client_id(tag)))
    ack = recv_exact(s, mqttraw.CONNACK_LEN)
    if ack[0] != 0x20 or ack[3] != 0:
        raise OSError("CONNACK refused: %r" % ack)
    return s


def raw_close(s):
    try:
        s.sendall(mqttraw.DISCONNECT)
    finally:
        s.close()


def raw_roundtrip(s):
    """One QoS 1 PUBLISH + PUBACK: once it is back, the broker has read
    everything sent before it."""
    s.sendall(mqttraw.publish(SYNC_TOPIC, b"x", qos=1, pid=1))
    ack = recv_exact(s, mqttraw.PUBACK_LEN)
    if ack[0] != 0x40:
        raise OSError("expected PUBACK, got %r" % ack)


class Loader:
    """A publisher process (loader.py) for the receive benchmarks: start it
    once the subscriber is subscribed, then go() right before the clock."""

    def __init__(self, port, topic, payload_len, n):
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "loader.py"), str(port), topic,
             str(payload_len), str(n)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        if self.proc.stdout.readline().strip() != "ready":
            self.proc.kill()
            self.proc.wait()
            raise OSError("loader did not start")

    def go(self):
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def wait(self, timeout=120):
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise OSError("loader hung")
        if self.proc.stdout.readline().strip() != "done":
            raise OSError("loader failed")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Raw:
    """The raw loops' connection, shaped like a client for the common code."""

    def __init__(self, port, tag, nodelay):
        self.sock = raw_connect(port, tag, nodelay)

    def subscribe(self, topic):
        self.sock.sendall(mqttraw.subscribe(topic))
        recv_exact(self.sock, mqttraw.SUBACK_LEN)

    def disconnect(self):
        raw_close(self.sock)


# --- the worker --------------------------------------------------------------------


class Worker:
    def __init__(self, kind, port):
        self.kind = kind
        self.port = port
        self.count = 0
        if kind == "paho":
            import paho.mqtt.client as mqtt

            self.mqtt = mqtt
        elif kind == "ours":
            from umqtt.simple import MQTTClient

            self.MQTTClient = MQTTClient

    # callbacks: ours (topic, msg), paho (client, userdata, message)
    def _cb(self, topic, msg):
        self.count += 1

    def _on_message(self, client, userdata, message):
        self.count += 1

    def client(self, tag):
        if self.kind.startswith("raw"):
            return Raw(self.port, tag, self.kind == "raw_nodelay")
        if self.kind == "ours":
            c = self.MQTTClient(client_id(tag), HOST, self.port)
            c.connect()
            c.set_callback(self._cb)
            return c
        mqtt = self.mqtt
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id(tag).decode())
        c.on_message = self._on_message
        c.connect(HOST, self.port, keepalive=60)
        # No network thread: paho's fastest single-threaded use (publish
        # writes straight to the socket when nothing is queued).
        self._paho_until(c, c.is_connected, "CONNACK")
        return c

    def _paho_until(self, c, done, what, timeout=60):
        deadline = time.monotonic() + timeout
        while not done():
            c.loop(0.1)
            if time.monotonic() > deadline:
                raise OSError("paho: no " + what)

    def roundtrip(self, c):
        if self.kind.startswith("raw"):
            raw_roundtrip(c.sock)
        elif self.kind == "ours":
            c.publish(SYNC_TOPIC, b"x", False, 1)
        else:
            self._paho_until(c, c.publish(SYNC_TOPIC.decode(), b"x", qos=1).is_published, "PUBACK")

    def subscribe(self, c, topic):
        if self.kind == "paho":
            acked = []
            c.on_subscribe = lambda *a: acked.append(1)
            c.subscribe(topic.decode())
            self._paho_until(c, lambda: acked, "SUBACK")
        else:
            c.subscribe(topic)

    def qos0(self, size, n):
        c = self.client("q0")
        payload = b"p" * size
        if self.kind.startswith("raw"):
            pkt = mqttraw.publish(b"bench/t", payload)
            send = c.sock.sendall
            t0 = time.perf_counter()
            for _ in range(n):
                send(pkt)
        else:
            pub = c.publish
            topic = b"bench/t" if self.kind == "ours" else "bench/t"
            t0 = time.perf_counter()
            for _ in range(n):
                pub(topic, payload)
        self.roundtrip(c)
        dt = time.perf_counter() - t0
        c.disconnect()
        return {"rate": n / dt}

    def qos1(self, size, n, budget):
        c = self.client("q1")
        payload = b"p" * size
        done = 0
        clock = time.perf_counter
        t0 = clock()
        end = t0 + budget
        if self.kind.startswith("raw"):
            pkt = mqttraw.publish(b"bench/t", payload, qos=1, pid=1)
            send = c.sock.sendall
            recv_into = c.sock.recv_into
            ack = bytearray(4)
            while done < n:
                send(pkt)
                got = recv_into(ack)
                while got < 4:
                    got += recv_into(memoryview(ack)[got:])
                done += 1
                if clock() > end:
                    break
        elif self.kind == "ours":
            pub = c.publish
            while done < n:
                pub(b"bench/t", payload, False, 1)
                done += 1
                if clock() > end:
                    break
        else:
            while done < n:
                self._paho_until(c, c.publish("bench/t", payload, qos=1).is_published, "PUBACK")
                done += 1
                if clock() > end:
                    break
        dt = clock() - t0
        c.disconnect()
        return {"rate": done / dt, "count": done}

    def receive(self, size, n, method, topic):
        """Subscribe, say ready, wait for go (run.py's publisher is
        running), then time n messages through the callback."""
        c = self.client("rx")
        self.subscribe(c, topic)
        if self.kind.startswith("raw"):
            total = n * len(mqttraw.publish(topic, b"p" * size))
            buf = bytearray(65536)
            recv_into = c.sock.recv_into
        say({"ready": 1})
        if read_line() != "go":
            raise OSError("expected go")
        self.count = 0
        t0 = time.perf_counter()
        if self.kind.startswith("raw"):
            got = 0
            while got < total:
                k = recv_into(buf)
                if k == 0:
                    raise OSError("broker closed the connection")
                got += k
        elif self.kind == "ours":
            step = getattr(c, method)
            while self.count < n:
                step()
        else:
            loop = c.loop
            deadline = time.monotonic() + 300
            while self.count < n:
                loop(1.0)
                if time.monotonic() > deadline:
                    raise OSError("paho: received %d of %d" % (self.count, n))
        dt = time.perf_counter() - t0
        c.disconnect()
        return {"rate": n / dt}

    def latency(self, size, n, budget, topic):
        c = self.client("lat")
        self.subscribe(c, topic)
        payload = b"p" * size
        samples = []
        clock = time.perf_counter_ns
        end = clock() + int(budget * 1e9)
        self.count = 0
        pkt = mqttraw.publish(topic, payload)
        for i in range(n):
            t0 = clock()
            if self.kind.startswith("raw"):
                c.sock.sendall(pkt)
                recv_exact(c.sock, len(pkt))
            elif self.kind == "ours":
                c.publish(topic, payload)
                while self.count <= i:
                    c.wait_msg()
            else:
                c.publish(topic.decode(), payload)
                while self.count <= i:
                    c.loop(1.0)
            t1 = clock()
            samples.append(t1 - t0)
            if t1 > end:
                break
        c.disconnect()
        samples.sort()
        k = len(samples)
        return {
            "p50_us": samples[k // 2] / 1000,
            "p99_us": samples[min(k - 1, k * 99 // 100)] / 1000,
            "count": k,
        }

    def rss(self):
        import resource

        return {"peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "now_kib": vm_rss_kib()}


def vm_rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def serve(kind, port):
    try:
        w = Worker(kind, port)
    except ImportError as e:
        say({"error": "ImportError: %s" % e})
        return
    say({"ok": 1, "rss_kib": vm_rss_kib()})
    while True:
        line = read_line()
        if not line or line == "quit":
            return
        a = line.split()
        cmd = a[0]
        try:
            if cmd == "qos0":
                r = w.qos0(int(a[1]), int(a[2]))
            elif cmd == "qos1":
                r = w.qos1(int(a[1]), int(a[2]), float(a[3]))
            elif cmd == "rx":
                r = w.receive(int(a[1]), int(a[2]), a[3], a[4].encode())
            elif cmd == "lat":
                r = w.latency(int(a[1]), int(a[2]), float(a[3]), a[4].encode())
            elif cmd == "rss":
                r = w.rss()
            else:
                r = {"error": "unknown command " + cmd}
        except Exception as e:  # reported in the table, the run goes on
            r = {"error": "%s: %s" % (type(e).__name__, e)}
        say(r)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: cpy_bench.py raw|raw_nodelay|ours|paho PORT")
    serve(sys.argv[1], int(sys.argv[2]))
