"""Sign-in helpers for cloud IoT platforms, the same on CPython and MicroPython.

Each helper returns a dict of ``MQTTClient`` keyword arguments derived from
the device's secret::

    from umqtt.simple import MQTTClient
    from umqtt import cloud

    c = MQTTClient(**cloud.aliyun("a1B2c3D4e5F", "lamp-1", "DeviceSecret..."))
    c.connect()

The HMACs and encodings run in the Rust core (``umqtt._sign`` on MicroPython,
``umqtt._umqtt.sign`` on CPython); MicroPython has no ``hmac`` module by
default. Algorithms follow the vendors' documents (see README.md, "Cloud
sign-in"); they were checked against published example values, not against
the live services.
"""

import sys

_MICROPYTHON = sys.implementation.name == "micropython"

try:
    from umqtt import _sign  # MicroPython: native module umqtt/_sign.mpy
except ImportError:
    from umqtt._umqtt import sign as _sign

__all__ = ["aliyun", "azure", "aws"]

_ALIYUN_METHODS = {"hmacsha256": _sign.hmac_sha256, "hmacsha1": _sign.hmac_sha1}


def _text(v, name):
    if isinstance(v, (bytes, bytearray)):
        v = bytes(v).decode()
    if not isinstance(v, str):
        raise TypeError(name + " must be str or bytes")
    if not v:
        raise ValueError(name + " must not be empty")
    return v


def aliyun(
    product_key,
    device_name,
    device_secret,
    client_id=None,
    timestamp=None,
    sign_method="hmacsha256",
    region="cn-shanghai",
    ssl=False,
):
    """Aliyun IoT Platform, one secret per device (the "triplet").

    client_id defaults to device_name. timestamp (milliseconds, int or str)
    is optional in Aliyun's scheme and left out when None. sign_method is
    "hmacsha256" or "hmacsha1". ssl=True selects TLS (securemode=2; pass the
    platform's CA in ssl_params), else plain TCP on 1883 (securemode=3).
    """
    product_key = _text(product_key, "product_key")
    device_name = _text(device_name, "device_name")
    secret = _text(device_secret, "device_secret")
    client_id = device_name if client_id is None else _text(client_id, "client_id")
    mac = _ALIYUN_METHODS.get(sign_method)
    if mac is None:
        raise ValueError("sign_method must be 'hmacsha256' or 'hmacsha1'")
    params = [("clientId", client_id), ("deviceName", device_name), ("productKey", product_key)]
    extra = ""
    if timestamp is not None:
        if not isinstance(timestamp, (int, str)):
            raise TypeError("timestamp must be an int or str")
        params.append(("timestamp", str(timestamp)))
        extra = ",timestamp=" + str(timestamp)
    # The signed content is the parameters sorted by name, each name followed
    # by its value, without separators (the list above is already sorted).
    content = "".join(k + v for k, v in params)
    kwargs = {
        "client_id": "%s|securemode=%d,signmethod=%s%s|" % (client_id, 2 if ssl else 3, sign_method, extra),
        "server": "%s.iot-as-mqtt.%s.aliyuncs.com" % (product_key, _text(region, "region")),
        "port": 1883,
        "user": device_name + "&" + product_key,
        "password": _sign.hex(mac(secret, content)),
    }
    if ssl:
        kwargs["ssl"] = True
    return kwargs


def azure_sas(resource, key, expiry, policy=None):
    """An Azure SAS token for resource, valid until expiry (Unix seconds).

    key is the base64 key from the portal; policy the shared access policy
    name for hub-level keys (None for a device key).
    """
    if not isinstance(expiry, int) or isinstance(expiry, bool) or expiry < 0:
        raise ValueError("expiry must be a non-negative int (Unix time in seconds)")
    try:
        raw_key = _sign.b64decode(_text(key, "key"))
    except ValueError:
        raise ValueError("key must be the base64 key of the device or policy")
    sr = _sign.quote(_text(resource, "resource"))
    sig = _sign.b64encode(_sign.hmac_sha256(raw_key, sr + "\n" + str(expiry)))
    token = "SharedAccessSignature sr=%s&sig=%s&se=%d" % (sr, _sign.quote(sig), expiry)
    if policy is not None:
        token += "&skn=" + _sign.quote(_text(policy, "policy"))
    return token


def azure(hub, device_id, key, expiry, api_version="2021-04-12"):
    """Azure IoT Hub, device identity with a symmetric key (SAS token).

    hub is the hub's name ("myhub") or host name ("myhub.azure-devices.net");
    expiry is the token's expiry as absolute Unix time in seconds (the SAS
    token's ``se``): boards often have no clock, so the caller decides. IoT
    Hub requires TLS on 8883: ``ssl=True`` is set; on MicroPython pass the
    hub's CA certificate in ssl_params.
    """
    host = _text(hub, "hub")
    if "." not in host:
        host += ".azure-devices.net"
    device_id = _text(device_id, "device_id")
    resource = host + "/devices/" + device_id
    return {
        "client_id": device_id,
        "server": host,
        "port": 8883,
        "user": "%s/%s/?api-version=%s" % (host, device_id, api_version),
        "password": azure_sas(resource, key, expiry),
        "ssl": True,
    }


def aws(endpoint, client_id, certfile, keyfile, ca_certs=None, port=8883):
    """AWS IoT Core: TLS with the thing's client certificate, no password.

    certfile, keyfile and ca_certs (Amazon's root CA; None skips checking
    the server, as MicroPython does by default) are file names; CPython
    reads PEM, MicroPython's ssl module PEM or DER. Port 443 would need the
    ALPN protocol "x-amzn-mqtt-ca", which the client does not set: use 8883.
    """
    endpoint = _text(endpoint, "endpoint")
    if _MICROPYTHON:
        import ssl

        def read(name):
            with open(name, "rb") as f:
                return f.read()

        params = {"cert": read(certfile), "key": read(keyfile), "server_hostname": endpoint}
        if ca_certs is not None:
            params["cadata"] = read(ca_certs)
            params["cert_reqs"] = ssl.CERT_REQUIRED
    else:
        params = {"certfile": certfile, "keyfile": keyfile}
        if ca_certs is not None:
            params["ca_certs"] = ca_certs
    return {
        "client_id": _text(client_id, "client_id"),
        "server": endpoint,
        "port": port,
        "ssl": True,
        "ssl_params": params,
    }
