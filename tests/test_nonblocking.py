"""check_msg / wait_msg on non-blocking sockets and the umqtt.robust subclassing pattern."""


def test_check_msg_returns_none_promptly(runtime, broker, observer, mkparams):
    p = mkparams(broker)
    obs = observer(broker)
    proc = runtime.start("""
        c = new_client()
        c.set_callback(on_msg)
        c.connect()
        c.subscribe(TOPIC, 1)
        results = []
        worst = 0
        for i in range(20):
            t0 = ticks_ms()
            results.append(c.check_msg())
            worst = max(worst, ticks_diff(ticks_ms(), t0))
        print("RESULTS", repr(results))
        print("WORST_MS", worst)
        print("READY")
        # check_msg is not a stub: it does deliver once something is there.
        poll(c, 1, 10000)
        c.disconnect()
    """, p)
    proc.expect("READY")
    obs.publish(p["TOPIC"], b"now", qos=1)
    r = proc.wait().check()
    assert r.get("RESULTS") == repr([None] * 20)
    assert int(r.get("WORST_MS")) < 200
    assert [m for _, m in r.msgs()] == [b"now"]


def test_wait_msg_on_caller_nonblocking_socket_returns_none(runtime, broker, observer, mkparams):
    p = mkparams(broker)
    obs = observer(broker)
    proc = runtime.start("""
        c = new_client()
        c.set_callback(on_msg)
        c.connect()
        c.subscribe(TOPIC, 1)
        c.sock.setblocking(False)
        t0 = ticks_ms()
        attempt("EMPTY", c.wait_msg)
        print("EMPTY_MS", ticks_diff(ticks_ms(), t0))
        print("READY")
        # Non-blocking wait_msg polled by hand, as umqtt.robust's check_msg does.
        t0 = ticks_ms()
        while not MSGS and ticks_diff(ticks_ms(), t0) < 10000:
            c.sock.setblocking(False)
            c.wait_msg()
            time.sleep(0.01)
        c.disconnect()
    """, p)
    proc.expect("READY")
    obs.publish(p["TOPIC"], b"later", qos=1)
    r = proc.wait().check()
    assert r.value("EMPTY") is None
    assert int(r.get("EMPTY_MS")) < 200
    assert [m for _, m in r.msgs()] == [b"later"]


ROBUST = """
    class RobustClient(MQTTClient):
        # The shape of micropython-lib's umqtt.robust 1.0: retry on OSError by reconnecting.
        DELAY = 0
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.reconnects = 0
        def log(self, in_reconnect, e):
            print("ROBUST-LOG", in_reconnect, type(e).__name__)
        def reconnect(self):
            i = 0
            while i < 20:
                try:
                    r = super().connect(False)
                    self.reconnects += 1
                    return r
                except OSError as e:
                    self.log(True, e)
                    i += 1
                    time.sleep(0.2)
            raise OSError(-2, "gave up")
        def publish(self, topic, msg, retain=False, qos=0):
            while 1:
                try:
                    return super().publish(topic, msg, retain, qos)
                except OSError as e:
                    self.log(False, e)
                self.reconnect()
        def wait_msg(self):
            while 1:
                try:
                    return super().wait_msg()
                except OSError as e:
                    self.log(False, e)
                self.reconnect()
        def check_msg(self, attempts=2):
            while attempts:
                self.sock.setblocking(False)
                try:
                    return super().wait_msg()
                except OSError as e:
                    self.log(False, e)
                self.reconnect()
                attempts -= 1
"""


def test_robust_style_subclass(runtime, broker, observer, mkparams):
    p = mkparams(broker)
    obs = observer(broker)
    obs.subscribe(p["TOPIC"] + "/out", 1)
    proc = runtime.start(ROBUST + """
    c = RobustClient(CLIENT_ID, HOST, PORT)
    c.set_callback(on_msg)
    attempt("CONNECT", c.reconnect)
    attempt("ISINSTANCE", lambda: isinstance(c, MQTTClient))
    c.subscribe(TOPIC + "/in", 1)
    attempt("CHECK_EMPTY", c.check_msg)
    print("READY")
    t0 = ticks_ms()
    while not MSGS and ticks_diff(ticks_ms(), t0) < 10000:
        c.check_msg()
        time.sleep(0.01)
    c.publish(TOPIC + "/out", b"via subclass", qos=1)
    # Break the connection under the client: the robust publish reconnects and retries.
    c.sock.close()
    c.publish(TOPIC + "/out", b"after reconnect", qos=1)
    print("RECONNECTS", c.reconnects)
    c.disconnect()
    """, p)
    proc.expect("READY")
    obs.publish(p["TOPIC"] + "/in", b"to subclass", qos=1)
    r = proc.wait().check()
    assert r.value("CONNECT") == 0
    assert r.value("ISINSTANCE") is True
    assert r.value("CHECK_EMPTY") is None
    assert [m for _, m in r.msgs()] == [b"to subclass"]
    assert r.get("RECONNECTS") == "2"
    got = [m.payload for m in obs.wait_messages(2)]
    # At least once: the failed publish may stay in flight and be resent (DUP) by the
    # session resume, and robust's retry publishes it again.
    assert got[0] == b"via subclass" and b"after reconnect" in got, got
    assert set(got) == {b"via subclass", b"after reconnect"}, got


def test_robust_reconnect_resumes_session_after_broker_restart(runtime, mosquitto, observer,
                                                                mkparams):
    """The broker goes away under a robust-style client; its wait_msg reconnects with
    connect(False) and receives a message queued for its persistent session."""
    b = mosquitto(persistence=True)
    p = mkparams(b)
    proc = runtime.start(ROBUST + """
    c = RobustClient(CLIENT_ID, HOST, PORT)
    c.set_callback(on_msg)
    c.reconnect()
    c.subscribe(TOPIC, 1)
    print("READY")
    t0 = ticks_ms()
    while not MSGS and ticks_diff(ticks_ms(), t0) < 20000:
        c.wait_msg()
    print("RECONNECTS", c.reconnects)
    c.disconnect()
    """, p)
    proc.expect("READY")
    b.restart()
    obs = observer(b)
    obs.publish(p["TOPIC"], b"queued while down", qos=1)
    r = proc.wait().check()
    assert [m for _, m in r.msgs()] == [b"queued while down"]
    assert int(r.get("RECONNECTS")) >= 2
