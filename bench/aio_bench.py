"""The asyncio rows of the benchmark: umqtt.aio on CPython and on the MicroPython unix
port beside aiomqtt and gmqtt (CPython), each as a ratio to a raw-socket limit measured
in the same run on the same runtime, against one private Mosquitto.

    python bench/aio_bench.py [--quick] [--rounds R]

Workloads (bench/aio_worker.py, one process per client and round, median of R rounds):
QoS 0 publish of 64 B, one after the other (then one QoS 1 round trip); QoS 1 publish
from 100 concurrent tasks, each awaiting its PUBACK. The raw limit sends pre-built
packets from a plain socket, for QoS 1 with umqtt.aio's window of 16 in flight.
mqtt_as is not run: it needs `network.WLAN`, which the unix port does not have
(README "asyncio"). --quick: tiny counts, figures meaningless (CI).
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from broker import Broker  # noqa: E402
import peers  # noqa: E402

ROWS = [("qos0", "QoS 0 publish 64 B"), ("qos1", "QoS 1 publish, 100 tasks pipelined")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rounds", type=int, default=None)
    args = ap.parse_args()
    n0, n1 = (200, 200) if args.quick else (50_000, 10_000)
    rounds = args.rounds or (1 if args.quick else 3)
    mpy = os.environ.get("MICROPYTHON") or peers.find_tool("micropython")
    lib = peers.ours_mpy_dir()
    clients = [("cpython", k) for k in ("raw", "ours", "aiomqtt", "gmqtt")]
    if mpy and lib:
        clients += [("micropython", k) for k in ("raw", "ours")]
    worker = os.path.join(HERE, "aio_worker.py")
    broker = Broker()
    got, errors, notes = {}, [], set()
    try:
        for _ in range(rounds):
            for rt, kind in clients:
                argv = [kind, str(broker.port), str(n0), str(n1), "100"]
                if rt == "cpython":
                    r = peers.run_worker([sys.executable, worker] + argv)
                else:
                    os.environ["MICROPYPATH"] = lib + ":.frozen"
                    r = peers.run_worker([mpy, worker] + argv)
                if "error" in r:
                    if kind in ("aiomqtt", "gmqtt") and "No module named" in r["error"]:
                        # A peer that is not installed leaves its column empty.
                        notes.add("%s not installed" % kind)
                    else:
                        errors.append("%s %s: %s" % (rt, kind, r["error"]))
                    continue
                for k, _ in ROWS:
                    got.setdefault((rt, kind, k), []).append(r[k])
    finally:
        broker.close()

    def f(x):
        return "%.0f" % x if x else "-"

    def ratio(a, b):
        return "%.2f" % (a / b) if a and b else "-"

    print()
    print("umqtt.aio (asyncio) vs peers and the raw limit (Mosquitto; msgs/s, median of %d%s)"
          % (rounds, ", QUICK: figures meaningless" if args.quick else ""))
    print()
    print("| workload | runtime | raw limit | umqtt.aio | aio/raw | aiomqtt | gmqtt "
          "| aio/aiomqtt | aio/gmqtt |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for k, label in ROWS:
        for rt in ("cpython", "micropython"):
            v = {kind: peers.median(got.get((rt, kind, k), []))
                 for kind in ("raw", "ours", "aiomqtt", "gmqtt")}
            if not v["ours"]:
                continue
            print("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                label, rt, f(v["raw"]), f(v["ours"]), ratio(v["ours"], v["raw"]),
                f(v["aiomqtt"]), f(v["gmqtt"]), ratio(v["ours"], v["aiomqtt"]),
                ratio(v["ours"], v["gmqtt"])))
    for n in sorted(notes):
        print("\nNOTE: " + n)
    for e in errors:
        print("\nERROR: " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
