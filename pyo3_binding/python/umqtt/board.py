"""umqtt.board: run a program written for an ESP32 on a PC, unchanged.

    python -m umqtt.board program.py [args...]        (CPython)
    micropython -m umqtt.board program.py [args...]   (MicroPython unix port)

Before the program starts, the runner makes importable what a board has:

- ``machine``: ``Pin`` (values kept, changes of outputs logged to stderr),
  ``Timer`` (periodic and one-shot), ``unique_id()``, ``reset()``, ``freq()``,
  ``idle()``, ``lightsleep()``/``deepsleep()``, ``disable_irq()``/``enable_irq()``;
- ``network``: ``WLAN`` (connected at once; ``ifconfig()`` gives loopback);
- ``time.sleep_ms``/``sleep_us``/``ticks_ms``/``ticks_us``/``ticks_diff``/
  ``ticks_add`` on CPython, and the ``u``-names (``utime``, ``ubinascii``,
  ``ujson`` ...) and ``micropython.const``/``schedule`` there too;
- ``simple`` (the tutorials copy ``simple.py`` to the board's root): our
  ``umqtt.simple``.

Timer callbacks run as MicroPython's soft IRQs do: one at a time, never
inside a client call (``MQTTClient`` methods are fenced), from the program's
sleeps (``time.sleep``, ``sleep_ms``, ``sleep_us``, ``machine.idle``) and,
once the program's top level has returned with timers still running, from
the runner, which keeps the "board" alive until Ctrl-C. A busy loop that
never sleeps starves them, as it starves a board's scheduler.

Environment: ``UMQTT_BROKER=host:port`` sends every ``MQTTClient`` the program
makes to that broker (tutorials hard-code public ones); ``UMQTT_BOARD_SECONDS``
ends the run (exit status 0) at the first sleep after that many seconds;
``UMQTT_BOARD_QUIET=1`` silences the pin log. Ctrl-C exits with status 130.
"""
import sys
import time as _time

_MICROPYTHON = sys.implementation.name == "micropython"

try:
    from os import getenv as _getenv
except ImportError:

    def _getenv(name, default=None):
        return default


# --- clock (milliseconds, wrap-safe on MicroPython) --------------------------
if _MICROPYTHON:
    _ticks = _time.ticks_ms
    _diff = _time.ticks_diff
    _add = _time.ticks_add
    _real_sleep_ms = _time.sleep_ms
else:

    def _ticks():
        return int(_time.monotonic() * 1000)

    def _diff(a, b):
        return a - b

    def _add(a, b):
        return a + b

    _real_sleep = _time.sleep

    def _real_sleep_ms(ms):
        _real_sleep(ms / 1000)


class _Board:
    """State shared by the fake modules: timers, the client-call fence, the end."""

    timers = {}  # id -> Timer
    scheduled = []  # micropython.schedule() calls
    in_irq = False
    in_client = 0
    deadline = None  # ticks at which the run ends (UMQTT_BOARD_SECONDS)


def _log(text):
    if _getenv("UMQTT_BOARD_QUIET") != "1":
        sys.stderr.write("[board] " + text + "\n")


def _print_exc(e):
    if _MICROPYTHON:
        sys.print_exception(e, sys.stderr)
    else:
        import traceback

        traceback.print_exception(type(e), e, e.__traceback__)


def run_due():
    """Run the callbacks that are due, one at a time; not inside a client call
    or another callback (then they wait for the next chance)."""
    if _Board.in_irq or _Board.in_client:
        return
    _Board.in_irq = True
    try:
        while _Board.scheduled:
            f, arg = _Board.scheduled.pop(0)
            _call(f, arg)
        now = _ticks()
        for t in list(_Board.timers.values()):
            if t._next is not None and _diff(now, t._next) >= 0:
                if t._periodic:
                    t._next = _add(t._next, t._period)
                    if _diff(now, t._next) >= 0:  # fell behind: do not replay a burst
                        t._next = _add(now, t._period)
                else:
                    t.deinit()
                _call(t._callback, t)
    finally:
        _Board.in_irq = False


def _call(f, arg):
    # A board prints an exception raised in a soft IRQ and carries on.
    try:
        f(arg)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as e:
        sys.stderr.write("Uncaught exception in IRQ callback handler\n")
        _print_exc(e)


def _next_event_ms(limit):
    """Milliseconds until the next timer (or the end of the run), at most limit."""
    now = _ticks()
    wait = limit
    if _Board.scheduled:
        return 0
    for t in _Board.timers.values():
        if t._next is not None:
            wait = min(wait, max(0, _diff(t._next, now)))
    if _Board.deadline is not None:
        wait = min(wait, max(0, _diff(_Board.deadline, now)))
    return wait


def _check_end():
    if _Board.deadline is not None and _diff(_ticks(), _Board.deadline) >= 0:
        raise SystemExit(0)


def sleep_ms(ms):
    """Sleep, running timer callbacks at their times (if not in a client call)."""
    end = _add(_ticks(), max(0, int(ms)))
    while True:
        if not _Board.in_client:
            _check_end()
            run_due()
        left = _diff(end, _ticks())
        if left <= 0:
            return
        _real_sleep_ms(_next_event_ms(left) if not _Board.in_client else left)


def sleep(s):
    sleep_ms(s * 1000)


def sleep_us(us):
    sleep_ms(us // 1000)


# --- machine ------------------------------------------------------------------
class Pin:
    IN = 1
    OUT = 3
    OPEN_DRAIN = 7
    PULL_UP = 1
    PULL_DOWN = 2
    IRQ_FALLING = 2
    IRQ_RISING = 1
    values = {}  # pin id -> last value, for tests and curious users

    def __init__(self, id, mode=-1, pull=-1, value=None, **kwargs):
        self.id = id
        self.init(mode, pull, value)

    def init(self, mode=-1, pull=-1, value=None, **kwargs):
        if mode != -1:
            self.mode = mode
        if self.id not in Pin.values:
            Pin.values[self.id] = 1 if pull == Pin.PULL_UP else 0
        if value is not None:
            self.value(value)

    def value(self, v=None):
        if v is None:
            return Pin.values.get(self.id, 0)
        v = 1 if v else 0
        if Pin.values.get(self.id) != v:
            _log("Pin(%r) = %d" % (self.id, v))
        Pin.values[self.id] = v

    __call__ = value

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def toggle(self):
        self.value(1 - self.value())

    def irq(self, handler=None, trigger=3, **kwargs):
        return None

    def __repr__(self):
        return "Pin(%r)" % (self.id,)


class Timer:
    ONE_SHOT = 0
    PERIODIC = 1

    def __init__(self, id=-1, **kwargs):
        self.id = id
        self._next = None
        self._callback = None
        self._periodic = True
        self._period = 0
        if kwargs:
            self.init(**kwargs)

    def init(self, mode=PERIODIC, period=-1, callback=None, freq=-1, tick_hz=1000):
        if freq > 0:
            period = 1000 // freq
        elif tick_hz != 1000 and period >= 0:
            period = period * 1000 // tick_hz
        if period < 0:
            raise ValueError("period or freq needed")
        self._period = max(1, int(period))
        self._periodic = mode == Timer.PERIODIC
        self._callback = callback
        self._next = _add(_ticks(), self._period)
        # One hardware timer per id: a new init replaces what ran on it.
        old = _Board.timers.get(self.id)
        if old is not None and old is not self:
            old.deinit()
        _Board.timers[self.id if self.id != -1 else object()] = self

    def deinit(self):
        # Timer(0).deinit() stops what runs on hardware timer 0, as on a board.
        self._next = None
        for k, t in list(_Board.timers.items()):
            if t is self or (k == self.id and self.id != -1):
                t._next = None
                del _Board.timers[k]

    def value(self):
        if self._next is None:
            return 0
        return max(0, _diff(self._next, _ticks()))

    def __repr__(self):
        return "Timer(%r, period=%d)" % (self.id, self._period)


def _unique_id():
    value = _getenv("UMQTT_BOARD_ID")
    if value:
        return value.encode()
    try:
        from os import getpid

        n = getpid()
    except ImportError:
        n = _ticks()
    return bytes([0x24, 0x0A, 0xC4, (n >> 16) & 0xFF, (n >> 8) & 0xFF, n & 0xFF])


def _module(name, attrs):
    # A plain object stands in for a module: both runtimes import what is in
    # sys.modules, and MicroPython cannot create module objects.
    class Module:
        pass

    m = Module()
    m.__name__ = name
    for k, v in attrs.items():
        setattr(m, k, v)
    return m


def _machine():
    def idle():
        sleep_ms(1)

    def lightsleep(ms=None):
        sleep_ms(ms or 0)

    def deepsleep(ms=None):
        sleep_ms(ms or 0)
        raise SystemExit(0)

    def reset():
        _log("machine.reset()")
        raise SystemExit(0)

    return _module("machine", {
        "Pin": Pin, "Timer": Timer, "unique_id": _unique_id, "reset": reset,
        "soft_reset": reset, "freq": lambda hz=None: 240000000, "idle": idle,
        "lightsleep": lightsleep, "deepsleep": deepsleep,
        "disable_irq": lambda: 0, "enable_irq": lambda state=0: None,
    })


class WLAN:
    """A Wi-Fi interface that is connected as soon as connect() is called."""

    def __init__(self, interface=0):
        self._active = False
        self._connected = False
        self._ssid = None

    def active(self, on=None):
        if on is None:
            return self._active
        self._active = bool(on)

    def connect(self, ssid=None, key=None, **kwargs):
        self._active = True
        self._connected = True
        self._ssid = ssid
        _log("WLAN connected to %r" % (ssid,))

    def disconnect(self):
        self._connected = False

    def isconnected(self):
        return self._connected

    def status(self, param=None):
        if param == "rssi":
            return -40
        return 1010 if self._connected else 1000

    def ifconfig(self, config=None):
        return ("127.0.0.1", "255.0.0.0", "127.0.0.1", "127.0.0.1")

    def ipconfig(self, name):
        return self.ifconfig()[0]

    def config(self, *args, **kwargs):
        if args and args[0] == "mac":
            return _unique_id()
        if args and args[0] in ("ssid", "essid"):
            return self._ssid
        return None

    def scan(self):
        return []


def _network():
    return _module("network", {
        "WLAN": WLAN, "STA_IF": 0, "AP_IF": 1, "STAT_IDLE": 1000, "STAT_CONNECTING": 1001,
        "STAT_GOT_IP": 1010, "hostname": lambda name=None: "umqtt-board",
    })


def _time_module():
    attrs = {}
    for k in dir(_time):
        if not k.startswith("__"):
            attrs[k] = getattr(_time, k)
    attrs.update({"sleep": sleep, "sleep_ms": sleep_ms, "sleep_us": sleep_us})
    if not _MICROPYTHON:
        attrs.update({
            "ticks_ms": _ticks, "ticks_us": lambda: int(_time.monotonic() * 1000000),
            "ticks_cpu": lambda: int(_time.monotonic() * 1000000), "ticks_diff": _diff,
            "ticks_add": _add,
        })
    return _module("time", attrs)


def _fence_client(simple):
    """MQTTClient whose methods are fenced against timer callbacks and whose
    broker UMQTT_BROKER can override."""
    base = simple.MQTTClient

    class MQTTClient(base):
        def __init__(self, client_id, server, port=0, *args, **kwargs):
            target = _getenv("UMQTT_BROKER")
            if target:
                host, _, p = target.rpartition(":")
                server, port = (host, int(p)) if host else (target, 1883)
            super().__init__(client_id, server, port, *args, **kwargs)

    def fence(name):
        method = getattr(base, name)

        def call(self, *args, **kwargs):
            _Board.in_client += 1
            try:
                return method(self, *args, **kwargs)
            finally:
                _Board.in_client -= 1

        return call

    for name in ("connect", "disconnect", "ping", "publish", "subscribe", "unsubscribe",
                 "wait_msg", "check_msg", "reconnect"):
        setattr(MQTTClient, name, fence(name))
    simple.MQTTClient = MQTTClient


def install():
    """Put the board's modules in place (run() does this)."""
    from umqtt import simple

    _fence_client(simple)
    mods = {"machine": _machine(), "network": _network(), "simple": simple}
    tm = _time_module()
    mods["time"] = mods["utime"] = tm
    if not _MICROPYTHON:
        # CPython's own time module gets the board's sleeps too (a program may
        # have imported it already, or use `from time import sleep`).
        for k, v in tm.__dict__.items():
            if k != "__name__":
                setattr(_time, k, v)
        mods["time"] = mods["utime"] = _time
        import binascii, errno, hashlib, io, json, os, random, select, socket, struct

        for m in (binascii, errno, hashlib, io, json, os, random, select, socket, struct):
            mods["u" + m.__name__] = m
        mods["micropython"] = _module("micropython", {
            "const": lambda x: x, "native": lambda f: f, "viper": lambda f: f,
            "schedule": lambda f, arg: _Board.scheduled.append((f, arg)),
            "alloc_emergency_exception_buf": lambda n: None, "opt_level": lambda *a: 0,
            "mem_info": lambda *a: None,
        })
    for k, v in mods.items():
        sys.modules[k] = v


def run(path, argv=()):
    """Run the program at path as __main__ on the desktop board."""
    seconds = _getenv("UMQTT_BOARD_SECONDS")
    if seconds:
        _Board.deadline = _add(_ticks(), int(float(seconds) * 1000))
    install()
    sys.argv[:] = [path] + list(argv)
    folder = path.rpartition("/")[0]
    sys.path.insert(0, folder or ".")
    with open(path) as f:
        source = f.read()
    g = {"__name__": "__main__", "__file__": path}
    try:
        try:
            code = compile(source, path, "exec")
        except NameError:  # a MicroPython port without compile()
            code = source
        exec(code, g)
        # The top level returned: a board stays on and its timers keep firing.
        while _Board.timers or _Board.scheduled:
            sleep_ms(_next_event_ms(1000))
    except KeyboardInterrupt:
        sys.exit(130)
    except SystemExit as e:
        code = e.args[0] if e.args else 0
        if code:
            raise
    finally:
        for t in list(_Board.timers.values()):
            t.deinit()


def main():
    if len(sys.argv) < 2:
        print("usage: python -m umqtt.board program.py [args...]")
        sys.exit(2)
    run(sys.argv[1], sys.argv[2:])


if __name__ == "__main__":
    main()
