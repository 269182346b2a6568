"""Table-driven hostile-broker runs: one client subprocess plays many cases in a row
against the fake broker, reconnecting for each (its client id names the case, so the two
sides cannot drift apart unnoticed).

A case is (id, point, spec, ops, outcome):
- point: when the fake broker misbehaves:
    "connect": instead of the CONNACK (ops must send any CONNACK themselves);
    "wait" / "check": after a normal CONNACK, while the client loops on wait_msg() /
        check_msg();
    "pub1" / "pub2": after reading the client's QoS 1 / QoS 2 PUBLISH (packet id 1);
    "sub" / "unsub": after reading its SUBSCRIBE / UNSUBSCRIBE (packet id 1).
- spec: what the case plays and the MQTT 3.1.1 statement it is written from.
- ops: what the broker does: bytes (sent as is), E(type, pid) (read the client's next
    packet, which must match), Sleep(s), Drip(bytes, delay) (one byte at a time),
    CLOSE (the broker closes the connection).
- outcome: Violation(...) = the client raises that exception and closes the connection
    (the broker sees EOF) within a deadline, without delivering anything it should not;
    Accept(...) = legal-but-unusual input: no exception (apart from the documented
    "connection still usable" codes 128 and 258), then a final QoS 1 message from the
    broker that the client acknowledges and delivers, and a QoS 1 message from the client
    that the broker acknowledges. A dict {runtime: outcome} when the runtimes differ.

Every wait on both sides has a deadline; the subprocess's return code and stderr are
checked, so a crash, an abort or a Rust panic is a failure, never a skipped case."""

import ast
import socket
import time

from . import fakebroker as fb

# Packet types from the client that the broker may read in E(...).
CONNECT, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = (fb.CONNECT, fb.PUBLISH, fb.PUBACK,
                                                     fb.PUBREC, fb.PUBREL, fb.PUBCOMP)
SUBSCRIBE, UNSUBSCRIBE, DISCONNECT = fb.SUBSCRIBE, fb.UNSUBSCRIBE, fb.DISCONNECT

TOPIC = "hostile/t"
FINAL_TOPIC = "hostile/final"
FINAL_PID = 4242
POINTS = ("connect", "wait", "check", "pub1", "pub2", "sub", "unsub")
# MQTTException codes after which the connection is documented as still usable:
# 128 subscription refused, 258 oversized packet skipped.
SOFT = (128, 258)
KEEPALIVE = 1           # seconds: a silent broker is detected after ~1.25-1.75 s
CONNECT_TIMEOUT = 1.5   # seconds for connect(timeout=...)


class E:
    """The broker reads the client's next packet (PINGREQs answered and skipped)."""

    def __init__(self, ptype, pid=None):
        self.ptype, self.pid = ptype, pid

    def __repr__(self):
        return "E(%d, %r)" % (self.ptype, self.pid)


class Sleep:
    def __init__(self, s):
        self.s = s


class Drip:
    """Send `data` one byte per segment, `delay` seconds apart (TCP may split anything)."""

    def __init__(self, data, delay=0.01):
        self.data, self.delay = data, delay


CLOSE = "close"


class Violation:
    """The client must raise `name` (an OSError subclass counts as "OSError") with
    args[0] == code, deliver exactly `msgs`, and close the connection within `within` s
    (unless the broker closed it: eof=False); `soft` ((name, code) pairs) may come first.
    """

    def __init__(self, code=256, name="MQTTException", within=3.0, eof=True, msgs=(),
                 soft=()):
        self.code, self.name, self.within, self.eof, self.msgs = code, name, within, eof, msgs
        self.soft = soft

    def __repr__(self):
        return "Violation(%s %r)" % (self.name, self.code)


def OSErr(code, **kw):
    return Violation(code, name="OSError", **kw)


class Accept:
    """No exception except `soft` ((name, code) pairs), the client sent exactly `replies`
    ((type, pid) before the final message's PUBACK), delivered `msgs` then the final
    message; `sp` / `ret` are connect()'s / subscribe()'s return values when given.
    msgs items: payload bytes, (topic, payload), or an int = length of a long payload."""

    def __init__(self, replies=(), msgs=(), sp=None, ret=None, soft=()):
        self.replies, self.msgs, self.sp, self.ret, self.soft = replies, msgs, sp, ret, soft

    def __repr__(self):
        return "Accept(replies=%r)" % (self.replies,)


class Case:
    def __init__(self, cid, point, spec, ops, outcome):
        assert point in POINTS, point
        assert any(r in spec for r in ("[MQTT-", "sec ", "Table 2.")), "%s cites nothing" % cid
        self.id, self.point, self.spec, self.ops, self.outcome = cid, point, spec, ops, outcome

    def expected(self, runtime):
        o = self.outcome
        return o[runtime] if isinstance(o, dict) else o


def check_table(cases):
    ids = [c.id for c in cases]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    assert not dup, "duplicate case ids: %s" % dup


# --- the client side: one script runs every case of a table ---------------------------

CLIENT = r"""
def info(where, e):
    code = e.args[0] if e.args else None
    msg = str(e.args[1]) if len(e.args) > 1 else ""
    return (where, type(e).__name__, isinstance(e, OSError), code, msg)

def short(b):
    return b if len(b) <= 64 else len(b)

def soft(e):
    return isinstance(e, MQTTException) and len(e.args) > 0 and e.args[0] in SOFT

for cid, point in CASES:
    got = []
    def cb(topic, msg, got=got):
        got.append((short(topic), short(msg)))
    events = []
    sp = None
    ret = None
    final = False
    alive = True
    where = "connect"
    c = MQTTClient("h-" + cid, HOST, PORT, keepalive=KEEPALIVE)
    c.set_callback(cb)
    try:
        sp = c.connect(True, CONNECT_TIMEOUT)
        # connect(timeout=) leaves that timeout on the socket; the cases want a blocking one.
        c.sock.settimeout(None)
        where = "act"
        if point == "pub1":
            c.publish(TOPIC, b"out", False, 1)
        elif point == "pub2":
            c.publish(TOPIC, b"out", False, 2)
        elif point == "sub":
            ret = c.subscribe(TOPIC, 1)
        elif point == "unsub":
            c.unsubscribe(TOPIC)
    except Exception as e:
        events.append(info(where, e))
        alive = soft(e)
    t0 = ticks_ms()
    while alive and not final and ticks_diff(ticks_ms(), t0) < LOOP_MS:
        try:
            if point == "check":
                if c.check_msg() is None:
                    time.sleep(0.005)
            else:
                c.wait_msg()
        except Exception as e:
            events.append(info("loop", e))
            alive = soft(e)
        for m in got:
            if m[1] == b"final":
                final = True
    if final:
        try:
            c.publish(TOPIC, b"done", False, 1)
            c.disconnect()
        except Exception as e:
            events.append(info("done", e))
    try:
        c.sock.close()
    except Exception:
        pass
    print("CASE", repr((cid, events, sp, ret, final, got)))
"""


# --- the broker side ------------------------------------------------------------------

class CaseFailed(Exception):
    pass


def _send(b, data):
    try:
        b.send(data)
    except OSError:
        # The client may already have closed after an earlier bad byte; the outcome
        # check says whether that was right.
        pass


def _drive(b, case, outcome):
    """Play one case; returns a list of problems seen from the broker side."""
    b.accept(timeout=20)
    p = b.expect(CONNECT)
    want = ("h-" + case.id).encode()
    if p.client_id() != want:
        raise CaseFailed("out of step: expected client %r, got %r" % (want, p.client_id()))
    if case.point != "connect":
        b.send(fb.connack())
    lead = {"pub1": (PUBLISH, 1), "pub2": (PUBLISH, 2), "sub": (SUBSCRIBE, None),
            "unsub": (UNSUBSCRIBE, None)}.get(case.point)
    if lead:
        p = b.expect(lead[0])
        if lead[0] == PUBLISH:
            _, pid, _, qos, _, _ = p.publish_fields()
            if (pid, qos) != (1, lead[1]):
                raise CaseFailed("client PUBLISH has pid/qos %r" % ((pid, qos),))
        elif p.pid != 1:
            raise CaseFailed("client request has pid %d" % p.pid)
    for op in case.ops:
        if isinstance(op, bytes):
            _send(b, op)
        elif isinstance(op, E):
            got = b.next_packet(timeout=8)
            pid = got.pid if got.type != PUBLISH else got.publish_fields()[1]
            if got.type != op.ptype or (op.pid is not None and pid != op.pid):
                raise CaseFailed("broker expected %r, client sent %r" % (op, got))
        elif isinstance(op, Sleep):
            time.sleep(op.s)
        elif isinstance(op, Drip):
            for i in range(len(op.data)):
                _send(b, op.data[i:i + 1])
                time.sleep(op.delay)
        elif op == CLOSE:
            b.conn.close()
            return []
        else:
            raise AssertionError("bad op %r" % (op,))
    if isinstance(outcome, Violation):
        if outcome.eof and not b.closed_by_client(outcome.within):
            return ["client did not close the connection within %.1f s" % outcome.within]
        return []
    # Accepted: prove the stream is still in step, both directions.
    b.send(fb.publish(FINAL_TOPIC, b"final", qos=1, pid=FINAL_PID))
    replies = []
    while True:
        got = b.next_packet(timeout=8)
        if got.type == PUBLISH:
            _, pid, payload, qos, _, _ = got.publish_fields()
            if (payload, qos) != (b"done", 1):
                raise CaseFailed("unexpected PUBLISH from client: %r" % got)
            b.send(fb.ack(PUBACK, pid))
            break
        replies.append((got.type, got.pid))
    b.expect(DISCONNECT, timeout=8)
    problems = []
    want = list(outcome.replies) + [(PUBACK, FINAL_PID)]
    if replies != want:
        problems.append("client sent %r, expected %r" % (replies, want))
    if not b.closed_by_client(3):
        problems.append("client did not close after DISCONNECT")
    return problems


def _close(b):
    if b.conn is not None:
        try:
            b.conn.close()
        except OSError:
            pass
        b.conn = None


def _same_msg(expected, got):
    topic, payload = got
    if isinstance(expected, tuple):
        return (topic, payload) == expected
    return payload == expected


def _check_client(case, outcome, res):
    """Problems in what the client reported for one case."""
    if res is None:
        return ["client printed no result"]
    _, events, sp, ret, final, got = res
    msgs = [m for m in got if m != (FINAL_TOPIC.encode(), b"final")]
    problems = []
    if isinstance(outcome, Violation):
        soft = [(e[1], e[3]) for e in events[:len(outcome.soft)]]
        if soft != list(outcome.soft):
            problems.append("exceptions %r, expected first %r" % (events, list(outcome.soft)))
        events = events[len(outcome.soft):]
        if not events:
            return problems + ["no exception (final=%s, msgs=%r)" % (final, msgs[:5])]
        where, name, oserror, code, text = events[0]
        name_ok = oserror if outcome.name == "OSError" else name == outcome.name
        if not (name_ok and code == outcome.code):
            problems.append("raised %s(%r, %r) in %s, expected %s(%r)" % (
                name, code, text, where, outcome.name, outcome.code))
        if outcome.name == "MQTTException" and outcome.code == 256 and "protocol error" not in text:
            problems.append("message %r does not say 'protocol error'" % text)
        if len(events) > 1:
            problems.append("more than one exception: %r" % (events,))
        if final:
            problems.append("delivered the final message after the violation")
    else:
        soft = [(e[1], e[3]) for e in events]
        if soft != list(outcome.soft):
            problems.append("exceptions %r, expected %r" % (events, list(outcome.soft)))
        if not final:
            problems.append("final message not delivered")
        if outcome.sp is not None and sp != outcome.sp:
            problems.append("connect() returned %r, expected %r" % (sp, outcome.sp))
        if outcome.ret is not None and ret != outcome.ret:
            problems.append("subscribe() returned %r, expected %r" % (ret, outcome.ret))
    want = list(outcome.msgs)
    if len(msgs) != len(want) or not all(_same_msg(w, g) for w, g in zip(want, msgs)):
        problems.append("delivered %r, expected %r" % (msgs[:8], want[:8]))
    return problems


def run(runtime, broker, cases, timeout=240, client=CLIENT):
    """Play `cases` at one client subprocess on `runtime` (the script `client`: CLIENT,
    or tests/test_aio_hostile.py's for umqtt.aio); fail listing every case whose
    outcome differs from its table entry."""
    check_table(cases)
    p = {"HOST": broker.host, "PORT": broker.port, "TOPIC": TOPIC, "SOFT": SOFT,
         "CASES": [(c.id, c.point) for c in cases], "KEEPALIVE": KEEPALIVE,
         "CONNECT_TIMEOUT": CONNECT_TIMEOUT, "LOOP_MS": 6000}
    proc = runtime.start(client, p, name="hostile")
    problems = {}
    started = time.monotonic()
    for n, case in enumerate(cases, 1):
        outcome = case.expected(runtime.name)
        try:
            found = _drive(broker, case, outcome)
        except (CaseFailed, AssertionError, OSError, socket.timeout) as e:
            found = ["broker side: %s: %s" % (type(e).__name__, e)]
        finally:
            _close(broker)
        if found:
            problems.setdefault(case.id, []).extend(found)
        # After the last case the client is meant to exit; before it, exiting is a failure.
        if n < len(cases) and proc.proc.poll() is not None:
            problems.setdefault(case.id, []).append("client process ended early")
            break
    left = max(10, timeout - (time.monotonic() - started))
    r = proc.wait(timeout=left)
    results = {}
    for ln in r.lines:
        if ln.startswith("CASE "):
            res = ast.literal_eval(ln[5:])
            results[res[0]] = res
    for case in cases:
        found = _check_client(case, case.expected(runtime.name), results.get(case.id))
        if found:
            problems.setdefault(case.id, []).extend(found)
    crash = []
    if r.rc != 0 or "DONE" not in r.lines:
        crash.append("client exited with rc=%s (crash or uncaught exception)" % r.rc)
    if r.stderr.strip():
        crash.append("client stderr:\n" + r.stderr[-3000:])
    report = ["%s [%s] %s:\n    %s" % (c.id, c.point, c.spec, "\n    ".join(problems[c.id]))
              for c in cases if c.id in problems]
    assert not report and not crash, "%d of %d hostile cases failed on %s:\n%s\n%s" % (
        len(report), len(cases), runtime.name, "\n".join(report), "\n".join(crash))
    return results
