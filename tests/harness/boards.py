"""Client scripts on the QEMU test boards (boards/host.py): the same script text as
on the desktop runtimes (harness.runtimes.build_script), run as main.py of the
board firmware with the umqtt/simple.mpy of the board's architecture, its TCP
connections carried to the loopback interface by a boards.host.Link."""

import sys
from pathlib import Path

from harness.runtimes import REPO, ClientProcess, build_script

sys.path.insert(0, str(REPO / "boards"))
import host  # noqa: E402  (boards/host.py)

# (board, .mpy architecture) pairs the board tests run: each architecture on the
# smallest CPU that runs it (armv6m: no Cortex-M0 machine of QEMU has the RAM,
# so its Thumb-1 code runs on the Cortex-M3).
TARGETS = (("mps2-an386", "armv7emsp"), ("mps2-an385", "armv7m"), ("mps2-an385", "armv6m"),
           ("virt-rv32", "rv32imc"))


def mpy_path(arch):
    return REPO / "mpy_module" / "build" / arch / "umqtt" / "simple.mpy"


def unavailable_reason(board, arch):
    why = host.unavailable_reason(board)
    if why:
        return why
    if not mpy_path(arch).exists():
        return "%s missing: run mpy_module/build.sh %s" % (mpy_path(arch), arch)
    return None


class BoardRuntime:
    """Runs client scripts on one board with one .mpy architecture."""

    def __init__(self, board, arch, tmpdir):
        self.board, self.arch = board, arch
        self.name = "%s/%s" % (board, arch)
        self.tmpdir = Path(tmpdir)
        self._procs = []
        self._n = 0

    def mpy_file(self, name):
        """(path on the board, bytes) of another module of this architecture's build,
        for start(extra=...): e.g. mpy_file("_conn.mpy") -> umqtt/_conn.mpy."""
        return ("umqtt/" + name, (mpy_path(self.arch).parent / name).read_bytes())

    def start(self, body, params, extra=(), icount=False):
        self._n += 1
        text = build_script(body, params)
        fs_path = self.tmpdir / ("fs_%d.bin" % self._n)
        files = host.board_files(self.arch, extra) + [("main.py", text.encode())]
        fs_path.write_bytes(host.mkfs.pack(files))
        link = host.Link()
        argv = host.qemu_argv(self.board, fs_path, link.port, icount=icount)
        p = ClientProcess(self.name, argv, host.qemu_env(), text, str(self.tmpdir))
        p.link = link
        self._procs.append(p)
        return p

    def run(self, body, params, timeout=120, **kw):
        p = self.start(body, params, **kw)
        p.proc.stdin.close()
        return p.wait(timeout)

    def cleanup(self):
        for p in self._procs:
            p.close()
            p.link.close()
        self._procs = []
