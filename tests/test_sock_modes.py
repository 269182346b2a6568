"""What check_msg()/wait_msg()/publish() do to the socket's mode, and which
wait_msg check_msg() runs. The CPython binding reads plain sockets without
switching their mode (poll, then recv) and runs check_msg() without
setblocking() calls when it can: the outcome must stay umqtt.simple's."""

import pytest


def test_check_msg_runs_an_overridden_wait_msg(runtime, broker, observer, mkparams):
    """check_msg() is setblocking(False) + self.wait_msg(): a subclass's or an
    instance's wait_msg is the one that runs."""
    p = mkparams(broker)
    obs = observer(broker)
    proc = runtime.start("""
        class Sub(MQTTClient):
            def wait_msg(self):
                print("SUB_WAIT")
                return super().wait_msg()
        c = Sub(CLIENT_ID, HOST, PORT)
        c.set_callback(on_msg)
        c.connect()
        c.subscribe(TOPIC, 1)
        attempt("SUB_EMPTY", c.check_msg)
        d = new_client(CLIENT_ID + "-i")
        d.connect()
        d.wait_msg = lambda: "from instance"
        attempt("INSTANCE", d.check_msg)
        d.disconnect()
        print("READY")
        poll(c, 1)
        c.disconnect()
    """, p)
    proc.expect("READY")
    obs.publish(p["TOPIC"], b"via sub", qos=1)
    r = proc.wait().check()
    assert r.value("SUB_EMPTY") is None
    assert r.value("INSTANCE") == "from instance"
    assert r.stdout.count("SUB_WAIT") >= 2
    assert [m for _, m in r.msgs()] == [b"via sub"]


@pytest.mark.parametrize("runtime", ["cpython"], indirect=True)
def test_socket_mode_after_each_call(runtime, broker, mkparams):
    p = mkparams(broker)
    r = runtime.run("""
        c = new_client(keepalive=30)
        c.set_callback(on_msg)
        c.connect()
        c.subscribe(TOPIC, 1)
        mode = lambda: c.sock.gettimeout()
        # check_msg() leaves the socket blocking, whatever it was before.
        attempt("CHECK_BLOCKING", c.check_msg)
        print("AFTER_CHECK_BLOCKING", mode())
        c.sock.settimeout(5)
        attempt("CHECK_TIMEOUT", c.check_msg)
        print("AFTER_CHECK_TIMEOUT", mode())
        # A QoS 1 publish (write + wait for PUBACK) keeps the caller's mode.
        c.sock.settimeout(5)
        c.publish(TOPIC, b"one", qos=1)
        print("AFTER_PUB_TIMEOUT", mode())
        # wait_msg() with a keepalive deadline after the user's timeout keeps it.
        print("GOT", poll(c, 1, mode="wait"))
        print("AFTER_WAIT_TIMEOUT", mode())
        c.sock.setblocking(False)
        c.publish(TOPIC, b"two", qos=1)
        print("AFTER_PUB_NONBLOCKING", mode())
        print("GOT", poll(c, 2))
        print("STILL_NONBLOCKING", mode())
        attempt("CHECK_NONBLOCKING", c.check_msg)
        print("AFTER_CHECK_NONBLOCKING", mode())
        # The user's own timeout, shorter than the keepalive, is raised as is.
        c.sock.settimeout(0.2)
        attempt("USER_TIMEOUT", c.wait_msg)
        print("AFTER_USER_TIMEOUT", mode())
        c.sock.settimeout(None)
        c.publish(TOPIC, b"three", qos=1)
        print("GOT", poll(c, 3, mode="wait"))
        c.disconnect()
    """, p)
    r.check()
    assert r.value("CHECK_BLOCKING") is None
    assert r.get("AFTER_CHECK_BLOCKING") == "None"
    assert r.value("CHECK_TIMEOUT") is None
    assert r.get("AFTER_CHECK_TIMEOUT") == "None"
    assert r.get("AFTER_PUB_TIMEOUT") == "5.0"
    assert r.get("AFTER_WAIT_TIMEOUT") == "5.0"
    assert r.get("AFTER_PUB_NONBLOCKING") == "0.0"
    assert r.get("STILL_NONBLOCKING") == "0.0"
    assert r.value("CHECK_NONBLOCKING") is None
    assert r.get("AFTER_CHECK_NONBLOCKING") == "None"
    assert r.exc("USER_TIMEOUT").name == "TimeoutError"
    assert r.get("AFTER_USER_TIMEOUT") == "0.2"
    assert [m for _, m in r.msgs()] == [b"one", b"two", b"three"]


@pytest.mark.parametrize("runtime", ["cpython"], indirect=True)
def test_check_msg_on_a_socket_closed_under_the_client(runtime, broker, mkparams):
    """As umqtt.simple: the OSError of the closed socket is raised."""
    p = mkparams(broker)
    r = runtime.run("""
        c = new_client()
        c.set_callback(on_msg)
        c.connect()
        c.sock.close()
        attempt("CHECK", c.check_msg)
    """, p)
    r.check()
    e = r.exc("CHECK")
    assert e.oserror, e
