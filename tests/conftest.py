"""Fixtures for the umqtt-rs suite.

- `mosquitto`: factory starting a Mosquitto broker per test with the config it needs.
- `broker`:    an anonymous broker (the common case).
- `certs`:     CA + server certificate made with openssl once per session.
- `runtime`:   parametrised over UMQTT_RUNTIMES (default "cpython,micropython"); a
               requested runtime that is unavailable FAILS the test, never skips it.
- `observer`:  factory of paho-mqtt clients in the pytest process.
- `fake_broker`: a scriptable socket server for hostile/malformed input.
- `ids`:       unique client ids / topics per test.
"""

import itertools
import re

import pytest

from harness.broker import Certs, Mosquitto
from harness.fakebroker import FakeBroker
from harness.observer import Observer
from harness.runtimes import ALL_RUNTIMES, Runtime, requested_runtimes


def pytest_generate_tests(metafunc):
    # A test that names its runtimes itself (e.g. MicroPython-only heap checks) keeps them.
    own = any("runtime" in m.args[0] for m in metafunc.definition.iter_markers("parametrize"))
    if "runtime" in metafunc.fixturenames and not own:
        names = requested_runtimes()
        metafunc.parametrize("runtime", names, indirect=True, ids=names)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def _failed(request):
    return any(getattr(getattr(request.node, "rep_" + w, None), "failed", False)
               for w in ("setup", "call"))


_unavailable = {}


@pytest.fixture
def runtime(request, tmp_path_factory):
    name = request.param
    if name not in ALL_RUNTIMES:
        pytest.fail("UMQTT_RUNTIMES names unknown runtime %r (known: %s)" % (
            name, ", ".join(ALL_RUNTIMES)), pytrace=False)
    if name not in _unavailable:
        probe = Runtime(name, tmp_path_factory.mktemp("probe-" + name))
        _unavailable[name] = probe.unavailable_reason()
    if _unavailable[name]:
        pytest.fail(_unavailable[name], pytrace=False)
    rt = Runtime(name, tmp_path_factory.mktemp("client-" + name))
    yield rt
    rt.cleanup()


@pytest.fixture
def mosquitto(tmp_path, request):
    """Factory: mosquitto(users=..., acl=..., certs=..., persistence=..., deny_subscribe=...)."""
    brokers = []

    def start(**options):
        b = Mosquitto(tmp_path / ("broker%d" % len(brokers)), **options)
        brokers.append(b)
        return b.start()

    yield start
    for b in brokers:
        b.stop()
    if _failed(request):
        for b in brokers:
            print("\n===== mosquitto log (%s) =====\n%s" % (b.conf_path, b.log()[-20000:]))


@pytest.fixture
def broker(mosquitto):
    return mosquitto()


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    return Certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def observer():
    """Factory: observer(broker, **kwargs) -> connected Observer; closed at teardown."""
    made = []

    def make(b, **kwargs):
        o = Observer(b.host, b.port, **kwargs)
        made.append(o)
        return o

    yield make
    for o in made:
        o.close()


@pytest.fixture
def fake_broker():
    fb = FakeBroker()
    yield fb
    fb.close()


_counter = itertools.count(1)


class Ids:
    def __init__(self, node):
        base = re.sub(r"[^A-Za-z0-9]+", "-", node.name).strip("-")[-40:]
        self.base = "%s-%d" % (base, next(_counter))

    def client(self, suffix="c"):
        return "%s-%s" % (self.base, suffix)

    def topic(self, suffix="t"):
        return "umqtt/%s/%s" % (self.base, suffix)


@pytest.fixture
def ids(request):
    return Ids(request.node)


def params(b, ids, **extra):
    """Globals for a client script talking to broker (or fake broker) b."""
    p = {"HOST": b.host, "PORT": b.port, "CLIENT_ID": ids.client(), "TOPIC": ids.topic()}
    p.update(extra)
    return p


@pytest.fixture
def mkparams(ids):
    return lambda b, **extra: params(b, ids, **extra)


# MQTT over WebSockets: Mosquitto and aedes with ws/wss listeners (harness/ws_broker.py),
# and a fake WebSocket broker for hostile framing (harness/fake_ws.py).
from harness.fake_ws import fake_ws  # noqa: E402,F401  (fixture)
from harness.ws_broker import ws_aedes, ws_broker, ws_mosquitto  # noqa: E402,F401  (fixtures)
