"""Bad arguments, on both runtimes (complements test_api.py): wrong types, QoS out of
range, wildcards, empty and over-long topics, keepalive over 65,535, calls before
connect() and after disconnect(). Each raises TypeError, ValueError or MQTTException
with a message that says what is wrong, before anything is sent, and the client stays
usable (proved by a QoS 1 round trip through Mosquitto afterwards)."""

# One byte more than an MQTT string can hold; made inside the script (a 64 KB literal
# per use would bloat it).
LONG = "<65536 bytes>"

NOT_CONNECTED = """
    c = new_client()
    c.set_callback(on_msg)
    for label, name, args in CALLS:
        attempt("PRE_" + label, getattr(c, name), *args)
    attempt("PRE_DISCONNECT", c.disconnect)
    attempt("PRE_DISCONNECT_AGAIN", c.disconnect)
    attempt("CONNECT", c.connect)
    c.subscribe(TOPIC, 1)
    c.disconnect()
    for label, name, args in CALLS:
        attempt("POST_" + label, getattr(c, name), *args)
    attempt("POST_DISCONNECT", c.disconnect)
    # The same object connects again and works.
    attempt("RECONNECT", c.connect)
    c.subscribe(TOPIC, 1)
    c.publish(TOPIC, b"again", qos=1)
    poll(c, 1, 10000)
    c.disconnect()
"""

CALLS = [
    ("PUB", "publish", ("x/y", b"m")),
    ("PUB1", "publish", ("x/y", b"m", False, 1)),
    ("PUB2", "publish", ("x/y", b"m", False, 2)),
    ("SUB", "subscribe", ("x/y", 1)),
    ("UNSUB", "unsubscribe", ("x/y",)),
    ("PING", "ping", ()),
    ("WAIT", "wait_msg", ()),
    ("CHECK", "check_msg", ()),
]


def test_calls_before_connect_and_after_disconnect(runtime, broker, mkparams):
    r = runtime.run(NOT_CONNECTED, mkparams(broker, CALLS=CALLS)).check()
    for phase in ("PRE", "POST"):
        for label, _, _ in CALLS:
            e = r.exc("%s_%s" % (phase, label))
            assert e.name == "MQTTException" and e.code == 259, (phase, label, e)
            assert "not connected" in str(e.args), e
    # disconnect() when there is no connection only closes what is left: safe in a
    # `finally:`, and the same on both runtimes.
    for label in ("PRE_DISCONNECT", "PRE_DISCONNECT_AGAIN", "POST_DISCONNECT"):
        assert r.value(label) is None, (label, r)
    assert r.value("CONNECT") == 0
    assert r.value("RECONNECT") == 0
    assert [m for _, m in r.msgs()] == [b"again"]


# (label, method, args, exception type, words its message must contain)
BAD = [
    ("PUB_TOPIC_NONE", "publish", (None, b"m"), "TypeError", "topic"),
    ("PUB_TOPIC_FLOAT", "publish", (1.5, b"m"), "TypeError", "topic"),
    ("PUB_TOPIC_LIST", "publish", (["a"], b"m"), "TypeError", "topic"),
    ("PUB_TOPIC_DICT", "publish", ({"a": 1}, b"m"), "TypeError", "topic"),
    ("PUB_MSG_FLOAT", "publish", ("t", 2.5), "TypeError", "msg"),
    ("PUB_MSG_LIST", "publish", ("t", [1, 2]), "TypeError", "msg"),
    ("PUB_MSG_TUPLE", "publish", ("t", (1,)), "TypeError", "msg"),
    ("PUB_QOS_3", "publish", ("t", b"m", False, 3), "ValueError", "qos"),
    ("PUB_QOS_NEG", "publish", ("t", b"m", False, -1), "ValueError", "qos"),
    ("PUB_QOS_256", "publish", ("t", b"m", False, 256), "ValueError", "qos"),
    ("PUB_QOS_2_32", "publish", ("t", b"m", False, 2 ** 32 + 1), "ValueError", "qos"),
    ("PUB_QOS_BIG", "publish", ("t", b"m", False, 2 ** 70 + 1), "ValueError", "qos"),
    ("PUB_QOS_STR", "publish", ("t", b"m", False, "1"), "TypeError", ""),
    ("PUB_QOS_FLOAT", "publish", ("t", b"m", False, 1.0), "TypeError", ""),
    ("PUB_EMPTY", "publish", ("", b"m"), "ValueError", "empty"),
    ("PUB_EMPTY_BYTES", "publish", (b"", b"m"), "ValueError", "empty"),
    ("PUB_PLUS", "publish", ("a/+", b"m"), "ValueError", "wildcard"),
    ("PUB_HASH", "publish", ("#", b"m"), "ValueError", "wildcard"),
    ("PUB_HASH_QOS1", "publish", ("a/#", b"m", False, 1), "ValueError", "wildcard"),
    ("PUB_NUL", "publish", ("a\x00b", b"m"), "ValueError", "NUL"),
    ("PUB_BAD_UTF8", "publish", (b"\xff\xfe", b"m"), "ValueError", "UTF-8"),
    ("PUB_TOO_LONG", "publish", (LONG, b"m"), "ValueError", "65535"),
    ("PUB_TOO_LONG_QOS2", "publish", (LONG, b"m", False, 2), "ValueError", "65535"),
    ("SUB_NONE", "subscribe", (None,), "TypeError", "topic"),
    ("SUB_INT", "subscribe", (7, 1), "TypeError", "topic"),
    ("SUB_EMPTY", "subscribe", ("",), "ValueError", "empty"),
    ("SUB_BAD_HASH", "subscribe", ("a/#/b",), "ValueError", "filter"),
    ("SUB_BAD_PLUS", "subscribe", ("a+/b",), "ValueError", "filter"),
    ("SUB_QOS_3", "subscribe", ("a", 3), "ValueError", "qos"),
    ("SUB_QOS_NEG", "subscribe", ("a", -5), "ValueError", "qos"),
    ("SUB_QOS_BIG", "subscribe", ("a", 2 ** 70), "ValueError", "qos"),
    ("SUB_TOO_LONG", "subscribe", (LONG,), "ValueError", "65535"),
    # A list (one SUBSCRIBE): each item a (filter, qos) pair with the same rules.
    ("SUB_LIST_ITEM", "subscribe", ([("a",)],), "TypeError", "pairs"),
    ("SUB_LIST_NOT_TUPLE", "subscribe", (["a"],), "TypeError", "pairs"),
    ("SUB_LIST_TOPIC", "subscribe", ([(None, 0)],), "TypeError", "topic"),
    ("SUB_LIST_QOS", "subscribe", ([("a", 1), ("b", 3)],), "ValueError", "qos"),
    ("SUB_LIST_FILTER", "subscribe", ([("a/#/b", 0)],), "ValueError", "filter"),
    ("UNSUB_NONE", "unsubscribe", (None,), "TypeError", "topic"),
    ("UNSUB_EMPTY", "unsubscribe", ("",), "ValueError", "empty"),
    ("UNSUB_BAD_HASH", "unsubscribe", ("#/a",), "ValueError", "filter"),
    ("UNSUB_TOO_LONG", "unsubscribe", (LONG,), "ValueError", "65535"),
    ("WILL_TOPIC_INT", "set_last_will", (5, b"m"), "TypeError", "topic"),
    ("WILL_MSG_NONE", "set_last_will", ("w", None), "TypeError", "msg"),
    ("WILL_QOS_3", "set_last_will", ("w", b"m", False, 3), "ValueError", "qos"),
    ("WILL_QOS_BIG", "set_last_will", ("w", b"m", False, 2 ** 70), "ValueError", "qos"),
    ("WILL_EMPTY", "set_last_will", ("", b"m"), "ValueError", "empty"),
]

CONNECTED = """
    c = new_client()
    c.set_callback(on_msg)
    c.connect()
    c.subscribe(TOPIC, 1)
    long = "t" * 65536
    for label, name, args, _, _ in BAD:
        args = tuple(long if a == LONG else a for a in args)
        attempt(label, getattr(c, name), *args)
    # Accepted types and boundary values, for contrast.
    attempt("PUB_BYTEARRAY", c.publish, TOPIC, bytearray(b"ba"), False, 1)
    attempt("PUB_MEMORYVIEW", c.publish, TOPIC, memoryview(b"mv"), False, 1)
    attempt("PUB_QOS_TRUE", c.publish, TOPIC, b"qt", False, True)
    attempt("SUB_WILDCARDS_OK", c.subscribe, "+/+/#", 0)
    attempt("UNSUB_WILDCARDS_OK", c.unsubscribe, "+/+/#")
    # Still connected and in step after all that.
    c.publish(TOPIC, b"still fine", qos=1)
    poll(c, 4, 10000)
    c.disconnect()
"""


def test_bad_arguments_leave_client_usable(runtime, broker, mkparams):
    r = runtime.run(CONNECTED, mkparams(broker, BAD=BAD, LONG=LONG)).check()
    wrong = []
    for label, _, _, name, words in BAD:
        e = r.exc(label)
        text = " ".join(str(a) for a in e.args)
        if e.name != name and not (name == "ValueError" and e.name == "UnicodeEncodeError"):
            wrong.append("%s: %r, expected %s" % (label, e, name))
        elif not text or words.lower() not in text.lower():
            wrong.append("%s: message %r does not mention %r" % (label, text, words))
    assert not wrong, "\n".join(wrong)
    for label in ("PUB_BYTEARRAY", "PUB_MEMORYVIEW", "PUB_QOS_TRUE", "UNSUB_WILDCARDS_OK"):
        assert r.value(label) is None, label
    assert r.value("SUB_WILDCARDS_OK") == 0
    assert [m for _, m in r.msgs()] == [b"ba", b"mv", b"qt", b"still fine"]


CONNECT_ARGS = """
    attempt("KA_BIG", MQTTClient, "k", HOST, PORT, None, None, 65536)
    attempt("KA_NEG", MQTTClient, "k", HOST, PORT, None, None, -1)
    attempt("KA_HUGE", MQTTClient, "k", HOST, PORT, None, None, 2 ** 70)
    attempt("KA_STR", MQTTClient, "k", HOST, PORT, None, None, "60")
    attempt("KA_FLOAT", MQTTClient, "k", HOST, PORT, None, None, 1.5)
    attempt("CID_INT", MQTTClient, 5, HOST, PORT)
    attempt("USER_INT", MQTTClient, "k", HOST, PORT, 5)
    attempt("KA_MAX", lambda: MQTTClient("k", HOST, PORT, None, None, 65535).keepalive)
    # An int port outside 0..65535 is refused by connect(), not wrapped to another port.
    attempt("PORT_BIG", MQTTClient("k", HOST, PORT + 65536).connect)
    attempt("PORT_NEG", MQTTClient("k", HOST, -1).connect)
    attempt("PORT_HUGE", MQTTClient("k", HOST, 2 ** 70).connect)
    c = new_client()
    c.set_callback(on_msg)
    # Attributes changed after construction are checked by connect(), before any I/O.
    c.keepalive = 65536
    attempt("ATTR_KA", c.connect)
    attempt("ATTR_KA_SOCK", lambda: c.sock is None)
    c.keepalive = 30
    c.port = PORT + 65536
    attempt("ATTR_PORT", c.connect)
    c.port = PORT
    attempt("TIMEOUT_STR", c.connect, True, "1")
    attempt("TIMEOUT_NEG", c.connect, True, -1)
    attempt("TIMEOUT_SOCK", lambda: c.sock is None)
    attempt("SOCKET_TIMEOUT_STR", MQTTClient, "k", HOST, PORT, socket_timeout="1")
    attempt("MESSAGE_TIMEOUT_NEG", MQTTClient, "k", HOST, PORT, message_timeout=-0.5)
    # A plain attribute, checked by connect() (and by QoS 1/2 operations:
    # test_publish.py::test_pid_attribute_sets_the_next_packet_id).
    attempt("SET_PID", setattr, c, "pid", 70000)
    attempt("PID_CONNECT", c.connect)
    c.pid = 0
    c.client_id = "i" * 65536
    attempt("ATTR_CID_LONG", c.connect)
    c.client_id = CLIENT_ID
    c.set_last_will("w" * 65536, b"bye")
    attempt("WILL_LONG", c.connect)
    c.set_last_will("w/#", b"bye")
    attempt("WILL_WILDCARD", c.connect)
    c.set_last_will(TOPIC + "/will", b"bye", False, 1)
    c.lw_qos = 7
    attempt("WILL_ATTR_QOS", c.connect)
    c.lw_qos = 1
    c.user = None
    c.pswd = b"secret"
    attempt("PASSWORD_NO_USER", c.connect)
    c.pswd = None
    # Everything fixed: the same object connects and works.
    attempt("CONNECT", c.connect)
    c.subscribe(TOPIC, 1)
    c.publish(TOPIC, b"fixed", qos=1)
    poll(c, 1, 10000)
    c.disconnect()
"""


def test_bad_connect_arguments(runtime, broker, mkparams):
    r = runtime.run(CONNECT_ARGS, mkparams(broker)).check()
    expected = {"KA_BIG": "ValueError", "KA_NEG": "ValueError", "KA_HUGE": "ValueError",
                "KA_STR": "TypeError", "KA_FLOAT": "TypeError", "CID_INT": "TypeError",
                "USER_INT": "TypeError", "ATTR_KA": "ValueError",
                "ATTR_CID_LONG": "ValueError", "WILL_LONG": "ValueError",
                "WILL_WILDCARD": "ValueError", "WILL_ATTR_QOS": "ValueError",
                "PASSWORD_NO_USER": "ValueError", "PORT_BIG": "ValueError",
                "PORT_NEG": "ValueError", "PORT_HUGE": "ValueError", "ATTR_PORT": "ValueError",
                "TIMEOUT_STR": "TypeError", "TIMEOUT_NEG": "ValueError",
                "SOCKET_TIMEOUT_STR": "TypeError", "MESSAGE_TIMEOUT_NEG": "ValueError"}
    wrong = {k: r.get(k) for k, name in expected.items()
             if not r.get(k).startswith("EXC %s " % name)}
    assert not wrong, wrong
    assert "keepalive" in r.get("KA_BIG") and "keepalive" in r.get("ATTR_KA")
    assert all("port must be 0..65535" in r.get(k)
               for k in ("PORT_BIG", "PORT_NEG", "PORT_HUGE", "ATTR_PORT"))
    assert all("timeouts and delays must be numbers >= 0" in r.get(k)
               for k in ("TIMEOUT_NEG", "MESSAGE_TIMEOUT_NEG"))
    assert r.value("TIMEOUT_SOCK") is True   # refused before any socket was opened
    assert r.value("SET_PID") is None
    pid = r.get("PID_CONNECT")
    assert pid.startswith("EXC ValueError ") and "pid must be 0..65535" in pid, r
    assert r.value("KA_MAX") == 65535
    assert r.value("ATTR_KA_SOCK") is True   # nothing was opened
    assert r.value("CONNECT") == 0
    assert [m for _, m in r.msgs()] == [b"fixed"]


TYPE_ERRORS = [
    ("CID", "MQTTClient", (None, "h"), "client_id must be bytes or str, not NoneType"),
    ("USER", "MQTTClient", ("c", "h", 0, 5), "user must be bytes or str, not int"),
    ("KA", "MQTTClient", ("c", "h", 0, None, None, "60"), "keepalive must be an int, not str"),
    ("KA_FLOAT", "MQTTClient", ("c", "h", 0, None, None, 1.5),
     "keepalive must be an int, not float"),
    ("PROTOCOL", "MQTTClient", ("c", "h", 0, None, None, 0, None, {}, None, None, "tcp",
                                "/mqtt", None, "5"), "protocol must be an int, not str"),
    ("WILL_TOPIC", "set_last_will", (None, b"x"), "topic must be bytes or str, not NoneType"),
    ("WILL_MSG", "set_last_will", ("w", 5), "msg must be bytes or str, not int"),
    ("WILL_QOS", "set_last_will", ("w", b"x", False, "1"), "qos must be an int, not str"),
    ("ATTEMPTS", "set_reconnect", ("3",), "attempts must be an int, not str"),
    ("MIN_DELAY", "set_reconnect", (3, "1"), "min_delay must be a number, not str"),
    ("MAX_DELAY", "set_reconnect", (3, 1, []), "max_delay must be a number, not list"),
    ("TIMEOUT", "connect", (True, "1"), "timeout must be a number, not str"),
    ("PUB_TOPIC", "publish", (5, b"m"), "topic must be bytes or str, not int"),
    ("PUB_MSG", "publish", ("t", 1.5), "msg must be bytes or str, not float"),
    ("PUB_QOS", "publish", ("t", b"m", False, "1"), "qos must be an int, not str"),
    ("PUB_QOS_FLOAT", "publish", ("t", b"m", False, 1.0), "qos must be an int, not float"),
    ("SUB_TOPIC", "subscribe", (None,), "topic must be bytes or str, not NoneType"),
    ("SUB_QOS", "subscribe", ("t", "1"), "qos must be an int, not str"),
    ("SUB_LIST_QOS", "subscribe", ([("a", "1")],), "qos must be an int, not str"),
    ("UNSUB_TOPIC", "unsubscribe", (5,), "topic must be bytes or str, not int"),
]

TYPE_SCRIPT = """
    c = new_client()
    c.set_callback(on_msg)
    c.connect()
    for label, name, args, _ in TYPE_ERRORS:
        attempt(label, MQTTClient if name == "MQTTClient" else getattr(c, name), *args)
    c.publish(TOPIC, b"after", qos=1)
    c.disconnect()
"""


def test_type_errors_name_the_argument(runtime, broker, mkparams):
    """spec/PYAPI.md "Exceptions": an argument of the wrong type is a TypeError
    naming the argument and the type given, with the same text on both runtimes
    (MicroPython said "can't convert str to int" or "unsupported types for
    __sub__" for some of these); the client stays usable."""
    r = runtime.run(TYPE_SCRIPT, mkparams(broker, TYPE_ERRORS=TYPE_ERRORS)).check()
    wrong = {}
    for label, _, _, text in TYPE_ERRORS:
        e = r.exc(label)
        if e.name != "TypeError" or tuple(e.args) != (text,):
            wrong[label] = r.get(label)
    assert not wrong, wrong


SUB_OPTIONS = [
    # (label, keyword arguments, None for "accepted" else the exception text)
    ("RH_NONE", {"retain_handling": None}, None),
    ("RH_3", {"retain_handling": 3}, ("ValueError", "retain_handling must be 0, 1 or 2")),
    ("RH_NEG", {"retain_handling": -1}, ("ValueError", "retain_handling must be 0, 1 or 2")),
    ("RH_BIG", {"retain_handling": 300}, ("ValueError", "retain_handling must be 0, 1 or 2")),
    ("RH_STR", {"retain_handling": "1"}, ("TypeError", "retain_handling must be an int, not str")),
    ("NL_INT", {"no_local": 1}, None),
    ("RAP_STR", {"retain_as_published": "yes"}, None),
]


def wrong_sub_options(runtime, broker, mkparams, cases, protocol):
    """The cases (label, keyword arguments, None or (class, text)) of subscribe()'s
    options on a `protocol` client, blocking and umqtt.aio: those whose outcome
    differs from the expected one (accepted: the granted QoS 1)."""
    r = runtime.run("""
        import asyncio
        from umqtt.aio import MQTTClient as AClient
        c = new_client(protocol=PROTOCOL)
        c.set_callback(on_msg)
        c.connect()
        for label, kw, _ in CASES:
            attempt("BLK_" + label, c.subscribe, TOPIC, 1, **kw)
        c.disconnect()

        async def amain():
            async with AClient(CLIENT_ID + "-aio", HOST, PORT, protocol=PROTOCOL) as a:
                for label, kw, _ in CASES:
                    try:
                        print("AIO_" + label, "OK", repr(await a.subscribe(TOPIC, 1, **kw)))
                    except Exception as e:
                        print("AIO_" + label, exc_text(e))
        asyncio.run(amain())
    """, mkparams(broker, CASES=cases, PROTOCOL=protocol)).check()
    wrong = {}
    for label, _, want in cases:
        for side in ("BLK_", "AIO_"):
            got = r.get(side + label)
            if want is None:
                ok = r.value(side + label) == 1
            else:
                e = r.exc(side + label)
                ok = (e.name, tuple(e.args)) == (want[0], (want[1],))
            if not ok:
                wrong[side + label] = got
    return wrong


def test_subscribe_options_are_checked_alike(runtime, broker, mkparams):
    """spec/PYAPI.md "MQTT 5": subscribe()'s options on an MQTT 5 client, blocking and
    umqtt.aio: no_local and retain_as_published are taken by truth value,
    retain_handling is an int 0..2 (None: 0) checked by the core, with the same
    exception and text on both runtimes (CPython raised OverflowError for 300 or -1
    and TypeError for no_local=1, where MicroPython took them)."""
    wrong = wrong_sub_options(runtime, broker, mkparams, SUB_OPTIONS, 5)
    assert not wrong, wrong


NEED_V5 = ("ValueError", "properties and subscription options need protocol=5")

SUB_OPTIONS_V4 = [
    ("RH_NONE", {"retain_handling": None}, None),
    ("NL_FALSE", {"no_local": 0}, None),
    ("RH_1", {"retain_handling": 1}, NEED_V5),
    ("NL_TRUE", {"no_local": True}, NEED_V5),
    ("RAP_TRUE", {"retain_as_published": 1}, NEED_V5),
    # The range first, as on MQTT 5.
    ("RH_3", {"retain_handling": 3}, ("ValueError", "retain_handling must be 0, 1 or 2")),
]


def test_subscribe_options_on_protocol_4_are_refused_alike(runtime, broker, mkparams):
    """spec/PYAPI.md "MQTT 5": on a protocol 4 client the options other than the
    defaults raise the core's ValueError (args::sub_options: the range first, then
    "need protocol=5"), on the blocking client and umqtt.aio (whose MicroPython
    protocol 4 engine, _conn.mpy, is built without MQTT 5), on both runtimes."""
    wrong = wrong_sub_options(runtime, broker, mkparams, SUB_OPTIONS_V4, 4)
    assert not wrong, wrong

WS_HEADERS = ("TypeError", "ws_headers must be str names and values")
WRONG_TYPE = ("TypeError", "wrong type for property")

# Cases a differential run of both runtimes found to differ (CPython first named):
# label -> None (accepted) or (exception class, its single argument).
ALIKE = {
    "AIO_RETAIN_INT": None,             # CPython: TypeError, not a bool
    "AIO_CLEAN_INT": None,              # CPython: TypeError
    "DETAILS_STR": None,                # CPython: TypeError
    "V4_SUB_PROPS": NEED_V5,            # CPython sent the SUBSCRIBE, dropping them
    "V4_EMPTY_LIST_PROP": NEED_V5,      # MicroPython: accepted (a non-empty dict)
    "V4_INT_NAME": NEED_V5,             # MicroPython: TypeError for the name first
    "NEVER_CONNECTED_CHECK": ("MQTTException", 259),  # CPython reconnected
    "REASON_STR": ("TypeError", "reason must be an int, not str"),  # CPython: pyo3's text
    "TRANSPORT_EMPTY": ("ValueError", "transport must be 'tcp' or 'websockets'"),  # MP: tcp
    "TRANSPORT_NONE": None,
    "AIO_TRANSPORT_NONE": None,         # both: TypeError
    "WS_PATH_INT": ("TypeError", "ws_path must be bytes or str, not int"),  # CPython: pyo3's
    "WS_HEADER_INT": ("TypeError", "ws_headers must be str names and values"),  # CPython: pyo3's
    "DELAY_INF": None,                  # MicroPython: OverflowError
    "DELAY_NAN": ("ValueError", "timeouts and delays must be numbers >= 0"),  # MP: int()'s
    "LIST_QOS_NONE": ("TypeError", "qos must be an int, not NoneType"),  # MicroPython: 0
    "V5_BYTEARRAY_PROP": None,          # CPython: TypeError, wrong type for property
    "CTOR_NONE": None,                  # MicroPython: TypeError for keepalive, protocol
    "AIO_CTOR_NONE": None,              # MicroPython: TypeError for protocol
    # Found by hand (the first named was the outcome before):
    "WS_HEADERS_STR": WS_HEADERS,       # MicroPython: ValueError, need more than 1 values
    "WS_HEADERS_INT": WS_HEADERS,       # TypeError, 'int' object is not iterable
    "WS_HEADERS_STR_PAIR": WS_HEADERS,  # MicroPython: accepted as the header a: b
    "WS_HEADERS_LIST_PAIR": None,       # CPython: TypeError (MicroPython took it)
    "AIO_WS_HEADERS_STR": WS_HEADERS,   # both: accepted until connect()
    # The MicroPython rule moved from simple.py to C (c/ws_args.h, also _connws.mpy's):
    "WS_HEADERS_GEN": None,             # pairs from any iterable, as on CPython
    "AIO_WS_HEADER_INT": WS_HEADERS,
    "AIO_WS_HEADERS_INT": WS_HEADERS,
    "AIO_WS_HEADERS_LIST_PAIR": None,
    "RECONNECT_HUGE": None,             # both: ValueError, attempts must be >= 0
    "AIO_RECONNECT_HUGE": None,         # CPython: ValueError (MicroPython took it)
    "RECONNECT_HUGE_NEG": ("ValueError", "attempts must be >= 0 (0: no limit)"),
    "V5_LIST_ONCE": WRONG_TYPE,         # both: sent as message_expiry_interval 1
    "V5_EMPTY_LIST_ONCE": WRONG_TYPE,   # both: sent without it
    "V5_EMPTY_USER_LIST": None,
    "V5_SUB_ID_LIST": WRONG_TYPE,       # both: sent as subscription_identifier 1
    "AIO_V5_LIST_ONCE": WRONG_TYPE,     # both: sent
}

ALIKE_SCRIPT = """
    import asyncio
    from umqtt.aio import MQTTClient as AClient

    def check(label, f):
        try:
            r = f()
            print(label, "OK", repr(r))
        except Exception as e:
            print(label, exc_text(e))

    c = new_client()
    c.set_callback(on_msg)
    check("DETAILS_STR", lambda: c.set_callback(on_msg, "x"))
    c.connect()
    check("V4_SUB_PROPS", lambda: c.subscribe(TOPIC, 0, properties={"subscription_identifier": 1}))
    check("V4_EMPTY_LIST_PROP", lambda: c.publish(TOPIC, "x", properties={"user_property": []}))
    check("V4_INT_NAME", lambda: c.publish(TOPIC, "x", properties={1: 2}))
    check("REASON_STR", lambda: c.disconnect("4"))
    check("LIST_QOS_NONE", lambda: c.subscribe([(TOPIC, None)]))
    c.set_last_will(TOPIC, "w", qos=True)
    print("LW_QOS", repr(c.lw_qos))   # CPython kept True
    c.disconnect()
    c5 = new_client(CLIENT_ID + "-v5", protocol=5)
    c5.set_callback(on_msg)
    c5.connect()
    check("V5_BYTEARRAY_PROP", lambda: c5.publish(TOPIC, "x", qos=1,
                                                  properties={"correlation_data": bytearray(b"c")}))
    # A list value only for a property that may repeat (user_property).
    check("V5_LIST_ONCE", lambda: c5.publish(TOPIC, "x", properties={"message_expiry_interval": [1]}))
    check("V5_EMPTY_LIST_ONCE", lambda: c5.publish(TOPIC, "x", properties={"content_type": []}))
    check("V5_EMPTY_USER_LIST", lambda: c5.publish(TOPIC, "x", properties={"user_property": []}))
    check("V5_SUB_ID_LIST", lambda: c5.subscribe(TOPIC, properties={"subscription_identifier": [1]}))
    c5.disconnect()
    d = new_client(CLIENT_ID + "-never")
    d.set_reconnect(2, 0, 0)
    check("NEVER_CONNECTED_PUB", lambda: d.publish(TOPIC, "x"))
    check("NEVER_CONNECTED_CHECK", lambda: d.check_msg())
    check("TRANSPORT_EMPTY", lambda: new_client(transport="").port)
    check("TRANSPORT_NONE", lambda: new_client(transport=None).port)
    check("WS_PATH_INT", lambda: new_client(transport="websockets", ws_path=1))
    check("WS_HEADER_INT", lambda: new_client(transport="websockets", ws_headers={"A": 1}))
    check("WS_HEADERS_STR", lambda: new_client(transport="websockets", ws_headers="x"))
    check("WS_HEADERS_INT", lambda: new_client(transport="websockets", ws_headers=5))
    check("WS_HEADERS_STR_PAIR", lambda: new_client(transport="websockets", ws_headers=["ab"]))
    check("WS_HEADERS_LIST_PAIR", lambda: new_client(transport="websockets",
                                                     ws_headers=[["A", "b"]]).port)
    check("AIO_WS_HEADERS_STR", lambda: AClient("c", HOST, PORT, transport="websockets",
                                                ws_headers="x"))
    check("WS_HEADERS_GEN", lambda: new_client(transport="websockets",
                                               ws_headers=(p for p in [("A", "b")])).port)
    check("AIO_WS_HEADER_INT", lambda: AClient("c", HOST, PORT, transport="websockets",
                                               ws_headers={"A": 1}))
    check("AIO_WS_HEADERS_INT", lambda: AClient("c", HOST, PORT, transport="websockets",
                                                ws_headers=5))
    check("AIO_WS_HEADERS_LIST_PAIR", lambda: AClient("c", HOST, PORT, transport="websockets",
                                                      ws_headers=[["A", "b"]]).port)
    check("RECONNECT_HUGE", lambda: new_client().set_reconnect(2**70))
    check("AIO_RECONNECT_HUGE", lambda: AClient("c", HOST, PORT).set_reconnect(2**70))
    check("RECONNECT_HUGE_NEG", lambda: new_client().set_reconnect(-(2**70)))
    check("DELAY_INF", lambda: new_client().set_reconnect(3, 0.1, float("inf")))
    check("DELAY_NAN", lambda: new_client().set_reconnect(3, float("nan")))
    # None for an argument with a default: that default.
    n = MQTTClient(CLIENT_ID, HOST, None, None, None, None, None, None, protocol=None)
    check("CTOR_NONE", lambda: (n.port, n.keepalive, n.ssl_params, n.protocol))

    async def amain():
        a = AClient(CLIENT_ID + "-aio", HOST, PORT)
        try:
            print("AIO_CLEAN_INT", "OK", repr(await a.connect(clean_session=1)))
            print("AIO_RETAIN_INT", "OK", repr(await a.publish(TOPIC, "x", retain=0)))
        except Exception as e:
            print("AIO_FAILED", exc_text(e))
        await a.disconnect()
        a5 = AClient(CLIENT_ID + "-aio5", HOST, PORT, protocol=5)
        await a5.connect()
        try:
            print("AIO_V5_LIST_ONCE", "OK", repr(await a5.publish(
                TOPIC, "x", properties={"message_expiry_interval": [1]})))
        except Exception as e:
            print("AIO_V5_LIST_ONCE", exc_text(e))
        await a5.disconnect()
        check("AIO_TRANSPORT_NONE", lambda: AClient("c", HOST, PORT, transport=None).port)
        n = AClient("c", HOST, None, None, None, None, None, None, None)
        check("AIO_CTOR_NONE", lambda: (n.port, n.keepalive, n.ssl_params, n.protocol))
    asyncio.run(amain())
"""


def test_argument_rules_alike_on_both_runtimes(runtime, broker, mkparams):
    """spec/PYAPI.md "Arguments" and "Exceptions": each case a differential run of
    the two runtimes found to differ, with the outcome both give now (flags by truth
    value, the core's rules and texts, a 3.1.1 client refusing any non-empty
    properties dict first, "not connected" no loss for automatic reconnect)."""
    r = runtime.run(ALIKE_SCRIPT, mkparams(broker)).check()
    wrong = {}
    for label, want in ALIKE.items():
        got = r.get(label)
        if want is None:
            ok = got is not None and got.startswith("OK")
        else:
            e = r.exc(label)
            arg = want[1]
            ok = e.name == want[0] and (e.code == arg if isinstance(arg, int)
                                        else tuple(e.args) == (arg,))
        if not ok:
            wrong[label] = got
    assert not wrong, wrong
    assert r.exc("NEVER_CONNECTED_PUB").code == 259
    assert r.get("LW_QOS") == "1"
    assert r.value("CTOR_NONE") == (1883, 0, {}, 4)
    assert r.value("AIO_CTOR_NONE") == (1883, 60, {}, 4)


CONTROL = ("ValueError", "control character or non-character in a string")
BAD_PROP_STR = ("ValueError", "property string invalid or too long")

CONTROL_SCRIPT = r"""
    import asyncio
    from umqtt.aio import MQTTClient as AClient

    def check(label, f):
        try:
            print(label, "OK", repr(f()))
        except Exception as e:
            print(label, exc_text(e))

    c = new_client()
    c.set_callback(on_msg)
    c.connect()
    check("PUB_QOS0", lambda: c.publish(TOPIC + "/\x01", "x"))
    check("PUB_QOS1", lambda: c.publish(TOPIC + "/\x7f", "x", qos=1))
    check("SUB", lambda: c.subscribe(TOPIC + "/\u0085/#"))
    check("UNSUB", lambda: c.unsubscribe(TOPIC + "/\ufffe"))
    # Nothing was sent: the connection is up, nothing is in flight.
    check("STILL_UP", lambda: c.publish(TOPIC, "x", qos=1))
    c.disconnect()
    check("CLIENT_ID", lambda: new_client(CLIENT_ID + "\t").connect())
    check("USER", lambda: new_client(CLIENT_ID + "-u", user="a\x1b").connect())
    w = new_client(CLIENT_ID + "-w")
    w.set_last_will(TOPIC + "/will\n", "x")
    check("WILL", lambda: w.connect())
    # Received topics are taken as they are; a payload is bytes, never checked.
    c5 = new_client(CLIENT_ID + "-5", protocol=5)
    c5.connect()
    check("V5_USER_PROP", lambda: c5.publish(TOPIC, "x", properties={"user_property": [("k", "v\n")]}))
    check("V5_PAYLOAD", lambda: c5.publish(TOPIC, "\x01\x00", qos=1))
    c5.disconnect()

    async def amain():
        a = AClient(CLIENT_ID + "-aio", HOST, PORT)
        await a.connect()
        try:
            print("AIO_PUB", "OK", repr(await a.publish(TOPIC + "/\x01", "x", qos=1)))
        except Exception as e:
            print("AIO_PUB", exc_text(e))
        print("AIO_STILL_UP", "OK", repr(await a.publish(TOPIC, "x", qos=1)))
        await a.disconnect()
    asyncio.run(amain())
"""


def test_control_characters_are_refused_before_sending(runtime, broker, mkparams):
    """spec/PYAPI.md "Arguments": a string the client sends (topic, filter, client
    id, user name, will topic, property) with a control character or Unicode
    non-character (MQTT 3.1.1 sec 1.5.3) is the core's ValueError before anything
    is sent. Mosquitto closes the connection over any of them: before, the publish
    went out and the client learned of it as "connection closed by broker" at its
    next call (and a QoS 1 message was resent, and refused, after every reconnect)."""
    r = runtime.run(CONTROL_SCRIPT, mkparams(broker)).check()
    want = {
        "PUB_QOS0": CONTROL, "PUB_QOS1": CONTROL, "SUB": CONTROL, "UNSUB": CONTROL,
        "CLIENT_ID": CONTROL, "USER": CONTROL, "WILL": CONTROL, "AIO_PUB": CONTROL,
        "V5_USER_PROP": BAD_PROP_STR,
    }
    wrong = {}
    for label, (name, text) in want.items():
        e = r.exc(label)
        if e is None or e.name != name or tuple(e.args) != (text,):
            wrong[label] = r.get(label)
    assert not wrong, wrong
    assert r.get("STILL_UP") == "OK None"
    assert r.get("AIO_STILL_UP") == "OK None"
    assert r.get("V5_PAYLOAD") == "OK 16"  # 0x10, no matching subscribers: it was taken
