"""Scale: one CPython process holding many concurrent asyncio MQTT connections to one
local Mosquitto, each publishing QoS 1 once a second (what people use emqtt-bench or
device simulators for).

    python bench/aio_scale.py [--quick] [--connections N] [--seconds S] [--clients ours,aiomqtt]

Per client library, in a fresh process (the same script with --worker): connect N
clients (200 at a time), then each publishes one 64-byte QoS 1 message a second for S
seconds, awaiting its PUBACK; a message counts as delivered when acknowledged. Reports
the connect rate, resident memory per connection (RSS after connecting minus before,
/ N), CPU (user + system) per message during the publish phase, and messages
acknowledged / expected. The file-descriptor limit is raised to its hard limit (the
broker inherits it; Mosquitto 2's max_connections is unlimited by default).
--quick: 200 connections for 5 s (the CI smoke). Exit status 1 when a message was
lost or a client failed.
"""
import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
PAYLOAD = b"s" * 64
BATCH = 200


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


async def connect_ours(i, port):
    from umqtt.aio import MQTTClient
    c = MQTTClient("scale-ours-%d" % i, "127.0.0.1", port, keepalive=60)
    await c.connect()

    async def pub(topic):
        await c.publish(topic, PAYLOAD, qos=1)
    return c, pub, c.disconnect


async def connect_aiomqtt(i, port):
    import aiomqtt
    c = aiomqtt.Client("127.0.0.1", port, identifier="scale-aiomqtt-%d" % i, keepalive=60)
    await c.__aenter__()

    async def pub(topic):
        await c.publish(topic, PAYLOAD, qos=1)

    async def close():
        await c.__aexit__(None, None, None)
    return c, pub, close


async def worker(kind, port, n, seconds):
    make = {"ours": connect_ours, "aiomqtt": connect_aiomqtt}[kind]
    m0 = rss()
    t0 = time.perf_counter()
    clients = []
    for start in range(0, n, BATCH):
        clients += await asyncio.gather(*[make(i, port) for i in range(start, min(n, start + BATCH))])
    t_conn = time.perf_counter() - t0
    mem = (rss() - m0) / n
    acked = [0]

    async def run(k, pub):
        topic = "scale/%s/%d" % (kind, k)
        await asyncio.sleep(random.random())
        start = time.perf_counter()
        for s in range(seconds):
            await pub(topic)
            acked[0] += 1
            # Once a second on the client's own schedule (no drift).
            await asyncio.sleep(max(0, start + s + 1 - time.perf_counter()))
    c0 = cpu()
    t1 = time.perf_counter()
    await asyncio.gather(*[run(k, pub) for k, (_, pub, _) in enumerate(clients)])
    t_pub = time.perf_counter() - t1
    used = cpu() - c0
    for _, _, close in clients:
        await close()
    return {"kind": kind, "connections": n, "connect_per_s": n / t_conn,
            "rss_per_conn": mem, "cpu_us_per_msg": used * 1e6 / max(1, acked[0]),
            "acked": acked[0], "expected": n * seconds, "publish_s": t_pub}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--connections", type=int, default=None)
    ap.add_argument("--seconds", type=int, default=None)
    ap.add_argument("--clients", default="ours,aiomqtt")
    ap.add_argument("--worker", nargs=2, metavar=("KIND", "PORT"))
    args = ap.parse_args()
    n = args.connections or (200 if args.quick else 10_000)
    seconds = args.seconds or (5 if args.quick else 60)
    limit = raise_fd_limit()
    if args.worker:
        kind, port = args.worker
        try:
            r = asyncio.run(worker(kind, int(port), n, seconds))
        except Exception as e:
            r = {"kind": kind, "error": "%s: %s" % (type(e).__name__, e)}
        print(json.dumps(r))
        return 0
    if limit < n + 100:
        print("file-descriptor hard limit %d is below %d connections" % (limit, n))
        return 1
    from broker import Broker
    rows, bad = [], False
    with Broker() as b:
        for kind in args.clients.split(","):
            p = subprocess.run([sys.executable, __file__, "--worker", kind, str(b.port),
                                "--connections", str(n), "--seconds", str(seconds)],
                               capture_output=True, text=True, timeout=seconds * 3 + n / 20 + 120)
            lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
            r = json.loads(lines[-1]) if lines else {"kind": kind, "error": p.stderr[-300:]}
            if kind != "ours" and "No module named" in r.get("error", ""):
                r["error"] = "not installed"
            elif "error" in r or r["acked"] != r["expected"]:
                bad = True
            rows.append(r)
    print()
    print("Scale: %d asyncio connections in one CPython process, QoS 1 once a second for %d s%s"
          % (n, seconds, " (QUICK)" if args.quick else ""))
    print()
    print("| client | connect rate (conn/s) | RSS per connection | CPU per message "
          "| acked / expected | publish phase (s) |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        if "error" in r:
            print("| %s | %s | | | | |" % (r["kind"], r["error"]))
            continue
        # A publish phase longer than the seconds asked: the process could not keep
        # the once-a-second schedule (CPU-bound).
        print("| %s | %.0f | %.1f KiB | %.0f us | %d / %d | %.1f |" % (
            r["kind"], r["connect_per_s"], r["rss_per_conn"] / 1024, r["cpu_us_per_msg"],
            r["acked"], r["expected"], r["publish_s"]))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
