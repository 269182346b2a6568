"""The pure-Python umqtt.simple peer and the .mpy size table.

micropython-umqtt.simple 1.3.4 (PyPI) ships an sdist without setup.py, so
`pip download` refuses it, but its error message names the file's address:
that file is fetched with curl into bench/.cache (git-ignored) and unpacked.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CACHE = os.path.join(HERE, ".cache")
UMQTT_REQ = "micropython-umqtt.simple==1.3.4"
UMQTT_DIR = os.path.join(CACHE, "micropython-umqtt.simple-1.3.4")


def umqtt_simple_dir():
    """Directory holding umqtt/simple.py (1.3.4), downloading it if needed."""
    if os.path.exists(os.path.join(UMQTT_DIR, "umqtt", "simple.py")):
        return UMQTT_DIR
    os.makedirs(CACHE, exist_ok=True)
    dl = os.path.join(CACHE, "dl")
    os.makedirs(dl, exist_ok=True)
    p = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
         "-d", dl, UMQTT_REQ],
        capture_output=True, text=True,
    )
    tars = glob.glob(os.path.join(dl, "micropython-umqtt.simple-1.3.4.tar.gz"))
    if not tars:
        m = re.search(r"(https?://\S+?micropython[-_]umqtt\.simple-1\.3\.4\.tar\.gz)",
                      p.stdout + p.stderr)
        if not m:
            raise RuntimeError("pip download gave no sdist address:\n" + p.stdout + p.stderr)
        tar = os.path.join(dl, "micropython-umqtt.simple-1.3.4.tar.gz")
        subprocess.run(["curl", "-sSfL", "-o", tar, m.group(1)], check=True)
        tars = [tar]
    with tarfile.open(tars[0]) as t:
        t.extractall(CACHE)
    if not os.path.exists(os.path.join(UMQTT_DIR, "umqtt", "simple.py")):
        raise RuntimeError("sdist has no umqtt/simple.py")
    return UMQTT_DIR


def find_tool(*names):
    """A command next to this Python (its venv) or on PATH."""
    bindir = os.path.dirname(sys.executable)
    for n in names:
        p = os.path.join(bindir, n)
        if os.access(p, os.X_OK):
            return p
    for n in names:
        p = shutil.which(n)
        if p:
            return p
    return None


def mpy_cross():
    return find_tool("mpy-cross-v6.3", "mpy-cross")


def umqtt_simple_mpy_size():
    """Bytes of umqtt.simple 1.3.4 compiled to bytecode .mpy, or (None, why)."""
    tool = mpy_cross()
    if not tool:
        return None, "mpy-cross not found (pip install mpy-cross-v6.3)"
    src = os.path.join(umqtt_simple_dir(), "umqtt", "simple.py")
    out = os.path.join(CACHE, "umqtt_simple_1.3.4.mpy")
    subprocess.run([tool, "-o", out, src], check=True)
    return os.path.getsize(out), None


def ours_mpy_sizes():
    """{arch: bytes} of every file under mpy_module/build/<arch>/umqtt/."""
    sizes = {}
    for d in sorted(glob.glob(os.path.join(ROOT, "mpy_module", "build", "*", "umqtt"))):
        arch = os.path.basename(os.path.dirname(d))
        files = [f for f in glob.glob(os.path.join(d, "*.mpy"))]
        if files:
            sizes[arch] = sum(os.path.getsize(f) for f in files)
    return sizes


def ours_mpy_dir():
    """The directory to put on MicroPython's sys.path for our x64 module."""
    d = os.path.join(ROOT, "mpy_module", "build", "x64")
    return d if os.path.exists(os.path.join(d, "umqtt", "simple.mpy")) else None


def run_worker(argv, timeout=300):
    """Run one benchmark worker process; its last JSON line, or {"error": ...}."""
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": "timed out"}
    for line in reversed(p.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {"error": "exit %d: %s" % (p.returncode, (p.stderr or p.stdout)[-300:])}


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if xs else None
