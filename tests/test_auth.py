"""Authentication (password file) and authorisation (ACL file, refused subscriptions)."""

USERS = {"alice": "secret", "bob": "hunter2"}


def test_password_good_credentials(runtime, mosquitto, observer, mkparams):
    b = mosquitto(users=USERS)
    p = mkparams(b, USER="alice", PSWD="secret")
    obs = observer(b, username="bob", password="hunter2")
    obs.subscribe(p["TOPIC"], 1)
    r = runtime.run("""
        c = MQTTClient(CLIENT_ID, HOST, PORT, USER, PSWD)
        attempt("CONNECT", c.connect)
        c.publish(TOPIC, b"authenticated", qos=1)
        c.disconnect()
        # bytes credentials work the same
        c = MQTTClient(CLIENT_ID, HOST, PORT, user=USER.encode(), password=PSWD.encode())
        attempt("CONNECT_BYTES", c.connect)
        c.disconnect()
    """, p).check()
    assert r.value("CONNECT") == 0
    assert r.value("CONNECT_BYTES") == 0
    assert [m.payload for m in obs.wait_messages(1)] == [b"authenticated"]
    assert "u'alice'" in b.log()


def test_password_bad_refused_with_code_5(runtime, mosquitto, mkparams):
    """Mosquitto 2.0 answers CONNACK 5 (not authorised) both for a wrong password and for
    a missing user name (checked against its log)."""
    b = mosquitto(users=USERS)
    r = runtime.run("""
        c = MQTTClient(CLIENT_ID, HOST, PORT, user="alice", password="wrong")
        attempt("BAD_PASSWORD", c.connect)
        c = MQTTClient(CLIENT_ID, HOST, PORT)
        attempt("ANONYMOUS", c.connect)
        c = MQTTClient(CLIENT_ID, HOST, PORT, user="nobody", password="x")
        attempt("UNKNOWN_USER", c.connect)
        c = MQTTClient(CLIENT_ID, HOST, PORT, user="alice", password="secret")
        attempt("GOOD_AFTER", c.connect)
        c.disconnect()
    """, mkparams(b)).check()
    for label in ("BAD_PASSWORD", "ANONYMOUS", "UNKNOWN_USER"):
        e = r.exc(label)
        assert e.name == "MQTTException" and e.args == (5,), (label, e)
    assert r.value("GOOD_AFTER") == 0
    assert b.log_count("Sending CONNACK to 127.0.0.1 (0, 5)") >= 3


def test_refused_subscription_raises_0x80(runtime, mosquitto, mkparams):
    """Mosquitto 2.0's acl_file filters at delivery and never refuses a SUBSCRIBE; the
    dynamic-security plugin does (SUBACK 0x80). The client raises MQTTException(0x80)
    and stays usable."""
    b = mosquitto(deny_subscribe=["denied/#"])
    r = runtime.run("""
        c = new_client()
        c.set_callback(on_msg)
        c.connect()
        attempt("DENIED", c.subscribe, "denied/secret", 1)
        attempt("ALLOWED", c.subscribe, TOPIC, 1)
        c.publish(TOPIC, b"usable", qos=1)
        poll(c, 1, 10000)
        c.disconnect()
    """, mkparams(b)).check()
    e = r.exc("DENIED")
    assert e.name == "MQTTException" and e.code == 0x80, e
    assert r.value("ALLOWED") == 1
    assert [m for _, m in r.msgs()] == [b"usable"]


def test_acl_file_filters_publish(runtime, mosquitto, observer, mkparams):
    """With an ACL file, a publish to a forbidden topic is dropped by the broker (MQTT
    3.1.1 has no negative PUBACK): the client's QoS 1 publish still completes and the
    connection stays usable."""
    acl = ("user alice\ntopic readwrite allowed/#\n\n"
           "user bob\ntopic read allowed/#\ntopic read forbidden/#\n")
    b = mosquitto(users=USERS, acl=acl)
    p = mkparams(b, USER="alice", PSWD="secret")
    obs = observer(b, username="bob", password="hunter2")
    obs.subscribe("allowed/#", 1)
    obs.subscribe("forbidden/#", 1)
    r = runtime.run("""
        c = MQTTClient(CLIENT_ID, HOST, PORT, user=USER, password=PSWD)
        c.connect()
        attempt("FORBIDDEN", c.publish, "forbidden/x", b"dropped", False, 1)
        attempt("ALLOWED", c.publish, "allowed/x", b"delivered", False, 1)
        c.disconnect()
    """, p).check()
    assert r.value("FORBIDDEN") is None
    assert r.value("ALLOWED") is None
    assert [(m.topic, m.payload) for m in obs.wait_messages(1)] == [("allowed/x", b"delivered")]
    assert "Denied PUBLISH from %s" % p["CLIENT_ID"] in b.log()
