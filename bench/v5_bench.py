"""The MQTT 5 rows of the benchmark: our client with protocol=5 beside protocol=4 on
CPython and on the MicroPython unix port, and paho-mqtt with MQTTv5 beside MQTTv311,
against one private Mosquitto.

    python bench/v5_bench.py [--quick] [--rounds R]

Rows: QoS 0 publish (64 B), QoS 1 publish round trips, QoS 0 receive (draining messages a
second connection published first), in messages per second, the median of R rounds
(bench/v5_worker.py, one process per client and round). Exit status 1 when a client
failed (--quick: tiny counts, figures meaningless, for CI).
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from broker import Broker  # noqa: E402
import peers  # noqa: E402

CLIENTS = [("ours", 4), ("ours", 5), ("paho", 4), ("paho", 5)]
MPY_CLIENTS = [("mpy", 4), ("mpy", 5)]
ROWS = [("qos0", "QoS 0 publish 64 B"), ("qos1", "QoS 1 publish (round trips)"),
        ("recv", "QoS 0 receive, backlog drain")]


def f(x):
    return "%.0f" % x if x else "-"


def ratio(a, b):
    return "%.2f" % (a / b) if a and b else "-"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rounds", type=int, default=None)
    args = ap.parse_args()
    n0, n1, nr = (200, 20, 200) if args.quick else (50_000, 3_000, 50_000)
    rounds = args.rounds or (1 if args.quick else 3)
    mpy, libdir = peers.find_tool("micropython"), peers.ours_mpy_dir()
    clients = CLIENTS + (MPY_CLIENTS if mpy and libdir else [])
    broker = Broker()
    got, errors = {}, []
    try:
        for _ in range(rounds):
            for kind, proto in clients:
                exe, extra = ([mpy], [libdir]) if kind == "mpy" else ([sys.executable], [])
                r = peers.run_worker(exe + [os.path.join(HERE, "v5_worker.py"),
                                            "ours" if kind == "mpy" else kind, str(proto),
                                            str(broker.port), str(n0), str(n1), str(nr)] + extra)
                if "error" in r:
                    errors.append("%s protocol %d: %s" % (kind, proto, r["error"]))
                    continue
                for k, _ in ROWS:
                    got.setdefault((kind, proto, k), []).append(r[k])
    finally:
        broker.close()
    print()
    print("MQTT 5 vs MQTT 3.1.1 on CPython (Mosquitto; msgs/s, median of %d%s)"
          % (rounds, ", QUICK: figures meaningless" if args.quick else ""))
    print()
    print("| workload | umqtt-rs 3.1.1 | umqtt-rs 5 | 5/3.1.1 | paho 3.1.1 | paho 5 "
          "| umqtt-rs 5 / paho 5 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for k, label in ROWS:
        v = {c: peers.median(got.get(c + (k,), [])) for c in CLIENTS}
        o4, o5, p4, p5 = (v[c] for c in CLIENTS)

        print("| %s | %s | %s | %s | %s | %s | %s |" % (
            label, f(o4), f(o5), ratio(o5, o4), f(p4), f(p5), ratio(o5, p5)))
    if mpy and libdir:
        print()
        print("MicroPython unix port, our module (msgs/s):")
        print()
        print("| workload | umqtt-rs 3.1.1 | umqtt-rs 5 | 5/3.1.1 |")
        print("|---|---:|---:|---:|")
        for k, label in ROWS:
            m4, m5 = (peers.median(got.get(c + (k,), [])) for c in MPY_CLIENTS)
            print("| %s | %s | %s | %s |" % (label, f(m4), f(m5), ratio(m5, m4)))
    for e in errors:
        print("\nERROR: " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
