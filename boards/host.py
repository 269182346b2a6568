"""Host side of the QEMU test boards: which boards there are, how QEMU runs one,
and the link that carries the board's TCP connections (boards/lib/socket.py)
to real servers on the loopback interface.

    python boards/host.py BOARD SCRIPT.py [NAME=PATH ...]   run a script on a board

The board's UART 1 is QEMU's `-serial tcp:` client of a Link listening on a
free loopback port; its UART 0 is the console (QEMU's stdio).
"""

import os
import select
import socket
import struct
import subprocess
import sys
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CACHE = HERE / ".cache"
sys.path.insert(0, str(HERE / "qemu"))
import mkfs  # noqa: E402

# board -> QEMU machine, the .mpy architectures its CPU runs, where the blob goes.
BOARDS = {
    "mps2-an386": {"qemu": "qemu-system-arm", "machine": "mps2-an386", "cpu": "Cortex-M4F",
                   "arches": ("armv7emsp", "armv7m", "armv6m"), "fs_addr": 0x21000000},
    "mps2-an385": {"qemu": "qemu-system-arm", "machine": "mps2-an385", "cpu": "Cortex-M3",
                   "arches": ("armv7m", "armv6m"), "fs_addr": 0x21000000},
    "virt-rv32": {"qemu": "qemu-system-riscv32", "machine": "virt", "cpu": "RV32IMC",
                  "arches": ("rv32imc",), "fs_addr": 0x80c00000},
}


RELAY_FRAME = 256


def firmware(board):
    return CACHE / "fw" / board / "firmware.elf"


def qemu_paths():
    """(bin dir or '', lib dir or '') from scripts/setup_boards.sh's qemu.env."""
    env = {"QEMU_BIN": "", "QEMU_LIB": ""}
    try:
        for line in (CACHE / "qemu.env").read_text().splitlines():
            k, _, v = line.partition("=")
            env[k] = v
    except OSError:
        pass
    return env["QEMU_BIN"], env["QEMU_LIB"]


def qemu_exe(board):
    bindir, _ = qemu_paths()
    name = BOARDS[board]["qemu"]
    return os.path.join(bindir, name) if bindir else name


def qemu_env():
    _, lib = qemu_paths()
    env = dict(os.environ)
    if lib:
        env["LD_LIBRARY_PATH"] = lib + (":" + env["LD_LIBRARY_PATH"]
                                        if env.get("LD_LIBRARY_PATH") else "")
    return env


def unavailable_reason(board):
    """None when QEMU and the firmware for board are there, else why not."""
    if not firmware(board).exists():
        return "firmware for %s not built: run boards/build.sh %s" % (board, board)
    try:
        subprocess.run([qemu_exe(board), "--version"], env=qemu_env(), capture_output=True,
                       check=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as e:
        return "%s not runnable (run scripts/setup_boards.sh): %r" % (qemu_exe(board), e)
    return None


def qemu_argv(board, fs_path, link_port, icount=False):
    b = BOARDS[board]
    bindir, _ = qemu_paths()
    argv = [qemu_exe(board)]
    if bindir:
        argv += ["-L", str(Path(bindir).parent / "share" / "qemu")]
    argv += ["-M", b["machine"], "-display", "none", "-monitor", "none", "-nic", "none",
             "-serial", "stdio", "-serial", "tcp:127.0.0.1:%d" % link_port,
             "-semihosting-config", "enable=on,target=native",
             "-kernel", str(firmware(board)),
             "-device", "loader,file=%s,addr=0x%x,force-raw=on" % (fs_path, b["fs_addr"])]
    if board == "virt-rv32":
        argv += ["-bios", "none", "-device", "pci-serial,chardev=link0"]
        # The second -serial is unused on virt (one UART); the link is a PCI 16550.
        i = argv.index("tcp:127.0.0.1:%d" % link_port)
        argv[i - 1:i + 1] = ["-chardev", "socket,id=link0,host=127.0.0.1,port=%d" % link_port]
    if icount:
        # One guest instruction per nanosecond of virtual time: the clock the
        # firmware reads (board.cycles) then counts instructions.
        argv += ["-icount", "shift=0,align=off,sleep=on"]
    return argv


class Link:
    """Listens for QEMU's link UART; for each board socket opens a TCP connection
    (loopback only) and relays bytes both ways in the board's framing."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(1)
        self.port = self.server.getsockname()[1]
        self.uart = None
        self.conns = {}
        self.lock = threading.Lock()
        self.connects = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _frame(self, op, chan, data=b""):
        with self.lock:
            if self.uart is not None:
                try:
                    self.uart.sendall(struct.pack(">BBH", op, chan, len(data)) + data)
                except OSError:
                    pass

    def _run(self):
        try:
            self.uart, _ = self.server.accept()
        except OSError:
            return
        self.uart.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = b""
        while True:
            try:
                data = self.uart.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            buf += data
            while len(buf) >= 4:
                op, chan, ln = struct.unpack_from(">BBH", buf)
                if len(buf) < 4 + ln:
                    break
                payload, buf = buf[4:4 + ln], buf[4 + ln:]
                self._handle(op, chan, payload)
        # The board is gone (QEMU ended): its connections drop, as when a board
        # loses power (the broker then publishes its will).
        for c in list(self.conns.values()):
            _drop(c)

    def _handle(self, op, chan, payload):
        if op == 0x43:  # C host:port
            host, _, port = payload.decode().rpartition(":")
            self.connects += 1
            if not host.startswith("127.") and host != "localhost":
                self._frame(0x45, chan, b"113")  # EHOSTUNREACH: loopback only
                return
            try:
                s = socket.create_connection((host, int(port)), timeout=10)
                s.settimeout(None)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError as e:
                self._frame(0x45, chan, str(e.errno or 111).encode())
                return
            self.conns[chan] = s
            self._frame(0x4F, chan)
            threading.Thread(target=self._relay, args=(chan, s), daemon=True).start()
        elif op == 0x44:  # D
            s = self.conns.get(chan)
            if s is not None:
                try:
                    s.sendall(payload)
                except OSError:
                    pass
        elif op == 0x58:  # X
            s = self.conns.pop(chan, None)
            if s is not None:
                _drop(s)

    def _relay(self, chan, s):
        # Frames of RELAY_FRAME bytes while data keeps coming, the rest after a
        # short lull: how the board's bytes are cut does not depend on how TCP
        # delivered them, so the board's work per message (the benchmark's
        # instruction counts) is repeatable.
        buf = b""
        while True:
            try:
                ready = select.select([s], [], [], 0.005 if buf else None)[0]
                data = s.recv(4096) if ready else None
            except (OSError, ValueError):
                # ValueError: the board closed the channel (_drop) meanwhile.
                data = b""
            if data is None:
                self._frame(0x44, chan, buf)
                buf = b""
                continue
            if not data:
                break
            buf += data
            while len(buf) >= RELAY_FRAME:
                self._frame(0x44, chan, buf[:RELAY_FRAME])
                buf = buf[RELAY_FRAME:]
        if buf:
            self._frame(0x44, chan, buf)
        if self.conns.get(chan) is s:
            self.conns.pop(chan, None)
            self._frame(0x46, chan)

    def close(self):
        self.server.close()
        if self.uart is not None:
            self.uart.close()
        for c in list(self.conns.values()):
            _drop(c)


def _drop(s):
    """Close a socket another thread may be blocked in (close alone would not
    end the TCP connection then)."""
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    s.close()


def board_files(arch, extra=()):
    """The files a board gets: the socket stand-in, the umqtt/simple.mpy a user
    would copy (mpy_module/build/<arch>), plus extra (name, bytes)."""
    mpy = Path(os.environ.get("UMQTT_BOARD_MPY_ROOT") or REPO / "mpy_module" / "build")
    files = [("socket.py", (HERE / "lib" / "socket.py").read_bytes())]
    simple = mpy / arch / "umqtt" / "simple.mpy"
    if simple.exists():
        files.append(("umqtt/simple.mpy", simple.read_bytes()))
    return files + list(extra)


def start(board, script_text, workdir, arch=None, extra=(), icount=False, **popen):
    """Start QEMU running script_text as main.py -> (Popen, Link)."""
    arch = arch or BOARDS[board]["arches"][0]
    workdir = Path(workdir)
    fs_path = workdir / ("fs-%s-%s-%d.bin" % (board, arch, id(script_text)))
    files = board_files(arch, extra) + [("main.py", script_text.encode())]
    fs_path.write_bytes(mkfs.pack(files))
    link = Link()
    argv = qemu_argv(board, fs_path, link.port, icount=icount)
    proc = subprocess.Popen(argv, env=qemu_env(), **popen)
    return proc, link


if __name__ == "__main__":
    import tempfile

    board, script = sys.argv[1], sys.argv[2]
    extra = []
    for arg in sys.argv[3:]:
        name, _, path = arg.partition("=")
        extra.append((name, Path(path).read_bytes()))
    with tempfile.TemporaryDirectory() as d:
        proc, link = start(board, Path(script).read_text(), d, extra=extra,
                           arch=os.environ.get("ARCH"))
        rc = proc.wait()
        link.close()
    sys.exit(rc)
