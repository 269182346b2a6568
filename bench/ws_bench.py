"""The WebSocket rows of the benchmark: our client over WebSockets vs over TCP, on
both runtimes, and paho-mqtt with transport="websockets" as the CPython peer.

    python bench/ws_bench.py [--quick] [--rounds R] [--broker mosquitto|aedes]

One broker serves both transports, so a row's two figures differ only in the
transport: Mosquitto (default; the WebSocket listener of tests/harness/ws_broker.py)
or aedes (tests/harness/node, scripts/setup_ws.sh). Both workloads send to the broker
(QoS 0 publishes, QoS 1 publish/PUBACK round trips): Debian's Mosquitto sends
WebSocket data to clients at ~40 KB/s, which small PUBACKs do not feel, but a
receive benchmark would. Figures are the median of R rounds. Prints a Markdown
table; exit status 1 when a client failed (--quick: tiny counts, figures
meaningless, for CI).
"""
import argparse
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, HERE)
from harness.ws_broker import Aedes, WsMosquitto  # noqa: E402
import peers  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--broker", choices=("aedes", "mosquitto"), default="mosquitto")
    args = ap.parse_args()
    n0, n1 = (200, 20) if args.quick else (20_000, 2_000)
    rounds = args.rounds or (1 if args.quick else 3)
    mpy = peers.find_tool("micropython")
    libdir = peers.ours_mpy_dir()
    clients = [("CPython", "ours", [sys.executable]), ("CPython", "paho", [sys.executable])]
    if mpy and libdir:
        clients.append(("MicroPython", "ours", [mpy]))
    tmp = tempfile.mkdtemp(prefix="umqtt-wsbench-")
    broker = Aedes(tmp) if args.broker == "aedes" else WsMosquitto(tmp)
    try:
        broker.start()
    except RuntimeError as e:
        print("WebSocket benchmark skipped: %s" % str(e).splitlines()[0])
        shutil.rmtree(tmp, ignore_errors=True)
        return 0
    got, errors = {}, []
    try:
        for _ in range(rounds):
            for rt, kind, exe in clients:
                for transport, port in (("tcp", broker.port), ("websockets", broker.ws_port)):
                    argv = exe + [os.path.join(HERE, "ws_worker.py"), kind, transport, str(port),
                                  str(n0), str(n1)]
                    if rt == "MicroPython":
                        argv.append(libdir)
                    r = peers.run_worker(argv)
                    if "error" in r:
                        errors.append("%s %s %s: %s" % (rt, kind, transport, r["error"]))
                        continue
                    for k in ("qos0", "qos1"):
                        got.setdefault((rt, kind, transport, k), []).append(r[k])
    finally:
        broker.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print()
    print("MQTT over WebSockets vs TCP (%s for both; msgs/s, median of %d%s)"
          % (args.broker, rounds, ", QUICK: figures meaningless" if args.quick else ""))
    print()
    print("| runtime | client | QoS 0 64 B tcp | QoS 0 64 B ws | ws/tcp | QoS 1 tcp | QoS 1 ws | ws/tcp |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for rt, kind, _ in clients:
        cells = []
        for k in ("qos0", "qos1"):
            t = peers.median(got.get((rt, kind, "tcp", k), []))
            w = peers.median(got.get((rt, kind, "websockets", k), []))
            cells += ["%.0f" % t if t else "-", "%.0f" % w if w else "-",
                      "%.2f" % (w / t) if t and w else "-"]
        name = "umqtt-rs" if kind == "ours" else "paho-mqtt 2.x"
        print("| %s | %s | %s |" % (rt, name, " | ".join(cells)))
    for e in errors:
        print("\nERROR: " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
