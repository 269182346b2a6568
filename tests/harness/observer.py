"""An independent MQTT client (paho-mqtt 2.x) living in the pytest process: it checks
what really reached the broker and publishes on the test's behalf."""

import itertools
import threading
import time

import paho.mqtt.client as paho

_ids = itertools.count(1)


class Received:
    __slots__ = ("topic", "payload", "qos", "retain")

    def __init__(self, msg):
        self.topic = msg.topic
        self.payload = bytes(msg.payload)
        self.qos = msg.qos
        self.retain = bool(msg.retain)

    def __repr__(self):
        p = self.payload if len(self.payload) <= 64 else self.payload[:64] + b"..."
        return "Received(%r, %r, qos=%d, retain=%s)" % (self.topic, p, self.qos, self.retain)


class Observer:
    def __init__(self, host, port, client_id=None, username=None, password=None, timeout=10,
                 transport="tcp", ws_path="/mqtt", ca_certs=None, will=None):
        self.timeout = timeout
        self.messages = []
        self._cond = threading.Condition()
        self._connected = threading.Event()
        self._subacks = {}
        self._connect_rc = None
        cid = client_id or "observer-%d-%d" % (id(self) & 0xFFFF, next(_ids))
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=cid,
                                  protocol=paho.MQTTv311, transport=transport)
        # Over WebSockets (transport="websockets"), wss with ca_certs: see harness/ws_broker.py.
        if transport == "websockets":
            self.client.ws_set_options(path=ws_path)
        if ca_certs is not None:
            self.client.tls_set(ca_certs=str(ca_certs))
        if will is not None:
            self.client.will_set(*will)
        if username is not None:
            self.client.username_pw_set(username, password)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.connect(host, port, keepalive=60)
        self.client.loop_start()
        if not self._connected.wait(timeout):
            self.close()
            raise TimeoutError("observer could not connect to %s:%d" % (host, port))
        if self._connect_rc != 0:
            self.close()
            raise RuntimeError("observer connect refused: %r" % self._connect_rc)

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        self._connect_rc = reason_code.value if hasattr(reason_code, "value") else reason_code
        self._connected.set()

    def _on_message(self, client, userdata, msg):
        with self._cond:
            self.messages.append(Received(msg))
            self._cond.notify_all()

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        with self._cond:
            self._subacks[mid] = [getattr(rc, "value", rc) for rc in reason_codes]
            self._cond.notify_all()

    def subscribe(self, topic, qos=2):
        """Subscribe and wait for the SUBACK; returns the granted codes."""
        rc, mid = self.client.subscribe(topic, qos)
        assert rc == paho.MQTT_ERR_SUCCESS, "observer subscribe failed: %r" % rc
        end = time.monotonic() + self.timeout
        with self._cond:
            while mid not in self._subacks:
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError("observer got no SUBACK for %r" % topic)
                self._cond.wait(left)
            return self._subacks[mid]

    def publish(self, topic, payload, qos=0, retain=False):
        """Publish and wait until the broker acknowledged it (QoS > 0) or it was written."""
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish(self.timeout)
        assert info.is_published(), "observer publish to %r not completed" % topic
        return info

    def wait_messages(self, n, timeout=None, topic=None):
        """Wait until at least n messages (on `topic` if given) arrived; return them all."""
        end = time.monotonic() + (self.timeout if timeout is None else timeout)
        with self._cond:
            while True:
                got = [m for m in self.messages if topic is None or m.topic == topic]
                if len(got) >= n:
                    return got
                left = end - time.monotonic()
                if left <= 0:
                    return got
                self._cond.wait(left)

    def close(self):
        try:
            self.client.disconnect()
        finally:
            self.client.loop_stop()
