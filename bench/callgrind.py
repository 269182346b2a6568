"""Instructions per message in the client process, counted by callgrind:
repeatable on a noisy shared machine, where wall-clock ratios are not.

    python bench/callgrind.py [--runtime cpython|micropython] [--kinds raw,ours]
                              [--workload qos0|qos1|rx] [--size 64] [--n 5000] [--top 25]

Each client runs the workload twice under valgrind (n and 3n messages); the
difference divided by 2n is the steady-state cost per message, start-up and
connect excluded. With --top, the functions whose cost per message differs
most between the first kind and the others are listed (where the time goes).
Only user-space instructions are counted: syscalls show up in wall time and
in run.py's client CPU figures, not here.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import peers  # noqa: E402
from broker import Broker  # noqa: E402
from run import PEER, Worker  # noqa: E402


def run_once(args, port, kind, n, out):
    prefix = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out]
    if args.runtime == "cpython":
        exe, lib = sys.executable, None
    else:
        exe = os.environ.get("MICROPYTHON") or peers.find_tool("micropython")
        lib = {"ours": peers.ours_mpy_dir(), "umqtt": peers.umqtt_simple_dir()}.get(kind)
    w = Worker(args.runtime, kind, port, exe, lib, prefix=prefix, greeting_timeout=300)
    try:
        if "error" in w.greeting:
            raise RuntimeError("%s: %s" % (kind, w.greeting["error"]))
        if args.workload == "qos0":
            r = w.cmd("qos0 %d %d" % (args.size, n), 1800)
        elif args.workload == "qos1":
            r = w.cmd("qos1 %d %d 100000" % (args.size, n), 1800)
        else:
            r = w.rx("rx", args.size, n, "wait_msg", "bench/cg/%s/%d" % (kind, n), preload=True,
                     timeout=1800)
        if "error" in r:
            raise RuntimeError("%s: %s" % (kind, r["error"]))
    finally:
        w.close(120)


def functions(path):
    """{function: exclusive Ir} from callgrind_annotate."""
    p = subprocess.run(["callgrind_annotate", "--threshold=100", "--inclusive=no", path],
                       capture_output=True, text=True)
    d = {}
    for line in p.stdout.splitlines():
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+(.*)$", line)
        if m:
            name = re.sub(r" \[[^\]]*\]$", "", m.group(2))
            name = re.sub(r"^/\S*?/Python-[0-9.]+/", "", name)  # CPython source paths
            d[name] = d.get(name, 0) + int(m.group(1).replace(",", ""))
    return d


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runtime", choices=("cpython", "micropython"), default="cpython")
    ap.add_argument("--kinds", help="comma-separated; default raw,ours,<peer>")
    ap.add_argument("--workload", choices=("qos0", "qos1", "rx"), default="qos0")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--top", type=int, default=0, help="list the N functions that differ most")
    args = ap.parse_args()
    if not shutil.which("valgrind"):
        sys.exit("valgrind not found (apt-get install valgrind)")
    kinds = (args.kinds or "raw,ours,%s" % PEER[args.runtime]).split(",")
    tmp = tempfile.mkdtemp(prefix="umqtt-cg-")
    per = {}
    with Broker() as broker:
        for kind in kinds:
            files = []
            for n in (args.n, 3 * args.n):
                out = os.path.join(tmp, "%s-%d.out" % (kind, n))
                run_once(args, broker.port, kind, n, out)
                files.append(out)
            a, b = functions(files[0]), functions(files[1])
            per[kind] = {k: (b.get(k, 0) - a.get(k, 0)) / (2 * args.n) for k in set(a) | set(b)}
    base = kinds[0]
    print("%s %s, %d B payload: user-space instructions per message (callgrind)" % (
        args.runtime, args.workload, args.size))
    for kind in kinds:
        tot = per[kind].get("PROGRAM TOTALS", 0)
        print("  %-12s %9.0f  (%.2fx %s)" % (kind, tot, tot / max(per[base].get("PROGRAM TOTALS", 1), 1), base))
    for kind in kinds[1:] if args.top else []:
        print("\n%s minus %s, per message, by function (exclusive Ir):" % (kind, base))
        rows = sorted(((v - per[base].get(k, 0), k) for k, v in per[kind].items()
                       if k != "PROGRAM TOTALS"), reverse=True)
        for v, k in rows[:args.top]:
            print("  %7.0f  %s" % (v, k[:140]))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
