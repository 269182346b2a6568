"""Both runtimes, one behaviour: one program of calls (the umqtt.simple API, its
argument errors, the state after disconnect(), MQTT 5, timeouts and reconnect
settings) runs on CPython and on MicroPython against the same Mosquitto, and the two
transcripts must be equal line by line. What may differ, and is normalised: each
runtime's own socket exceptions (both OSError: spec/PYAPI.md "Exceptions", "socket /
TLS errors") and object reprs."""

import difflib
import re

import pytest

from harness.runtimes import Runtime, requested_runtimes
from test_aio import prelude

PROGRAM = r'''
c = MQTTClient("d-" + CLIENT_ID, HOST)
print("DEF", c.port, c.keepalive, c.ssl, c.pid, c.cb, c.user, c.pswd, c.lw_topic, c.lw_msg,
      c.lw_qos, c.lw_retain, c.sock, repr(c.client_id), repr(c.server))
print("VARS", sorted(k for k in c.__dict__ if not k.startswith("_")))
c2 = MQTTClient(b"bid", HOST, 0, b"u", b"p", 30, True)
print("DEF2", c2.port, c2.keepalive, c2.ssl, repr(c2.client_id), repr(c2.user), repr(c2.pswd))
attempt("LW", c.set_last_will, TOPIC + "/w", b"bye", True, 1)
print("LWA", repr(c.lw_topic), repr(c.lw_msg), c.lw_qos, c.lw_retain)
attempt("LW_BADQ", c.set_last_will, TOPIC + "/w", b"bye", False, 3)
attempt("LW_EMPTY", c.set_last_will, "", b"bye")
print("LWA2", repr(c.lw_topic), repr(c.lw_msg), c.lw_qos, c.lw_retain)
attempt("PUB_NOCONN", c.publish, TOPIC, b"x")
attempt("CHK_NOCONN", c.check_msg)
attempt("DISC_NOCONN", c.disconnect)

c = new_client()
attempt("SUB_NOCB", c.subscribe, TOPIC)
attempt("CONNECT", c.connect)
attempt("CONNECT_AGAIN", c.connect)
attempt("CB", c.set_callback, on_msg)
attempt("SUB", c.subscribe, TOPIC, 1)
attempt("SUB_B", c.subscribe, TOPIC.encode() + b"/b", 2)
attempt("SUB_Q3", c.subscribe, TOPIC + "/c", 3)
attempt("SUB_WILD", c.subscribe, TOPIC + "/#", 0)
attempt("SUB_BAD", c.subscribe, TOPIC + "/a#", 0)
attempt("SUB_EMPTY", c.subscribe, "", 0)
attempt("CHK_EMPTY", c.check_msg)
# Mosquitto forwards each message to its publisher before acknowledging the next.
attempt("PUB0", c.publish, TOPIC, b"zero")
attempt("PUB1", c.publish, TOPIC, "one", False, 1)
attempt("PUB2", c.publish, TOPIC, bytearray(b"two"), False, 2)
attempt("PUB_MV", c.publish, TOPIC, memoryview(b"mv"), False, 1)
for bad in (5, None):
    attempt("PUB_MSG", c.publish, TOPIC, bad)
for q in (3, -1):
    attempt("PUB_Q", c.publish, TOPIC, b"q", False, q)
attempt("PUB_WILD", c.publish, TOPIC + "/+", b"q")
attempt("PUB_EMPTYT", c.publish, "", b"q")
c.pid = 1000
attempt("PUB_PID", c.publish, TOPIC + "/p", b"p", False, 1)
print("PID", c.pid)
attempt("PING", c.ping)
attempt("WAIT_PING", c.wait_msg)
attempt("UNSUB", c.unsubscribe, TOPIC)
attempt("UNSUB_BAD", c.unsubscribe, "")
attempt("DISC", c.disconnect)
attempt("SOCK_AFTER", lambda: c.sock is None)
attempt("DISC2", c.disconnect)
attempt("PUB_AFTER", c.publish, TOPIC, b"x")
attempt("PUB1_AFTER", c.publish, TOPIC, b"x", False, 1)
attempt("CHK_AFTER", c.check_msg)
attempt("WAIT_AFTER", c.wait_msg)
attempt("PING_AFTER", c.ping)
attempt("SUB_AFTER", c.subscribe, TOPIC)
attempt("RECONNECT", c.connect, False)
attempt("V4_PROPS", c.connect, True, None, {"session_expiry_interval": 5})
attempt("DISC3", c.disconnect)

c = new_client(protocol=5)
def details(t, m, d):
    print("DETAILS", t, m, d.qos, d.retain, d.dup, sorted(d.properties.items()))
attempt("DET", c.set_callback, details, True)
attempt("C5", c.connect, True, None, {"session_expiry_interval": 0})
print("CP", sorted(c.connack_properties.keys()))
attempt("S5", c.subscribe, TOPIC + "/5", 1, True)
attempt("S5L", c.subscribe, [(TOPIC + "/6", 1), (TOPIC + "/7", 2)])
attempt("S5RAP", c.subscribe, TOPIC + "/8", 0, False, True, 2)
attempt("S5RH", c.subscribe, TOPIC + "/8", 0, False, True, 3)
attempt("P5", c.publish, TOPIC + "/6", b"p5", False, 1,
        {"user_property": [("a", "b")], "content_type": "text/plain"})
attempt("P5_2", c.publish, TOPIC + "/7", b"p52", False, 2, {"message_expiry_interval": 30})
attempt("P5_BADP", c.publish, TOPIC + "/7", b"x", False, 1, {"bogus": 1})
attempt("P5_BADT", c.publish, TOPIC + "/7", b"x", False, 1, {"content_type": 5})
attempt("P5_BADC", c.publish, TOPIC + "/7", b"x", False, 1, {"session_expiry_interval": 5})
attempt("P5_TA", c.publish, TOPIC + "/7", b"x", False, 0, {"topic_alias": 0})
attempt("U5", c.unsubscribe, TOPIC + "/5")
attempt("U5N", c.unsubscribe, TOPIC + "/none")
attempt("D5", c.disconnect, 4, {"reason_string": "bye"})

c = new_client(socket_timeout=0.2, message_timeout=0.3)
c.set_callback(on_msg)
attempt("CT", c.connect)
c.sock.settimeout(0.2)
attempt("WAIT_TO", c.wait_msg)
attempt("CHK_TO", c.check_msg)
attempt("SR", c.set_reconnect, 2, 0.01, 0.02)
attempt("SR_BAD", c.set_reconnect, -1)
attempt("SR_BAD2", c.set_reconnect, 2, 1, 0.5)
attempt("DT", c.disconnect)
attempt("MC_BADKA", MQTTClient, "x", HOST, PORT, None, None, 70000)
attempt("MC_BADPROTO", MQTTClient, "x", HOST, PORT, protocol=3)
attempt("MC_ST", MQTTClient, "x", HOST, PORT, socket_timeout=-1)
attempt("MC_USERNOPASS", lambda: MQTTClient("x", HOST, PORT, "u").connect())
attempt("MC_PASSNOUSER", lambda: MQTTClient("x", HOST, PORT, None, "p").connect())
attempt("MC_EMPTYID", lambda: MQTTClient("", HOST, PORT).connect(False))
attempt("MC_EMPTYID_CLEAN", lambda: MQTTClient("", HOST, PORT).connect())
attempt("MC_BADPORT", lambda: MQTTClient("x", HOST, 70000).connect())
attempt("MC_REFUSED", lambda: MQTTClient("x", HOST, 1).connect())
e = MQTTException(5)
print("EXC", repr(e.args), isinstance(e, Exception))
'''

# umqtt.aio: the same Python on both runtimes over each runtime's Conn (the pyo3
# class, the native _conn/_conn5 modules).
AIO_PROGRAM = r'''
async def amain():
    attempt("A_BADKA", aclient, keepalive=70000)
    attempt("A_BADPROTO", aclient, protocol=3)
    c = aclient()
    print("A_DEF", c.port, c.keepalive, repr(c.client_id))
    await aattempt("A_PUB_NOCONN", c.publish(TOPIC, b"x"))
    attempt("A_LW_BADQ", c.set_last_will, TOPIC + "/w", b"bye", False, 3)
    attempt("A_LW_EMPTY", c.set_last_will, "", b"bye")
    await aattempt("A_CONNECT", c.connect())
    await aattempt("A_SUB", c.subscribe(TOPIC + "/#", 2))
    await aattempt("A_SUBL", c.subscribe([(TOPIC + "/l1", 1), (TOPIC + "/l2", 0)]))
    await aattempt("A_SUB_BAD", c.subscribe(TOPIC + "/a#", 0))
    await aattempt("A_SUB_Q3", c.subscribe(TOPIC, 3))
    for q in (0, 1, 2):
        await aattempt("A_PUB%d" % q, c.publish(TOPIC + "/q", "m%d" % q, qos=q))
    await aattempt("A_PUB_MSG", c.publish(TOPIC, 5))
    await aattempt("A_PUB_Q", c.publish(TOPIC, b"q", False, 3))
    await aattempt("A_PUB_WILD", c.publish(TOPIC + "/+", b"q"))
    await aattempt("A_PUB_PROPS", c.publish(TOPIC, b"q", False, 0, {"content_type": "x"}))
    n = 0
    async for topic, msg, d in c.messages(details=True):
        print("A_MSG", topic, msg, d.qos, d.retain, d.dup, d.properties)
        n += 1
        if n == 3:
            break
    await aattempt("A_UNSUB", c.unsubscribe(TOPIC + "/#"))
    await aattempt("A_UNSUB_BAD", c.unsubscribe(""))
    await aattempt("A_DISC", c.disconnect())
    await aattempt("A_DISC2", c.disconnect())
    await aattempt("A_PUB_AFTER", c.publish(TOPIC, b"x", qos=1))
    await aattempt("A_SUB_AFTER", c.subscribe(TOPIC))

    c = aclient(protocol=5)
    await aattempt("A5_CONNECT", c.connect(True, None, {"session_expiry_interval": 0}))
    print("A5_CP", sorted(c.connack_properties.keys()))
    await aattempt("A5_SUB", c.subscribe(TOPIC + "/5", 1, True))
    await aattempt("A5_SUBL", c.subscribe([(TOPIC + "/6", 1), (TOPIC + "/7", 2)]))
    await aattempt("A5_SUB_RH", c.subscribe(TOPIC + "/8", 0, False, True, 3))
    await aattempt("A5_PUB", c.publish(TOPIC + "/6", b"p5", False, 1,
                                       {"user_property": [("a", "b")]}))
    await aattempt("A5_PUB2", c.publish(TOPIC + "/7", b"p52", False, 2,
                                        {"message_expiry_interval": 30}))
    await aattempt("A5_BADP", c.publish(TOPIC, b"x", False, 1, {"bogus": 1}))
    await aattempt("A5_BADT", c.publish(TOPIC, b"x", False, 1, {"content_type": 5}))
    await aattempt("A5_BADC", c.publish(TOPIC, b"x", False, 1, {"session_expiry_interval": 5}))
    n = 0
    async for topic, msg, d in c.messages(details=True):
        print("A5_MSG", topic, msg, d.qos, d.retain, d.dup, sorted(d.properties.items()))
        n += 1
        if n == 2:
            break
    await aattempt("A5_UNSUB", c.unsubscribe(TOPIC + "/5"))
    await aattempt("A5_UNSUBN", c.unsubscribe(TOPIC + "/none"))
    await aattempt("A5_DISC", c.disconnect(4, {"reason_string": "bye"}))
'''


def normalised(out, name):
    out = out.replace(name, "RT")
    # Each runtime's own socket exceptions (TimeoutError / OSError(110), ...).
    out = re.sub(r"EXC \w+ oserror=1 args=.*", "EXC OSError", out)
    return re.sub(r"<[\w.]*MQTTClient object at \w+>", "<MQTTClient>", out)


def transcripts(program, broker, mkparams, tmp_path):
    """{runtime: normalised stdout of `program`} for both runtimes; asserts they are equal."""
    names = requested_runtimes()
    if set(names) != {"cpython", "micropython"}:
        pytest.skip("compares both runtimes; UMQTT_RUNTIMES=%s" % ",".join(names))
    out = {}
    for name in names:
        (tmp_path / name).mkdir()
        rt = Runtime(name, tmp_path / name)
        reason = rt.unavailable_reason()
        assert not reason, reason
        # Topics of their own: a message retained by one run is not the other's.
        p = mkparams(broker, TOPIC="parity/" + name, CLIENT_ID="parity-" + name)
        out[name] = normalised(rt.run(program, p).check().stdout, name)
    diff = "\n".join(difflib.unified_diff(
        out["cpython"].splitlines(), out["micropython"].splitlines(),
        "cpython", "micropython", lineterm=""))
    assert not diff, diff
    return out


def test_same_transcript_on_both_runtimes(broker, mkparams, tmp_path):
    out = transcripts(PROGRAM, broker, mkparams, tmp_path)
    # The transcript says something: the calls ran (spot checks of the values).
    t = out["cpython"]
    for line in ("CONNECT OK 0", "SUB OK 1", "SUB_B OK 2", "S5L OK [1, 2]", "U5N OK 17",
                 "PUB_AFTER EXC MQTTException oserror=0 args=(259, 'not connected')",
                 "MSG b'parity/RT' b'two'", "WAIT_TO EXC OSError", "CHK_TO OK None",
                 "DETAILS b'parity/RT/6' b'p5' 1 False False [('content_type', 'text/plain'), "
                 "('user_property', [('a', 'b')])]"):
        assert line in t.splitlines(), (line, t)


def test_same_aio_transcript_on_both_runtimes(broker, mkparams, tmp_path):
    out = transcripts(prelude(AIO_PROGRAM), broker, mkparams, tmp_path)
    t = out["cpython"].splitlines()
    for line in ("A_CONNECT OK 0", "A_SUB OK 2", "A_SUBL OK [1, 0]", "A5_SUBL OK [1, 2]",
                 "A_PUB_AFTER EXC MQTTException oserror=0 args=(259, 'not connected')",
                 "A5_MSG b'parity/RT/6' b'p5' 1 False False [('user_property', [('a', 'b')])]"):
        assert line in t, (line, t)
