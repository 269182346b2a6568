"""The Python surface: attributes, str/bytes arguments, argument errors, callback errors."""


def test_attribute_defaults_and_writes(runtime, broker, mkparams):
    r = runtime.run("""
        c = MQTTClient("cid", HOST)
        for name in ("client_id", "sock", "server", "port", "ssl", "pid", "cb", "user", "pswd",
                     "keepalive", "lw_topic", "lw_msg", "lw_qos", "lw_retain"):
            attempt("ATTR_" + name, getattr, c, name)
        attempt("PARAMS_EMPTY", lambda: len(c.ssl_params) == 0)
        c2 = MQTTClient("cid", HOST, 1234, "u", "p", 60)
        attempt("POS", lambda: (c2.port, c2.keepalive))
        attempt("POS_USER", lambda: c2.user in ("u", b"u") and c2.pswd in ("p", b"p"))
        def cb(t, m):
            pass
        c.set_callback(cb)
        attempt("CB_SET", lambda: c.cb is cb)
        c.set_last_will("will/t", "bye", True, 1)
        attempt("LW", lambda: (c.lw_topic in ("will/t", b"will/t"), c.lw_msg in ("bye", b"bye"),
                               c.lw_qos, bool(c.lw_retain)))
        c.keepalive = 30
        c.port = PORT
        c.client_id = "other"
        attempt("WRITTEN", lambda: (c.keepalive, c.port, c.client_id in ("other", b"other")))
    """, mkparams(broker)).check()
    assert r.value("ATTR_client_id") in ("cid", b"cid")
    assert r.value("ATTR_sock") is None
    assert r.value("ATTR_server") == "127.0.0.1"
    assert r.value("ATTR_port") == 1883
    assert not r.value("ATTR_ssl")
    assert r.value("ATTR_pid") == 0
    assert r.value("ATTR_cb") is None
    assert r.value("ATTR_user") is None
    assert r.value("ATTR_pswd") is None
    assert r.value("ATTR_keepalive") == 0
    assert r.value("ATTR_lw_topic") is None
    assert r.value("ATTR_lw_msg") is None
    assert r.value("ATTR_lw_qos") == 0
    assert not r.value("ATTR_lw_retain")
    assert r.value("PARAMS_EMPTY") is True
    assert r.value("POS") == (1234, 60)
    assert r.value("POS_USER") is True
    assert r.value("CB_SET") is True
    assert r.value("LW") == (True, True, 1, True)
    assert r.value("WRITTEN") == (30, broker.port, True)


def test_str_and_bytes_arguments(runtime, broker, observer, mkparams):
    p = mkparams(broker)
    obs = observer(broker)
    obs.subscribe(p["TOPIC"] + "/#", 1)
    utf8 = p["TOPIC"] + "/temp\u00e9rature/\u00b0C"
    proc = runtime.start("""
        c = MQTTClient(CLIENT_ID.encode(), HOST, PORT)
        def cb(topic, msg):
            print("TYPES", type(topic).__name__, type(msg).__name__)
            # Received bytes hash and compare as bytes made here do (the
            # MicroPython glue leaves their hash to be computed when asked).
            key = (TOPIC + "/in").encode()
            if topic == key:
                print("HASH", hash(topic) == hash(key), {topic: 1}.get(key), {key: 2}.get(topic),
                      hash(msg) == hash(bytes([0, 255]) + b"binary"))
            on_msg(topic, msg)
        c.set_callback(cb)
        c.connect()
        c.publish(TOPIC + "/s", "str message")
        c.publish((TOPIC + "/b").encode(), b"bytes message", qos=1)
        c.publish(UTF8, "\\u00e9t\\u00e9", qos=1)
        c.subscribe((TOPIC + "/in").encode(), 1)
        c.subscribe(UTF8 + "/in", 1)
        print("READY")
        poll(c, 2, 10000)
        c.disconnect()
    """, dict(p, UTF8=utf8))
    proc.expect("READY")
    obs.publish(p["TOPIC"] + "/in", b"\x00\xffbinary", qos=1)
    obs.publish(utf8 + "/in", "\u00e9".encode(), qos=1)
    r = proc.wait().check()
    assert r.get("TYPES") == "bytes bytes"
    assert r.get("HASH") == "True 1 2 True"
    assert r.msgs() == [((p["TOPIC"] + "/in").encode(), b"\x00\xffbinary"),
                        ((utf8 + "/in").encode(), "\u00e9".encode())]
    got = [(m.topic, m.payload) for m in obs.wait_messages(5)
           if not m.topic.endswith("/in")]
    assert got == [(p["TOPIC"] + "/s", b"str message"), (p["TOPIC"] + "/b", b"bytes message"),
                   (utf8, "\u00e9t\u00e9".encode())]


BAD_ARGS = """
    c = new_client()
    attempt("SUB_NO_CALLBACK_BEFORE_CONNECT", c.subscribe, TOPIC)
    attempt("PUB_BEFORE_CONNECT", c.publish, TOPIC, b"x")
    attempt("KEEPALIVE_TOO_BIG", MQTTClient, "x", HOST, PORT, None, None, 65536)
    attempt("WILL_EMPTY_TOPIC", c.set_last_will, "", "m")
    attempt("WILL_BAD_QOS", c.set_last_will, "t", "m", False, 3)
    c.connect()
    attempt("SUB_NO_CALLBACK", c.subscribe, TOPIC)
    c.set_callback(on_msg)
    attempt("PUB_TOPIC_INT", c.publish, 123, b"x")
    attempt("PUB_MSG_INT", c.publish, TOPIC, 123)
    attempt("PUB_MSG_NONE", c.publish, TOPIC, None)
    attempt("PUB_QOS_3", c.publish, TOPIC, b"x", False, 3)
    attempt("PUB_QOS_NEG", c.publish, TOPIC, b"x", False, -1)
    attempt("PUB_EMPTY_TOPIC", c.publish, "", b"x")
    attempt("PUB_WILDCARD_PLUS", c.publish, "a/+/b", b"x")
    attempt("PUB_WILDCARD_HASH", c.publish, "a/#", b"x")
    attempt("PUB_NUL", c.publish, "a\\x00b", b"x")
    attempt("SUB_TOPIC_INT", c.subscribe, 5)
    attempt("SUB_QOS_3", c.subscribe, TOPIC, 3)
    attempt("SUB_BAD_HASH", c.subscribe, "a/#/b")
    attempt("SUB_BAD_PLUS", c.subscribe, "a/b+")
    attempt("SUB_EMPTY", c.subscribe, "")
    attempt("UNSUB_INT", c.unsubscribe, 5)
    attempt("UNSUB_EMPTY", c.unsubscribe, "")
    # After all that the connection is still fine.
    c.subscribe(TOPIC, 1)
    c.publish(TOPIC, b"still fine", qos=1)
    poll(c, 1, 10000)
    c.disconnect()
"""

EXPECTED = {
    "SUB_NO_CALLBACK_BEFORE_CONNECT": "ValueError",
    "KEEPALIVE_TOO_BIG": "ValueError",
    "WILL_EMPTY_TOPIC": "ValueError",
    "WILL_BAD_QOS": "ValueError",
    "SUB_NO_CALLBACK": "ValueError",
    "PUB_TOPIC_INT": "TypeError",
    "PUB_MSG_INT": "TypeError",
    "PUB_MSG_NONE": "TypeError",
    "PUB_QOS_3": "ValueError",
    "PUB_QOS_NEG": "ValueError",
    "PUB_EMPTY_TOPIC": "ValueError",
    "PUB_WILDCARD_PLUS": "ValueError",
    "PUB_WILDCARD_HASH": "ValueError",
    "PUB_NUL": "ValueError",
    "SUB_TOPIC_INT": "TypeError",
    "SUB_QOS_3": "ValueError",
    "SUB_BAD_HASH": "ValueError",
    "SUB_BAD_PLUS": "ValueError",
    "SUB_EMPTY": "ValueError",
    "UNSUB_INT": "TypeError",
    "UNSUB_EMPTY": "ValueError",
}


def test_bad_arguments_raise_type_or_value_error(runtime, broker, mkparams):
    r = runtime.run(BAD_ARGS, mkparams(broker)).check()
    wrong = {}
    for label, name in EXPECTED.items():
        text = r.get(label)
        if not text.startswith("EXC %s " % name):
            wrong[label] = text
    assert not wrong, "expected exception types differ: %r" % wrong
    # PYAPI: code 259 = not connected.
    e = r.exc("PUB_BEFORE_CONNECT")
    assert e.name == "MQTTException" and e.code == 259, e
    assert [m for _, m in r.msgs()] == [b"still fine"]


def test_mqttexception_shape(runtime, broker, mkparams):
    r = runtime.run("""
        attempt("SUBCLASS", lambda: issubclass(MQTTException, Exception))
        e = MQTTException(5)
        attempt("ARGS", lambda: e.args)
        try:
            raise MQTTException(0x80)
        except Exception as e2:
            attempt("CAUGHT", lambda: e2.args[0])
    """, mkparams(broker)).check()
    assert r.value("SUBCLASS") is True
    assert r.value("ARGS") == (5,)
    assert r.value("CAUGHT") == 128


def test_callback_exception_propagates_and_client_stays_usable(runtime, broker, observer,
                                                                mkparams):
    p = mkparams(broker)
    obs = observer(broker)
    proc = runtime.start("""
        c = new_client()
        state = {"n": 0}
        def cb(topic, msg):
            state["n"] += 1
            if state["n"] == 1:
                raise KeyError("boom")
            on_msg(topic, msg)
        c.set_callback(cb)
        c.connect()
        c.subscribe(TOPIC, 1)
        print("READY")
        t0 = ticks_ms()
        while not MSGS and ticks_diff(ticks_ms(), t0) < 10000:
            try:
                c.wait_msg()
            except KeyError as e:
                print("CALLBACK_RAISED", repr(e.args))
        c.publish(TOPIC + "/after", b"ok", qos=1)
        c.disconnect()
    """, p)
    proc.expect("READY")
    obs.publish(p["TOPIC"], b"first", qos=1)
    obs.publish(p["TOPIC"], b"second", qos=1)
    r = proc.wait().check()
    assert r.get("CALLBACK_RAISED") == "('boom',)"
    assert [m for _, m in r.msgs()] == [b"second"]


def test_qos_none_means_default_qos_0(runtime, broker, observer, mkparams):
    """qos=None is the default (QoS 0) on both runtimes, for every qos argument."""
    p = mkparams(broker)
    obs = observer(broker)
    obs.subscribe(p["TOPIC"] + "/out", 2)
    proc = runtime.start("""
    c = new_client()
    c.set_callback(on_msg)
    attempt("WILL", c.set_last_will, TOPIC + "/will", b"gone", False, None)
    attempt("LW_QOS", lambda: c.lw_qos)
    attempt("CONNECT", c.connect)
    attempt("SUBSCRIBE", c.subscribe, TOPIC + "/in", None)
    attempt("PUBLISH", c.publish, TOPIC + "/out", b"none qos", False, None)
    print("READY")
    poll(c, 1, 10000)
    c.disconnect()
    """, p)
    proc.expect("READY")
    obs.publish(p["TOPIC"] + "/in", b"to client", qos=1)
    r = proc.wait().check()
    assert r.value("WILL") is None
    assert r.value("LW_QOS") == 0
    assert r.value("CONNECT") == 0
    assert r.value("SUBSCRIBE") == 0
    assert r.value("PUBLISH") is None
    got = obs.wait_messages(1)
    assert [(m.payload, m.qos) for m in got] == [(b"none qos", 0)]
    assert [m for _, m in r.msgs()] == [b"to client"]
