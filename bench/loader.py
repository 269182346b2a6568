"""Publisher process for the receive benchmarks: connects, says "ready",
waits for a line on stdin, then publishes N QoS 0 messages to TOPIC as fast
as the broker reads them (batches of 256 packets per write), ends with one
QoS 1 round trip and says "done".

It runs as its own process so the subscriber under test, the broker and the
publisher each get a core-share of their own, as in real use.
    python loader.py PORT TOPIC PAYLOAD_BYTES N
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cpy_bench  # noqa: E402
import mqttraw  # noqa: E402


def main():
    port, topic, size, n = int(sys.argv[1]), sys.argv[2].encode(), int(sys.argv[3]), int(sys.argv[4])
    s = cpy_bench.raw_connect(port, "load")
    pkt = mqttraw.publish(topic, b"p" * size)
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return
    per = 256
    batch = pkt * per
    for _ in range(n // per):
        s.sendall(batch)
    s.sendall(pkt * (n % per))
    cpy_bench.raw_roundtrip(s)
    cpy_bench.raw_close(s)
    print("done", flush=True)


if __name__ == "__main__":
    main()
