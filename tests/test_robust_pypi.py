"""micropython-lib's umqtt.robust, unmodified from PyPI, on top of our umqtt.simple.

robust subclasses simple.MQTTClient: `super().connect(False)` in reconnect(),
`super().publish(...)` and `super().wait_msg()` retried after any OSError. This is the
compatibility test for subclassing on both runtimes: robust.py is downloaded from PyPI
(micropython-umqtt.robust) and placed next to our simple module, as a user deploys it
on a board (/lib/umqtt/{simple.mpy,robust.py}).
"""

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from harness.runtimes import REPO, Runtime

CACHE = Path(__file__).resolve().parent / ".cache"


@pytest.fixture(scope="session")
def robust_py():
    """robust.py from the PyPI sdist micropython-umqtt.robust 1.0 (cached)."""
    target = CACHE / "robust.py"
    if target.exists():
        return target
    CACHE.mkdir(exist_ok=True)
    dl = CACHE / "dl"
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                    "--no-binary", ":all:", "-d", str(dl), "micropython-umqtt.robust==1.0"],
                   check=True, timeout=300)
    (sdist,) = dl.glob("micropython-umqtt.robust-*.tar.gz")
    with tarfile.open(sdist) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("/umqtt/robust.py"))
        data = tar.extractfile(member).read()
    target.write_bytes(data)
    return target


def robust_env(runtime, robust_py, tmp_path):
    """Environment that makes `from umqtt.robust import MQTTClient` find the PyPI file."""
    lib = tmp_path / "lib"
    pkg = lib / "umqtt"
    pkg.mkdir(parents=True)
    shutil.copy(robust_py, pkg / "robust.py")
    if runtime.name == "micropython":
        # One package directory holding both modules, as on a board.
        for f in (Runtime.mpy_dir() / "umqtt").iterdir():
            shutil.copy(f, pkg / f.name)
        return {"MICROPYPATH": "%s:.frozen" % lib}
    # CPython: robust imports `utime` (MicroPython's name); our umqtt package extends
    # its path, so a second umqtt/ directory on sys.path contributes robust.py. The
    # wheel ships its own umqtt.robust: with a copy of our __init__.py this directory
    # is the package found first, so the PyPI file is the one imported.
    shutil.copy(REPO / "pyo3_binding" / "python" / "umqtt" / "__init__.py", pkg / "__init__.py")
    (lib / "utime.py").write_text("from time import *\n")
    return {"PYTHONPATH": str(lib)}


def test_pypi_robust_is_the_one_imported(runtime, robust_py, tmp_path):
    r = runtime.run("""
        import umqtt.robust
        print("FILE", umqtt.robust.__file__)
    """, {}, env=robust_env(runtime, robust_py, tmp_path)).check()
    assert r.get("FILE") == str(tmp_path / "lib" / "umqtt" / "robust.py"), r


@pytest.mark.parametrize("which", ["pypi", "ours"])
def test_robust_survives_broker_restart(runtime, mosquitto, observer, mkparams, robust_py,
                                        tmp_path, which):
    """micropython-lib's robust.py unmodified, and the package's own umqtt.robust."""
    b = mosquitto(persistence=True)
    p = mkparams(b)
    env = robust_env(runtime, robust_py, tmp_path) if which == "pypi" else {}
    proc = runtime.start("""
    from umqtt import robust, simple
    print("ROBUST_FILE", robust.__file__)
    c = robust.MQTTClient(CLIENT_ID, HOST, PORT, keepalive=30)
    c.DELAY = 0.2
    attempt("SUBCLASS", lambda: isinstance(c, simple.MQTTClient))
    c.set_callback(on_msg)
    attempt("CONNECT", c.connect, False)
    attempt("SUBSCRIBE", c.subscribe, TOPIC, 1)
    print("READY")
    # Blocks in robust.wait_msg -> simple.wait_msg; the broker restarts under it:
    # robust catches the OSError, reconnects with connect(False) and goes on.
    t0 = ticks_ms()
    while not MSGS and ticks_diff(ticks_ms(), t0) < 30000:
        c.wait_msg()
    print("GOT_FIRST")
    while (b"after restart" not in [m for _, m in MSGS]
           and ticks_diff(ticks_ms(), t0) < 30000):
        c.wait_msg()
    attempt("PUBLISH", c.publish, TOPIC + "/out", b"from robust", False, 1)
    c.disconnect()
    """, p, env=env)
    proc.expect("READY")
    obs = observer(b)
    obs.publish(p["TOPIC"], b"before restart", qos=1)
    obs.close()
    proc.expect("GOT_FIRST")
    b.restart()
    obs = observer(b)
    obs.subscribe(p["TOPIC"] + "/out", 1)
    obs.publish(p["TOPIC"], b"after restart", qos=1)
    r = proc.wait(90).check()
    assert (r.get("ROBUST_FILE") == str(tmp_path / "lib" / "umqtt" / "robust.py")) == (
        which == "pypi"), r
    assert r.value("SUBCLASS") is True
    assert r.value("CONNECT") == 0
    assert r.value("SUBSCRIBE") == 1
    # QoS 1 is at least once: if the restart beat our PUBACK to the broker, the broker
    # redelivers "before restart" (DUP) on the resumed session.
    got = [m for _, m in r.msgs()]
    assert list(dict.fromkeys(got)) == [b"before restart", b"after restart"], got
    assert r.value("PUBLISH") is None
    assert [m.payload for m in obs.wait_messages(1)] == [b"from robust"]
