"""Property test (CPython): Hypothesis throws random arguments at every method of a
client connected to Mosquitto, at the constructor and at the attributes connect()
reads. Every call either works or raises one of the documented types (TypeError,
ValueError, MQTTException, OSError); the process never crashes (checked from outside:
it runs as a subprocess) and the client is still usable at the end."""

import ast
import importlib.util

import pytest

PROPERTY = r'''
import math
from hypothesis import HealthCheck, given, settings, strategies as st

ALLOWED = (TypeError, ValueError, MQTTException, OSError)
seen = {}

def note(e):
    name = type(e).__name__ if e is not None else "ok"
    seen[name] = seen.get(name, 0) + 1

def check_call(f, args, kwargs):
    try:
        f(*args, **kwargs)
        note(None)
    except ALLOWED as e:
        note(e)
        # A clear message: MQTTException carries a code, the others some text.
        assert e.args, "exception without arguments: %r" % (e,)

def fresh(c):
    """A connected client again if the last call lost the connection (a will set by a
    random set_last_will() call may not be valid: drop it first)."""
    try:
        c.ping()
    except (OSError, MQTTException):
        c.lw_topic = None
        c.connect()

# Values of every kind, with the edges that matter here.
ints = st.one_of(st.integers(-3, 5), st.integers(), st.sampled_from(
    [65535, 65536, 2 ** 31, 2 ** 63, 2 ** 64, 2 ** 70, -2 ** 63]))
texts = st.one_of(
    st.text(max_size=20),
    st.text(alphabet="ab/+#$\x00\u00e9\U0001F600", max_size=12),
    st.sampled_from(["", "#", "+", "a/#/b", "t" * 65535, "t" * 65536, "\ud800", "a\udc80"]))
blobs = st.one_of(st.binary(max_size=40), st.sampled_from([b"", b"\xff\xfe", b"a\x00b"]))
anything = st.one_of(
    st.none(), st.booleans(), ints, st.floats(allow_nan=True), texts, blobs,
    blobs.map(bytearray), blobs.map(memoryview), st.lists(ints, max_size=3),
    st.dictionaries(st.text(max_size=3), ints, max_size=2), st.just(object()),
    st.just(math.inf), st.just(lambda *a: None))
# Mostly plausible arguments (so calls get past the type checks), sometimes anything.
topicish = st.one_of(texts, blobs, anything)
qosish = st.one_of(ints, anything)

METHODS = {
    "publish": st.tuples(topicish, st.one_of(blobs, texts, anything), anything, qosish),
    "subscribe": st.tuples(topicish, qosish),
    "unsubscribe": st.tuples(topicish),
    "set_last_will": st.tuples(topicish, st.one_of(blobs, anything), anything, qosish),
    "set_callback": st.tuples(anything),
    "ping": st.just(()),
    "check_msg": st.just(()),
    "wait_msg": st.just(()),
    "connect": st.tuples(anything, st.one_of(st.none(), st.floats(-1, 5), anything)),
    "disconnect": st.just(()),
}
ATTRS = ["client_id", "keepalive", "user", "pswd", "lw_topic", "lw_msg", "lw_qos",
         "lw_retain", "pid", "cb", "port", "server"]

c = MQTTClient(CLIENT_ID, HOST, PORT, keepalive=30)
c.connect()
good = dict((a, getattr(c, a)) for a in ATTRS)
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))

@SETTINGS
@given(st.sampled_from(sorted(METHODS)).flatmap(
           lambda m: st.tuples(st.just(m), METHODS[m], st.integers(0, 4))),
       st.dictionaries(st.sampled_from(["topic", "msg", "retain", "qos", "timeout",
                                        "clean_session", "bogus"]), anything, max_size=2),
       st.sampled_from(["connected", "connected", "disconnected", "as left"]))
def test_methods(call, kwargs, state):
    name, args, cut = call
    # Mostly on a live connection; also after disconnect(), or in whatever state the
    # last call left.
    if state != "as left" or c.sock is None:
        fresh(c)
    if state == "disconnected":
        c.disconnect()
    if name == "wait_msg":
        try:
            c.sock.settimeout(0.05)
        except OSError:
            pass  # closed: wait_msg() will say "not connected"   # never block the run on an idle connection
    # Sometimes fewer positional arguments, sometimes extra keywords.
    args = args[:cut] if cut < len(args) else args
    check_call(getattr(c, name), args, kwargs if cut == 0 else {})
    # Whatever happened, the object is still sane.
    assert isinstance(c.pid, int)

@SETTINGS
@given(st.lists(anything, max_size=9),
       st.dictionaries(st.sampled_from(["port", "user", "password", "keepalive", "ssl",
                                        "ssl_params", "bogus"]), anything, max_size=2))
def test_constructor(args, kwargs):
    check_call(MQTTClient, args, kwargs)

@SETTINGS
@given(st.sampled_from(ATTRS), anything)
def test_attributes_then_connect(attr, value):
    try:
        check_call(setattr, (c, attr, value), {})
        check_call(c.connect, (), {"timeout": 5})
    finally:
        setattr(c, attr, good[attr])

test_methods()
test_constructor()
test_attributes_then_connect()

# Still usable: connect, subscribe, QoS 1 round trip.
c.set_callback(on_msg)
c.set_last_will(TOPIC + "/will", b"bye")
c.connect()
c.subscribe(TOPIC, 1)
c.publish(TOPIC, b"survived", qos=1)
poll(c, 1, 10000, "wait")
c.disconnect()
print("SEEN", repr(sorted(seen.items())))
'''


@pytest.mark.parametrize("runtime", ["cpython"], indirect=True)
def test_random_arguments_never_crash(runtime, broker, mkparams):
    # Fail, never skip: scripts/setup.sh installs it.
    assert importlib.util.find_spec("hypothesis"), "pip install hypothesis (scripts/setup.sh)"
    r = runtime.run(PROPERTY, mkparams(broker, EXAMPLES=400), timeout=300)
    assert r.rc == 0 and "DONE" in r.lines, r
    assert not [ln for ln in r.stderr.splitlines() if "panick" in ln or "Fatal" in ln], r
    seen = dict(ast.literal_eval(r.get("SEEN")))
    # The run exercised both sides: calls that worked and each kind of refusal.
    for kind in ("ok", "TypeError", "ValueError", "MQTTException"):
        assert seen.get(kind, 0) > 0, seen
    assert [m for _, m in r.msgs()] == [b"survived"]
