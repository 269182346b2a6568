"""umqtt.board: programs written for an ESP32 run unchanged on a PC, on both runtimes.

`python -m umqtt.board prog.py` / `micropython -m umqtt.board prog.py` provide machine,
network, simple and the board's time functions; timers fire like soft IRQs."""

import signal
import sys

import pytest

from harness.runtimes import REPO, ClientProcess, Runtime, requested_runtimes

EXAMPLES = REPO / "examples"


def start_board(runtime, path, env=None, args=()):
    if runtime.name == "cpython":
        argv = [sys.executable, "-u", "-m", "umqtt.board", str(path)]
    else:
        argv = [runtime.micropython_exe(), "-m", "umqtt.board", str(path)]
    p = ClientProcess(runtime.name, argv + [str(a) for a in args], runtime.env(env),
                      path.read_text(), str(runtime.tmpdir))
    runtime._procs.append(p)
    return p


def program(runtime, name, text):
    path = runtime.tmpdir / ("%s_%s.py" % (name, runtime.name))
    path.write_text(text)
    return path


def test_tutorial_publisher_and_subscriber_run_unchanged(runtime, broker):
    """The Timer-driven tutorial programs, hard-coding a public broker, talk through the
    test's Mosquitto (UMQTT_BROKER); the subscriber prints what the publisher sent."""
    tutorial_pair(runtime, runtime, broker)


def tutorial_pair(pub_rt, sub_rt, broker):
    env = {"UMQTT_BROKER": "%s:%d" % (broker.host, broker.port)}
    sub = start_board(sub_rt, EXAMPLES / "board_subscriber.py",
                      env=dict(env, UMQTT_BOARD_SECONDS="60"))
    sub.expect("Subscribed to b'umqtt-rs/tutorial'")
    pub = start_board(pub_rt, EXAMPLES / "board_publisher.py",
                      env=dict(env, UMQTT_BOARD_SECONDS="4.6"))
    pub_out = pub.wait(timeout=60)
    assert pub_out.rc == 0, pub_out
    sent = [ln[len("Published "):] for ln in pub_out.lines if ln.startswith("Published ")]
    # A timer every second from connect() on, within 4.6 s of the start (start-up and
    # connect take their time on a loaded machine).
    assert sent[:2] == ["b'hello #1'", "b'hello #2'"] and len(sent) <= 4, pub_out
    assert sent == ["b'hello #%d'" % n for n in range(1, len(sent) + 1)], pub_out
    assert "Wi-Fi connected: ('127.0.0.1'" in pub_out.stdout
    assert "[board] Pin(15) = 1" in pub_out.stderr and "[board] Pin(15) = 0" in pub_out.stderr
    sub.expect("Received b'umqtt-rs/tutorial' %s" % sent[-1], timeout=30)
    # Ctrl-C ends the "board" as it ends a program on one.
    sub.kill(signal.SIGINT)
    sub_out = sub.wait(timeout=30)
    assert sub_out.rc == 130, sub_out
    received = [ln.split(" ", 2)[2] for ln in sub_out.lines if ln.startswith("Received ")]
    assert received == sent, sub_out
    assert "[board] Pin(15) = 1" in sub_out.stderr
    log = broker.log()
    assert "as umqtt-rs-esp32-publisher" in log and "as umqtt-rs-esp32-subscriber" in log


def both_ways(broker, tmp_path):
    """Publisher on CPython, subscriber on MicroPython, and the other way round."""
    for pub_name, sub_name in (("cpython", "micropython"), ("micropython", "cpython")):
        pub_rt, sub_rt = Runtime(pub_name, tmp_path), Runtime(sub_name, tmp_path)
        for rt in (pub_rt, sub_rt):
            reason = rt.unavailable_reason()
            if reason:
                pytest.fail(reason, pytrace=False)
        try:
            tutorial_pair(pub_rt, sub_rt, broker)
        finally:
            pub_rt.cleanup()
            sub_rt.cleanup()


# Only when both runtimes are requested (defined only then, not collected as a skip).
if {"cpython", "micropython"} <= set(requested_runtimes()):
    test_tutorial_programs_across_runtimes = both_ways


TIMERS = r"""
import time
from machine import Timer
state = {"busy": False, "overlap": 0, "slow": 0, "fast": 0, "one": 0}

def slow(t):
    if state["busy"]:
        state["overlap"] += 1
    state["busy"] = True
    time.sleep_ms(30)       # sleeping in a callback: the others wait their turn
    state["busy"] = False
    state["slow"] += 1

def fast(t):
    if state["busy"]:
        state["overlap"] += 1
    state["fast"] += 1

def one(t):
    state["one"] += 1

Timer(1).init(period=50, mode=Timer.PERIODIC, callback=slow)
Timer(2, period=10, mode=Timer.PERIODIC, callback=fast)
Timer(3).init(period=100, mode=Timer.ONE_SHOT, callback=one)
t0 = time.ticks_ms()
time.sleep(0.6)
print("ELAPSED", time.ticks_diff(time.ticks_ms(), t0))
Timer(1).deinit()           # a new object for the same hardware timer stops it
n = state["slow"]
time.sleep_ms(200)
print("STOPPED", state["slow"] == n)
print("OVERLAP", state["overlap"])
print("ONE", state["one"])
print("SLOW", n)
print("FAST", state["fast"])

def late(t):
    print("AFTER TOP LEVEL", state["fast"] > 0)
Timer(4).init(period=300, mode=Timer.ONE_SHOT, callback=late)
Timer(5).init(period=100, mode=Timer.PERIODIC, callback=lambda t: 1 / 0)
print("TOP LEVEL DONE")
"""


def test_timers_are_soft_irqs(runtime):
    r = start_board(runtime, program(runtime, "timers", TIMERS),
                    env={"UMQTT_BOARD_SECONDS": "1.6"}).wait(timeout=60)
    assert r.rc == 0, r
    got = dict(ln.split(" ", 1) for ln in r.lines if " " in ln)
    assert int(got["ELAPSED"]) >= 600, r
    assert got["OVERLAP"] == "0" and got["ONE"] == "1" and got["STOPPED"] == "True", r
    # Honest slack for a busy machine: at most one run per period of the time that
    # really passed (no burst after a late start), at least a few.
    elapsed = int(got["ELAPSED"])
    assert 3 <= int(got["SLOW"]) <= elapsed // 50 + 1, r
    assert 5 <= int(got["FAST"]) <= elapsed // 10 + 1, r
    # The top level returned; the runner kept the board alive for the one-shot timer,
    # and a failing callback was reported without stopping the others, until the
    # UMQTT_BOARD_SECONDS deadline ended the run (exit status 0).
    assert r.lines.index("TOP LEVEL DONE") < r.lines.index("AFTER TOP LEVEL True"), r
    assert "Uncaught exception in IRQ callback handler" in r.stderr
    assert "ZeroDivisionError" in r.stderr


FENCED = r"""
import time
import umqtt.simple
from machine import Timer
from simple import MQTTClient
from umqtt.robust import MQTTClient as RobustClient

ticks = [0]

def tick(t):
    ticks[0] += 1

Timer(0).init(period=2, mode=Timer.PERIODIC, callback=tick)
seen = []

def on_msg(topic, msg):
    # Runs inside wait_msg(), a client call: no timer may fire while it sleeps.
    before = ticks[0]
    time.sleep_ms(100)
    seen.append((msg, ticks[0] - before))

print("SAME_CLASS", umqtt.simple.MQTTClient is MQTTClient, issubclass(RobustClient, MQTTClient))
c = MQTTClient("board-fence", "broker.invalid", 1)   # hard-coded, redirected by UMQTT_BROKER
c.set_callback(on_msg)
print("CONNECT", c.connect())
c.subscribe(b"board/fence", 1)
c.publish(b"board/fence", b"ping", qos=1)
while not seen:
    c.wait_msg()
print("DURING_CALLBACK", seen[0][1])
before = ticks[0]
time.sleep_ms(100)
print("DURING_SLEEP", ticks[0] - before > 0)
r = RobustClient("board-robust", "broker.invalid")
print("ROBUST_CONNECT", r.connect())
r.disconnect()
c.disconnect()
Timer(0).deinit()
"""


def test_client_calls_are_fenced_and_redirected(runtime, broker):
    r = start_board(runtime, program(runtime, "fenced", FENCED),
                    env={"UMQTT_BROKER": "%s:%d" % (broker.host, broker.port)}).wait(timeout=60)
    assert r.rc == 0, r
    assert "SAME_CLASS True True" in r.lines, r
    assert "CONNECT 0" in r.lines and "ROBUST_CONNECT 0" in r.lines, r
    assert "DURING_CALLBACK 0" in r.lines, r
    assert "DURING_SLEEP True" in r.lines, r
    assert "as board-robust" in broker.log()


def test_program_error_is_reported(runtime):
    path = program(runtime, "fails", "import machine\nmachine.Pin(2, machine.Pin.OUT).on()\n"
                                     "raise ValueError('boom')\n")
    r = start_board(runtime, path).wait(timeout=60)
    assert r.rc == 1, r
    assert "ValueError" in r.stderr and "boom" in r.stderr, r
