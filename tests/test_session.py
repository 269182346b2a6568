"""Sessions: last will, clean_session=False queueing, persistence across a broker restart."""

import pytest

WILL_CLIENT = """
    c = new_client(keepalive=30)
    c.set_last_will(TOPIC + "/will", b"client vanished", qos=1)
    attempt("CONNECT", c.connect)
    c.publish(TOPIC + "/alive", b"up", qos=1)
    print("READY")
    if HOW == "close":
        # Drop the TCP connection without DISCONNECT, the process stays.
        c.sock.close()
        print("CLOSED")
    elif HOW == "disconnect":
        c.disconnect()
        print("CLOSED")
    time.sleep(30)
"""


@pytest.mark.parametrize("how", ["sigkill", "close"])
def test_last_will_on_abrupt_close(runtime, broker, observer, mkparams, how):
    p = mkparams(broker, HOW=how)
    obs = observer(broker)
    obs.subscribe(p["TOPIC"] + "/#", 1)
    proc = runtime.start(WILL_CLIENT, p)
    proc.expect("READY")
    assert obs.wait_messages(1)[0].payload == b"up"
    if how == "sigkill":
        proc.kill()
    else:
        proc.expect("CLOSED")
    got = obs.wait_messages(2)
    proc.kill()
    assert [(m.topic, m.payload, m.qos) for m in got[1:]] == [
        (p["TOPIC"] + "/will", b"client vanished", 1)], proc.wait()


def test_no_last_will_after_clean_disconnect(runtime, broker, observer, mkparams):
    p = mkparams(broker, HOW="disconnect")
    obs = observer(broker)
    obs.subscribe(p["TOPIC"] + "/#", 1)
    proc = runtime.start(WILL_CLIENT, p)
    proc.expect("CLOSED")
    proc.kill()
    # A will would have been published when the connection closed, so before this marker.
    obs.publish(p["TOPIC"] + "/marker", b"end", qos=1)
    got = obs.wait_messages(2)
    assert [m.payload for m in got] == [b"up", b"end"]
    assert "Client %s disconnected." % p["CLIENT_ID"] in broker.log()


def test_clean_session_false_queues_messages(runtime, broker, observer, mkparams):
    p = mkparams(broker)
    obs = observer(broker)
    proc = runtime.start("""
        c = new_client()
        c.set_callback(on_msg)
        attempt("FIRST", c.connect, False)
        c.subscribe(TOPIC, 1)
        c.disconnect()
        wait_go("OFFLINE")
        attempt("RESUME", c.connect, False)
        poll(c, 2, 10000)
        c.disconnect()
    """, p)
    proc.expect("OFFLINE")
    obs.publish(p["TOPIC"], b"while away 1", qos=1)
    obs.publish(p["TOPIC"], b"while away 2", qos=1)
    proc.send()
    r = proc.wait().check()
    assert r.value("FIRST") == 0
    assert r.value("RESUME") == 1
    assert [m for _, m in r.msgs()] == [b"while away 1", b"while away 2"]


def test_session_survives_broker_restart_with_persistence(runtime, mosquitto, observer, mkparams):
    b = mosquitto(persistence=True)
    p = mkparams(b)
    proc = runtime.start("""
        c = new_client()
        c.set_callback(on_msg)
        c.connect(False)
        c.subscribe(TOPIC, 1)
        c.disconnect()
        wait_go("OFFLINE")
        attempt("RESUME", c.connect, False)
        poll(c, 1, 10000)
        c.disconnect()
    """, p)
    proc.expect("OFFLINE")
    b.restart()
    obs = observer(b)
    obs.publish(p["TOPIC"], b"after restart", qos=1)
    proc.send()
    r = proc.wait().check()
    assert r.value("RESUME") == 1
    assert [m for _, m in r.msgs()] == [b"after restart"]


def test_clean_session_true_discards_queue(runtime, broker, observer, mkparams):
    p = mkparams(broker)
    obs = observer(broker)
    proc = runtime.start("""
        c = new_client()
        c.set_callback(on_msg)
        c.connect(False)
        c.subscribe(TOPIC, 1)
        c.disconnect()
        wait_go("OFFLINE")
        attempt("CLEAN", c.connect, True)
        c.subscribe(TOPIC + "/marker", 1)
        print("READY")
        poll(c, 1, 10000)
        c.disconnect()
    """, p)
    proc.expect("OFFLINE")
    obs.publish(p["TOPIC"], b"lost", qos=1)
    proc.send()
    proc.expect("READY")
    obs.publish(p["TOPIC"] + "/marker", b"marker", qos=1)
    r = proc.wait().check()
    assert r.value("CLEAN") == 0
    assert [m for _, m in r.msgs()] == [b"marker"]
