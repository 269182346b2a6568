"""Soak run (by hand, not in CI): one client per runtime publishes QoS 0/1/2 messages to
itself through a Mosquitto started here, reconnecting every minute, for --minutes
(default 10), and samples its memory every 10 s: MicroPython `gc.mem_alloc()` after
`gc.collect()`, CPython the process RSS (the Rust side allocates outside Python's
allocator). It fails if memory grows (last third of the run vs. the first third, after
a warm-up) or if any QoS 1/2 message is lost or a QoS 2 message duplicated.

    .venv/bin/python tests/soak.py                   # both runtimes, 10 minutes
    .venv/bin/python tests/soak.py --minutes 1 --runtimes micropython
"""

import argparse
import ast
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness.broker import Mosquitto  # noqa: E402
from harness.runtimes import ALL_RUNTIMES, Runtime  # noqa: E402

CLIENT = r"""
import gc

def memory():
    gc.collect()
    if RUNTIME == "micropython":
        return gc.mem_alloc()
    for ln in open("/proc/self/status"):
        if ln.startswith("VmRSS"):
            return int(ln.split()[1]) * 1024
    return -1

state = {"got": [0, 0, 0], "last": [-1, -1, -1], "dups": 0, "gaps": 0}

def cb(topic, msg):
    q = msg[0] - 48
    n = int(msg[2:msg.index(b":", 2)])
    st = state
    st["got"][q] += 1
    if n <= st["last"][q]:
        if q == 2:
            st["dups"] += 1
    elif q > 0 and n != st["last"][q] + 1:
        st["gaps"] += 1
    st["last"][q] = max(st["last"][q], n)

c = new_client(keepalive=10)
c.set_callback(cb)
c.connect(False)
c.subscribe(TOPIC + "/#", 2)
sent = [0, 0, 0]
pad = b"x" * 2048
t_end = ticks_ms() + int(MINUTES * 60000)
next_sample = ticks_ms()
next_reconnect = ticks_ms() + 60000
i = 0
while ticks_diff(t_end, ticks_ms()) > 0:
    for q in (0, 1, 2):
        body = b"%d:%d:" % (q, sent[q]) + pad[:(i * 37 + q * 101) % 2048]
        c.publish(TOPIC + "/q%d" % q, body, False, q)
        sent[q] += 1
    # Drain what came back (QoS 0 may in principle be dropped; 1 and 2 may not).
    t0 = ticks_ms()
    while (state["got"][1] < sent[1] or state["got"][2] < sent[2]) and \
            ticks_diff(ticks_ms(), t0) < 5000:
        if c.check_msg() is None:
            time.sleep(0.001)
    i += 1
    time.sleep(0.005)  # a steady load, not a benchmark (the machine is shared)
    if ticks_diff(ticks_ms(), next_reconnect) >= 0:
        # A clean reconnect every minute: connect/disconnect paths leak nothing either.
        c.disconnect()
        c.connect(False)
        next_reconnect = ticks_ms() + 60000
    if ticks_diff(ticks_ms(), next_sample) >= 0:
        print("SAMPLE", repr((ticks_diff(ticks_ms(), t_end), memory(), sent, state["got"])))
        next_sample = ticks_ms() + 10000
t0 = ticks_ms()
while (state["got"][1] < sent[1] or state["got"][2] < sent[2]) and \
        ticks_diff(ticks_ms(), t0) < 10000:
    c.wait_msg()
c.disconnect()
print("FINAL", repr((sent, state["got"], state["dups"], state["gaps"], memory())))
"""

# Allowed growth, last third vs. first third of the samples after warm-up.
LIMIT = {"micropython": 4096, "cpython": 2 * 1024 * 1024}


def soak(runtime, broker, minutes, out):
    rt = Runtime(runtime, tempfile.mkdtemp(prefix="soak-%s-" % runtime))
    params = {"HOST": broker.host, "PORT": broker.port, "CLIENT_ID": "soak-" + runtime,
              "TOPIC": "soak/" + runtime, "MINUTES": minutes}
    proc = rt.start(CLIENT, params, name="soak")
    samples = []
    try:
        while True:
            line = proc.expect("", timeout=120)
            if line.startswith("SAMPLE "):
                left, mem, sent, got = ast.literal_eval(line[7:])
                samples.append(mem)
                print("[%s] %4.0f s left  memory %9d  sent %s  received %s" % (
                    runtime, -left / 1000, mem, sent, got), flush=True)
            elif line.startswith("FINAL "):
                out[runtime] = (ast.literal_eval(line[6:]), samples, proc.wait(60))
                return
    except AssertionError as e:
        out[runtime] = (None, samples, e)
    finally:
        rt.cleanup()


def verdict(runtime, final, samples, result):
    if final is None:
        return ["client failed: %s" % result]
    problems = []
    if not result.ok:
        problems.append("client did not finish cleanly: %r" % result)
    sent, got, dups, gaps, _ = final
    if got[1] < sent[1] or got[2] != sent[2] or dups or gaps:
        problems.append("lost or duplicated: sent %s received %s dups %d gaps %d" % (
            sent, got, dups, gaps))
    warm = samples[3:]   # the first 30 s fill buffers and caches
    if len(warm) >= 6:
        third = len(warm) // 3
        growth = max(warm[-third:]) - max(warm[:third])
        print("[%s] memory growth after warm-up: %d bytes (limit %d)" % (
            runtime, growth, LIMIT[runtime]))
        if growth > LIMIT[runtime]:
            problems.append("memory grew by %d bytes" % growth)
    else:
        problems.append("too few samples (%d) to judge memory; run longer" % len(warm))
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--runtimes", default=",".join(ALL_RUNTIMES))
    args = ap.parse_args()
    names = [n for n in args.runtimes.split(",") if n]
    # No broker log: at this rate it would reach hundreds of MB.
    broker = Mosquitto(Path(tempfile.mkdtemp(prefix="soak-broker-")),
                       extra="log_dest none\nset_tcp_nodelay true").start()
    out = {}
    try:
        threads = [threading.Thread(target=soak, args=(n, broker, args.minutes, out))
                   for n in names]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        broker.stop()
    failed = False
    for n in names:
        final, samples, result = out.get(n, (None, [], "no result"))
        problems = verdict(n, final, samples, result)
        print("[%s] %s" % (n, "PASS" if not problems else "FAIL: " + "; ".join(problems)))
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
