"""The tutorial programs in examples/ exchange messages, run as they are."""

import pytest

from harness.runtimes import REPO, Runtime, requested_runtimes

EXAMPLES = REPO / "examples"


def test_examples_publisher_to_subscriber(runtime, broker, ids):
    env = {"MQTT_HOST": broker.host, "MQTT_PORT": str(broker.port), "MQTT_TOPIC": ids.topic(),
           "MQTT_COUNT": "3", "MQTT_INTERVAL": "0.2"}
    sub = runtime.start_file(EXAMPLES / "subscriber.py", env=env)
    sub.expect("Subscribed to")
    pub = runtime.start_file(EXAMPLES / "publisher.py", env=env)
    pub_out = pub.wait(timeout=60)
    sub_out = sub.wait(timeout=30)
    assert pub_out.rc == 0, pub_out
    assert sub_out.rc == 0, sub_out
    assert [ln for ln in pub_out.lines if ln.startswith("Published")] == [
        "Published Hello #%d" % n for n in (1, 2, 3)], pub_out
    received = [ln for ln in sub_out.lines if ln.startswith("Received")]
    assert received == ["Received %s: Hello #%d" % (ids.topic(), n) for n in (1, 2, 3)], sub_out


def test_aio_examples_publisher_to_subscriber(runtime, broker, ids):
    """The asyncio versions (examples/aio_*.py), unchanged on both runtimes."""
    env = {"MQTT_HOST": broker.host, "MQTT_PORT": str(broker.port), "MQTT_TOPIC": ids.topic(),
           "MQTT_COUNT": "3", "MQTT_INTERVAL": "0.2"}
    sub = runtime.start_file(EXAMPLES / "aio_subscriber.py", env=env)
    sub.expect("Subscribed to")
    pub_out = runtime.start_file(EXAMPLES / "aio_publisher.py", env=env).wait(timeout=60)
    sub_out = sub.wait(timeout=30)
    assert pub_out.rc == 0, pub_out
    assert sub_out.rc == 0, sub_out
    assert [ln for ln in pub_out.lines if ln.startswith("Published")] == [
        "Published Hello #%d" % n for n in (1, 2, 3)], pub_out
    received = [ln for ln in sub_out.lines if ln.startswith("Received")]
    assert received == ["Received %s: Hello #%d" % (ids.topic(), n) for n in (1, 2, 3)], sub_out


def test_examples_take_arguments(runtime, broker, ids):
    """host port topic count as command-line arguments instead of the environment."""
    args = [broker.host, broker.port, ids.topic("args"), 2]
    sub = runtime.start_file(EXAMPLES / "subscriber.py", args=args)
    sub.expect("Subscribed to")
    pub = runtime.start_file(EXAMPLES / "publisher.py", args=args, env={"MQTT_INTERVAL": "0.1"})
    assert pub.wait(timeout=60).rc == 0
    sub_out = sub.wait(timeout=30)
    assert sub_out.rc == 0, sub_out
    assert len([ln for ln in sub_out.lines if ln.startswith("Received")]) == 2, sub_out



def pytest_generate_tests(metafunc):
    if "runtime_pair" in metafunc.fixturenames:
        names = requested_runtimes()
        pairs = [(a, b) for a in names for b in names if a != b]
        metafunc.parametrize("runtime_pair", pairs, ids=["%s-to-%s" % p for p in pairs])


def examples_across_runtimes(runtime_pair, broker, ids, tmp_path):
    """Publisher on one runtime, subscriber on the other: same wire format both ways."""
    pub_name, sub_name = runtime_pair
    pub_rt, sub_rt = Runtime(pub_name, tmp_path), Runtime(sub_name, tmp_path)
    for rt in (pub_rt, sub_rt):
        reason = rt.unavailable_reason()
        if reason:
            pytest.fail(reason, pytrace=False)
    env = {"MQTT_HOST": broker.host, "MQTT_PORT": str(broker.port), "MQTT_TOPIC": ids.topic(),
           "MQTT_COUNT": "3", "MQTT_INTERVAL": "0.1"}
    try:
        sub = sub_rt.start_file(EXAMPLES / "subscriber.py", env=env)
        sub.expect("Subscribed to")
        assert pub_rt.start_file(EXAMPLES / "publisher.py", env=env).wait(timeout=60).rc == 0
        sub_out = sub.wait(timeout=30)
    finally:
        pub_rt.cleanup()
        sub_rt.cleanup()
    assert sub_out.rc == 0, sub_out
    assert [ln for ln in sub_out.lines if ln.startswith("Received")] == [
        "Received %s: Hello #%d" % (ids.topic(), n) for n in (1, 2, 3)], sub_out


# Cross-runtime pairs exist only when several runtimes are requested (defined only then,
# rather than collected as a skip).
if len(requested_runtimes()) > 1:
    test_examples_across_runtimes = examples_across_runtimes
