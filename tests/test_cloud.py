"""umqtt.cloud: credentials derived from device secrets, on both runtimes.

The expected values are computed here with CPython's own hmac/base64/urllib (an
implementation independent of the Rust core that umqtt.cloud uses), following the
vendors' documents: Aliyun IoT "MQTT-TCP connection" sign rules (with the example
inputs of that page) and Azure IoT Hub "Control access with SAS tokens". No cloud is
reachable from here, so end to end the derived credentials are checked against a
Mosquitto whose password file holds the independently computed ones."""

import base64
import hashlib
import hmac
import subprocess
import urllib.parse

import pytest

from test_tls import SSL_SETUP, tls_params

AZURE_KEY = base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
EXPIRY = 1700000000


def aliyun_reference(pk, dn, secret, client_id, timestamp, method):
    digest = {"hmacsha256": hashlib.sha256, "hmacsha1": hashlib.sha1}[method]
    content = "clientId%sdeviceName%sproductKey%s" % (client_id, dn, pk)
    if timestamp is not None:
        content += "timestamp%s" % timestamp
    return {
        "client_id": "%s|securemode=3,signmethod=%s%s|" % (
            client_id, method, "" if timestamp is None else ",timestamp=%s" % timestamp),
        "user": "%s&%s" % (dn, pk),
        "password": hmac.new(secret.encode(), content.encode(), digest).hexdigest(),
    }


def azure_reference(host, device, key, expiry):
    # Azure's Python sample: quote_plus of the resource URI, HMAC-SHA256 with the
    # decoded key, then urlencode of sr/sig/se.
    uri = "%s/devices/%s" % (host, device)
    to_sign = "%s\n%d" % (urllib.parse.quote_plus(uri), expiry)
    sig = base64.b64encode(hmac.new(base64.b64decode(key), to_sign.encode(), hashlib.sha256).digest())
    return {
        "client_id": device,
        "user": "%s/%s/?api-version=2021-04-12" % (host, device),
        "password": "SharedAccessSignature " + urllib.parse.urlencode(
            {"sr": uri, "sig": sig, "se": str(expiry)}),
    }


def test_cloud_helpers_match_reference(runtime, tmp_path):
    r = runtime.run("""
        from umqtt import cloud
        # Aliyun's documented example inputs, both sign methods, with and without timestamp.
        attempt("ALI_SHA1", cloud.aliyun, "pk", "device", "secret", client_id="12345",
                timestamp=789, sign_method="hmacsha1")
        attempt("ALI_SHA256", cloud.aliyun, "pk", "device", "secret", client_id="12345",
                timestamp=789)
        attempt("ALI_DEFAULTS", cloud.aliyun, "a1B2c3D4e5F", "lamp-1", b"s3cr3t")
        attempt("ALI_TLS", cloud.aliyun, "pk", "device", "secret", ssl=True)
        attempt("ALI_BAD_METHOD", cloud.aliyun, "pk", "device", "secret", sign_method="hmacmd5")
        attempt("ALI_EMPTY", cloud.aliyun, "", "device", "secret")
        attempt("ALI_TYPE", cloud.aliyun, 5, "device", "secret")
        attempt("AZ", cloud.azure, "myhub", "device-1", AZURE_KEY, EXPIRY)
        attempt("AZ_HOST", cloud.azure, "other.azure-devices.net", "d:2=x@(y)", AZURE_KEY, 0)
        attempt("AZ_BAD_KEY", cloud.azure, "myhub", "device-1", "not base64!", EXPIRY)
        attempt("AZ_BAD_EXPIRY", cloud.azure, "myhub", "device-1", AZURE_KEY, -1)
        attempt("SAS_POLICY", cloud.azure_sas, "myhub.azure-devices.net", AZURE_KEY, 60, "iothubowner")
    """, {"AZURE_KEY": AZURE_KEY, "EXPIRY": EXPIRY}).check()

    sha1 = r.value("ALI_SHA1")
    assert sha1 == dict(aliyun_reference("pk", "device", "secret", "12345", 789, "hmacsha1"),
                        server="pk.iot-as-mqtt.cn-shanghai.aliyuncs.com", port=1883)
    assert sha1["password"] == "fafd82a3d602b37fb0fa8b7892f24a477f851a14"
    assert r.value("ALI_SHA256") == dict(
        aliyun_reference("pk", "device", "secret", "12345", 789, "hmacsha256"),
        server="pk.iot-as-mqtt.cn-shanghai.aliyuncs.com", port=1883)
    assert r.value("ALI_DEFAULTS") == dict(
        aliyun_reference("a1B2c3D4e5F", "lamp-1", "s3cr3t", "lamp-1", None, "hmacsha256"),
        server="a1B2c3D4e5F.iot-as-mqtt.cn-shanghai.aliyuncs.com", port=1883)
    tls = r.value("ALI_TLS")
    assert tls["ssl"] is True and tls["client_id"] == "device|securemode=2,signmethod=hmacsha256|"
    assert r.exc("ALI_BAD_METHOD").name == "ValueError"
    assert r.exc("ALI_EMPTY").name == "ValueError"
    assert r.exc("ALI_TYPE").name == "TypeError"

    assert r.value("AZ") == dict(azure_reference("myhub.azure-devices.net", "device-1", AZURE_KEY, EXPIRY),
                                 server="myhub.azure-devices.net", port=8883, ssl=True)
    assert r.value("AZ_HOST")["password"] == azure_reference(
        "other.azure-devices.net", "d:2=x@(y)", AZURE_KEY, 0)["password"]
    assert r.exc("AZ_BAD_KEY").name == "ValueError"
    assert r.exc("AZ_BAD_EXPIRY").name == "ValueError"
    sig = base64.b64encode(hmac.new(base64.b64decode(AZURE_KEY),
                                    b"myhub.azure-devices.net\n60", hashlib.sha256).digest())
    assert r.value("SAS_POLICY") == "SharedAccessSignature " + urllib.parse.urlencode(
        {"sr": "myhub.azure-devices.net", "sig": sig, "se": "60", "skn": "iothubowner"})


def test_sign_primitives(runtime):
    """The core's encodings as both runtimes expose them, against the standard library."""
    r = runtime.run("""
        try:
            from umqtt import _sign
        except ImportError:
            from umqtt._umqtt import sign as _sign
        attempt("HEX", _sign.hex, bytes(range(256)))
        attempt("B64", _sign.b64encode, bytes(range(256)))
        attempt("B64_EMPTY", _sign.b64encode, b"")
        attempt("B64D", _sign.b64decode, "Zm9vYmE=")
        attempt("B64D_BAD", _sign.b64decode, "Zm9vYmE")
        attempt("QUOTE", _sign.quote, "a b/c?d=e&f~g_h.i-j" + chr(233))
        attempt("MAC_LONG_KEY", _sign.hmac_sha256, b"k" * 200, bytearray(b"m" * 1000))
        attempt("MAC_TYPE", _sign.hmac_sha1, None, b"m")
    """, {}).check()
    assert r.value("HEX") == bytes(range(256)).hex()
    assert r.value("B64") == base64.b64encode(bytes(range(256))).decode()
    assert r.value("B64_EMPTY") == ""
    assert r.value("B64D") == b"fooba"
    assert r.exc("B64D_BAD").name == "ValueError"
    assert r.value("QUOTE") == urllib.parse.quote("a b/c?d=e&f~g_h.i-j\u00e9", safe="")
    assert r.value("MAC_LONG_KEY") == hmac.new(b"k" * 200, b"m" * 1000, hashlib.sha256).digest()
    assert r.exc("MAC_TYPE").name == "TypeError"


@pytest.mark.parametrize("wrong", [False, True], ids=["right-secret", "wrong-secret"])
def test_aliyun_credentials_accepted_by_broker(runtime, mosquitto, observer, mkparams, wrong):
    ref = aliyun_reference("a1B2c3D4e5F", "lamp-1", "s3cr3t", "lamp-1", 1700000000123, "hmacsha256")
    b = mosquitto(users={ref["user"]: ref["password"]})
    p = mkparams(b, SECRET="wrong" if wrong else "s3cr3t")
    obs = observer(b, username=ref["user"], password=ref["password"])
    obs.subscribe(p["TOPIC"], 1)
    r = runtime.run("""
        from umqtt import cloud
        kw = cloud.aliyun("a1B2c3D4e5F", "lamp-1", SECRET, timestamp=1700000000123)
        kw["server"], kw["port"] = HOST, PORT   # the test's broker instead of Aliyun's
        c = MQTTClient(**kw)
        if attempt("CONNECT", c.connect) == 0:
            c.publish(TOPIC, b"signed in", qos=1)
            c.disconnect()
    """, p).check()
    if wrong:
        assert r.exc("CONNECT").args == (5,)
        return
    assert r.value("CONNECT") == 0
    assert [m.payload for m in obs.wait_messages(1)] == [b"signed in"]
    assert ref["client_id"] in b.log()


def test_azure_credentials_accepted_over_tls(runtime, mosquitto, certs, observer, mkparams):
    ref = azure_reference("myhub.azure-devices.net", "device-1", AZURE_KEY, EXPIRY)
    b = mosquitto(users={ref["user"]: ref["password"]}, certs=certs)
    p = tls_params(b, certs, mkparams, AZURE_KEY=AZURE_KEY, EXPIRY=EXPIRY)
    obs = observer(b, username=ref["user"], password=ref["password"])
    obs.subscribe(p["TOPIC"], 1)
    r = runtime.run(SSL_SETUP + """
    from umqtt import cloud
    kw = cloud.azure("myhub", "device-1", AZURE_KEY, EXPIRY)
    print("SSL", kw["ssl"])
    kw["server"], kw["port"] = HOST, TLS_PORT   # the test's TLS listener
    kw["ssl_params"] = tls_params(CA_PEM, CA_DER)
    c = MQTTClient(**kw)
    attempt("CONNECT", c.connect)
    c.publish(TOPIC, b"sas accepted", qos=1)
    c.disconnect()
    """, p).check()
    assert r.get("SSL") == "True"
    assert r.value("CONNECT") == 0
    assert [m.payload for m in obs.wait_messages(1)] == [b"sas accepted"]


def client_certificate(certs, cn):
    """A client certificate for cn signed by the test CA, in PEM and DER."""
    d = certs.dir
    (d / "client.ext").write_text("basicConstraints=critical,CA:FALSE\n"
                                  "extendedKeyUsage=clientAuth\n")
    for cmd in (
            ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key",
             "-out", "client.csr", "-subj", "/CN=" + cn],
            ["openssl", "x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-set_serial", "77", "-days", "2", "-sha256", "-extfile", "client.ext",
             "-out", "client.pem"],
            ["openssl", "x509", "-in", "client.pem", "-outform", "DER", "-out", "client.der"],
            ["openssl", "pkey", "-in", "client.key", "-outform", "DER", "-out", "client.key.der"]):
        subprocess.run(cmd, cwd=d, check=True, capture_output=True)
    return d


def test_aws_client_certificate_accepted(runtime, mosquitto, certs, mkparams):
    """AWS IoT signs in with a client certificate: a TLS listener that requires one
    (identity as user name) accepts the arguments aws() builds, on both runtimes."""
    d = client_certificate(certs, "thing-1")
    b = mosquitto(certs=certs, extra="require_certificate true\nuse_identity_as_username true")
    der = runtime.name == "micropython"
    p = tls_params(b, certs, mkparams, CERT=str(d / ("client.der" if der else "client.pem")),
                   KEY=str(d / ("client.key.der" if der else "client.key")),
                   CA=str(certs.ca_der if der else certs.ca_pem))
    r = runtime.run(SSL_SETUP + """
    from umqtt import cloud
    kw = cloud.aws("localhost", "thing-1", CERT, KEY, ca_certs=CA)
    print("PORT", kw["port"], kw["ssl"])
    kw["server"], kw["port"] = HOST, TLS_PORT   # the test's listener instead of AWS's
    c = MQTTClient(**kw)
    attempt("CONNECT", c.connect)
    c.publish(TOPIC, b"certificate accepted", qos=1)
    c.disconnect()
    # Without the client certificate the listener refuses the TLS handshake.
    c = MQTTClient(CLIENT_ID + "-nocert", HOST, TLS_PORT, ssl=True,
                   ssl_params=tls_params(CA_PEM, CA_DER))
    attempt("NO_CERT", c.connect)
    """, p).check()
    assert r.get("PORT") == "8883 True"
    assert r.value("CONNECT") == 0, r
    assert r.exc("NO_CERT").oserror or r.exc("NO_CERT").name in ("SSLError", "MQTTException"), r
    assert "as thing-1 " in b.log() and "u'thing-1'" in b.log(), b.log()
