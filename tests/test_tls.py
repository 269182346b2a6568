"""TLS: ssl=True with ssl_params, an SSLContext object, and a wrong CA.

ssl_params differ per runtime as they do for users: CPython's binding builds an
SSLContext from ca_certs (a PEM file); MicroPython passes them to ssl.wrap_socket, which
takes the CA as `cadata` bytes and the name to check as server_hostname."""

import pytest

SSL_SETUP = """
    import ssl
    def tls_params(ca_pem, ca_der):
        if RUNTIME == "micropython":
            return {"cert_reqs": ssl.CERT_REQUIRED, "cadata": open(ca_der, "rb").read(),
                    "server_hostname": "localhost"}
        return {"ca_certs": ca_pem}
    def tls_context(ca_pem, ca_der):
        if RUNTIME == "micropython":
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(cadata=open(ca_der, "rb").read())
            return ctx
        return ssl.create_default_context(cafile=ca_pem)
"""


@pytest.fixture
def tls_broker(mosquitto, certs):
    return mosquitto(certs=certs)


def tls_params(b, certs, mkparams, **extra):
    p = mkparams(b, TLS_PORT=b.tls_port, CA_PEM=str(certs.ca_pem), CA_DER=str(certs.ca_der),
                 WRONG_PEM=str(certs.wrong_ca_pem), WRONG_DER=str(certs.wrong_ca_der))
    p.update(extra)
    return p


def test_tls_with_ssl_params(runtime, tls_broker, certs, observer, mkparams):
    p = tls_params(tls_broker, certs, mkparams)
    obs = observer(tls_broker)
    obs.subscribe(p["TOPIC"] + "/out", 1)
    proc = runtime.start(SSL_SETUP + """
    c = MQTTClient(CLIENT_ID, HOST, TLS_PORT, ssl=True, ssl_params=tls_params(CA_PEM, CA_DER))
    c.set_callback(on_msg)
    attempt("CONNECT", c.connect)
    c.subscribe(TOPIC + "/in", 1)
    c.publish(TOPIC + "/out", b"over tls", qos=1)
    print("READY")
    poll(c, 1, 10000)
    c.disconnect()
    """, p)
    proc.expect("READY")
    obs.publish(p["TOPIC"] + "/in", b"tls inbound", qos=1)
    r = proc.wait().check()
    assert r.value("CONNECT") == 0
    assert [m.payload for m in obs.wait_messages(1)] == [b"over tls"]
    assert [m for _, m in r.msgs()] == [b"tls inbound"]


def test_tls_with_sslcontext(runtime, tls_broker, certs, observer, mkparams):
    p = tls_params(tls_broker, certs, mkparams)
    obs = observer(tls_broker)
    obs.subscribe(p["TOPIC"], 2)
    r = runtime.run(SSL_SETUP + """
    c = MQTTClient(CLIENT_ID, HOST, TLS_PORT, ssl=tls_context(CA_PEM, CA_DER))
    attempt("CONNECT", c.connect)
    c.publish(TOPIC, b"context", qos=2)
    c.disconnect()
    """, p).check()
    assert r.value("CONNECT") == 0
    assert [m.payload for m in obs.wait_messages(1)] == [b"context"]


def test_tls_wrong_ca_fails(runtime, tls_broker, certs, mkparams):
    p = tls_params(tls_broker, certs, mkparams)
    r = runtime.run(SSL_SETUP + """
    c = MQTTClient(CLIENT_ID, HOST, TLS_PORT, ssl=True, ssl_params=tls_params(WRONG_PEM, WRONG_DER))
    attempt("PARAMS", c.connect)
    c = MQTTClient(CLIENT_ID, HOST, TLS_PORT, ssl=tls_context(WRONG_PEM, WRONG_DER))
    attempt("CONTEXT", c.connect)
    """, p).check()
    for label in ("PARAMS", "CONTEXT"):
        e = r.exc(label)
        # ssl.SSLCertVerificationError on CPython, OSError/ValueError from mbedTLS on MicroPython.
        assert e.oserror or e.name in ("ValueError", "SSLError"), (label, e)
        assert "MQTTException" != e.name, (label, e)
    assert "as %s" % p["CLIENT_ID"] not in tls_broker.log()


def test_tls_port_defaults_to_8883(runtime, mkparams, broker):
    r = runtime.run("""
        attempt("TLS", lambda: MQTTClient("x", HOST, ssl=True).port)
        attempt("PLAIN", lambda: MQTTClient("x", HOST).port)
        attempt("EXPLICIT", lambda: MQTTClient("x", HOST, 1234, ssl=True).port)
        from umqtt.aio import MQTTClient as AClient
        attempt("AIO_TLS", lambda: AClient("x", HOST, ssl=True).port)
        attempt("AIO_PLAIN", lambda: AClient("x", HOST).port)
        attempt("AIO_EXPLICIT", lambda: AClient("x", HOST, 1234, ssl=True).port)
    """, mkparams(broker)).check()
    # The core's rule (args::port) on both clients.
    for p in ("", "AIO_"):
        assert r.value(p + "TLS") == 8883
        assert r.value(p + "PLAIN") == 1883
        assert r.value(p + "EXPLICIT") == 1234
