"""The Markdown table of a benchmark run (run.py), and the figures behind it."""
import statistics

PEER = {"cpython": "paho", "micropython": "umqtt"}


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

    def add_cpu(self, runtime, metric, kind, r, n):
        """CPU microseconds per message of the client and of the broker, and
        the share of the wall time the broker was busy."""
        if "cpu_ns" in r and n:
            for key, v in (("_cpu", r["cpu_ns"] / n / 1e3), ("_broker", r["broker_ns"] / n / 1e3),
                           ("_broker_busy", r["broker_ns"] / max(r["wall_ns"], 1))):
                self.data.setdefault((runtime, metric + key, kind), []).append(v)

    def paired(self, runtime, metric, a, b, metric_b=None):
        """Median over rounds of a_i / b_i: figures of one round were taken
        minutes apart at most, so they share the machine's load. Falls back
        to the ratio of medians when the rounds do not pair up."""
        va = self.data.get((runtime, metric, a))
        vb = self.data.get((runtime, metric_b or metric, b))
        if not va or not vb:
            return None
        if len(va) == len(vb) and all(vb):
            return statistics.median(x / y for x, y in zip(va, vb))
        return ratio(statistics.median(va), statistics.median(vb))

    def get(self, runtime, metric, kind):
        v = self.data.get((runtime, metric, kind))
        return statistics.median(v) if v else None


def fmt_rate(v):
    if v is None:
        return "n/a"
    return "%.1fk" % (v / 1000) if v >= 1000 else "%.0f" % v


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



# --- the table ------------------------------------------------------------------------------

def table(res, sizes, umqtt_mpy, core, cfg, notes):
    out = []
    emit = out.append
    emit("| measure | runtime | ours | peer | raw limit | ours / raw | ours / peer | goal |")
    emit("|---|---|---:|---:|---:|---:|---:|---|")

    def rate_row(label, metric, rt, goal=None, raw_kind="raw", peer=True, raw_metric=None):
        o = res.get(rt, metric, "ours")
        p = res.get(rt, metric, PEER[rt]) if peer else None
        r = res.get(rt, raw_metric or metric, raw_kind)
        g = res.paired(rt, metric, "ours", raw_kind, raw_metric)
        emit("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            label, rt, fmt_rate(o), fmt_rate(p) if peer else "", fmt_rate(r), fmt_ratio(g),
            fmt_ratio(res.paired(rt, metric, "ours", PEER[rt])) if peer else "", goal_cell(g, goal)))

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
        rate_row("receive via check_msg -> callback, 64 B (msg/s; raw = the same read loop)", "rx_check",
                 rt, 0.5, raw_metric="rx_wait")
        for m, name in (("lat_p50", "p50"), ("lat_p99", "p99")):
            o, p, r = (res.get(rt, m, k) for k in ("ours", PEER[rt], "raw"))
            emit("| publish -> callback latency %s (us; ratio = raw/ours) | %s | %s | %s | %s | %s | %s | |" % (
                name, rt, fmt_num(o), fmt_num(p), fmt_num(r), fmt_ratio(res.paired(rt, m, "raw", "ours")),
                fmt_ratio(res.paired(rt, m, PEER[rt], "ours"))))
    for rt in ("cpython", "micropython"):
        for m, name in (("qos0_64", "QoS 0 publish 64 B"), ("qos1", "QoS 1 sync publish 64 B"),
                        ("rx_wait", "wait_msg receive 64 B")):
            o, p, r = (res.get(rt, m + "_cpu", k) for k in ("ours", PEER[rt], "raw"))
            emit("| client CPU per message, %s (us; ratio = raw/ours) | %s | %s | %s | %s | %s | %s | |" % (
                name, rt, fmt_num(o, digits=2), fmt_num(p, digits=2), fmt_num(r, digits=2),
                fmt_ratio(res.paired(rt, m + "_cpu", "raw", "ours")),
                fmt_ratio(res.paired(rt, m + "_cpu", PEER[rt], "ours"))))
        for m, name in (("qos0_64", "QoS 0 publish 64 B"), ("rx_wait", "wait_msg receive 64 B")):
            cells = []
            for k in ("ours", PEER[rt], "raw"):
                c, busy = res.get(rt, m + "_broker", k), res.get(rt, m + "_broker_busy", k)
                cells.append("n/a" if c is None else "%.2f (%.0f%%)" % (c, 100 * busy))
            emit("| Mosquitto CPU per message, %s (us; share of wall time busy) | %s | %s | %s | %s | | | |" % (
                name, rt, cells[0], cells[1], cells[2]))
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
