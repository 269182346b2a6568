"""CONNECT / CONNACK: return value, session present, refused and unreachable servers."""


def test_connect_returns_zero(runtime, broker, mkparams):
    r = runtime.run("""
        c = new_client()
        attempt("SOCK_BEFORE", lambda: c.sock is None)
        attempt("CONNECT", c.connect)
        attempt("SOCK_AFTER", lambda: c.sock is not None)
        c.disconnect()
    """, mkparams(broker)).check()
    assert r.value("SOCK_BEFORE") is True
    sp = r.value("CONNECT")
    assert sp == 0 and type(sp) is int
    assert r.value("SOCK_AFTER") is True
    assert "as %s" % mkparams(broker)["CLIENT_ID"] in broker.log()


def test_session_present_after_prior_session(runtime, broker, mkparams):
    r = runtime.run("""
        c = new_client()
        c.set_callback(on_msg)
        attempt("FIRST", c.connect, False)
        c.subscribe(TOPIC, 1)
        c.disconnect()
        attempt("SECOND", c.connect, False)
        c.disconnect()
        attempt("CLEAN", c.connect, True)
        c.disconnect()
        attempt("AFTER_CLEAN", c.connect, False)
        c.disconnect()
    """, mkparams(broker)).check()
    assert r.value("FIRST") == 0
    assert r.value("SECOND") == 1
    assert r.value("CLEAN") == 0
    # A clean connect discarded the stored session: nothing to resume.
    assert r.value("AFTER_CLEAN") == 0


def test_connect_timeout_argument(runtime, broker, mkparams):
    r = runtime.run("""
        c = new_client()
        attempt("CONNECT", c.connect, True, 5)
        attempt("PUB", c.publish, TOPIC, b"x", False, 1)
        c.disconnect()
    """, mkparams(broker)).check()
    assert r.value("CONNECT") == 0
    assert r.value("PUB") is None


def test_connect_refused_port_raises_oserror(runtime, mkparams):
    from harness.broker import free_port

    class Nobody:
        host, port = "127.0.0.1", free_port()

    r = runtime.run("""
        c = new_client()
        attempt("CONNECT", c.connect)
    """, mkparams(Nobody)).check()
    e = r.exc("CONNECT")
    assert e.oserror, e
    assert e.code == 111, e  # ECONNREFUSED


def test_user_and_will_attributes_read_at_connect(runtime, mosquitto, observer, mkparams):
    """umqtt.simple reads user/pswd/lw_* when connect() runs, so code that sets the
    attributes after construction must work."""
    b = mosquitto(users={"alice": "secret"})
    p = mkparams(b, USER="alice", PSWD="secret")
    obs = observer(b, username="alice", password="secret")
    obs.subscribe(p["TOPIC"] + "/will", 1)
    proc = runtime.start("""
        c = new_client(keepalive=30)
        c.user = USER
        c.pswd = PSWD
        c.lw_topic = TOPIC + "/will"
        c.lw_msg = b"attr-will"
        c.lw_qos = 1
        attempt("CONNECT", c.connect)
        print("READY")
        time.sleep(60)
    """, p)
    proc.expect("READY")
    proc.kill()
    got = obs.wait_messages(1)
    assert [m.payload for m in got] == [b"attr-will"], proc.wait()


def test_connect_tries_every_address(runtime, broker, mkparams):
    """spec/PYAPI.md "connect": each address getaddrinfo gives, in order, until one
    takes the connection (a name with a dead first address still works), on both
    runtimes; when none does, the last failure."""
    from harness.broker import free_port

    r = runtime.run("""
        import socket
        real = socket.getaddrinfo
        ASKED = []
        def addresses(host, port, *a):
            ASKED.append(port)
            # A refusing address first (another port of the same host), then `port`.
            return real(host, DEAD, *a)[:1] + real(host, port, *a)[:1]
        try:
            socket.getaddrinfo = addresses
        except AttributeError:
            # MicroPython's built-in modules are read-only: a stand-in module.
            class Socket:
                pass
            shim = Socket()
            for k in dir(socket):
                setattr(shim, k, getattr(socket, k))
            shim.getaddrinfo = addresses
            sys.modules["socket"] = shim
        c = new_client()
        attempt("CONNECT", c.connect)
        attempt("PUB", c.publish, TOPIC, b"x", False, 1)
        c.disconnect()
        c = MQTTClient(CLIENT_ID + "-2", HOST, DEAD)
        attempt("ALL_DEAD", c.connect)
        print("ASKED", len(ASKED))
    """, mkparams(broker, DEAD=free_port())).check()
    assert r.value("CONNECT") == 0
    assert r.value("PUB") is None
    assert r.exc("ALL_DEAD").code == 111, r
    assert r.get("ASKED") == "2", r


def test_connect_without_timeout_has_a_deadline(runtime, mkparams):
    """spec/PYAPI.md "Timeouts": without connect(timeout=), a TCP connect that gets
    no answer ends after message_timeout (OSError 110), not the OS's minutes."""
    from harness.broker import SilentListener

    with SilentListener() as silent:
        r = runtime.run("""
            c = new_client(message_timeout=1)
            t0 = ticks_ms()
            attempt("CONNECT", c.connect)
            print("MS", ticks_diff(ticks_ms(), t0))
        """, mkparams(silent), timeout=30).check()
    e = r.exc("CONNECT")
    assert e.oserror and e.code == 110, e
    # The client's own clock: at least the deadline; the upper bound is slack
    # for a busy machine (the OS would retry SYNs for about two minutes).
    assert 900 <= int(r.get("MS")) < 15000, r
