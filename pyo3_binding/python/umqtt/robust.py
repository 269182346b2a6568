"""umqtt.robust: an MQTTClient that reconnects when the connection drops.

Same behaviour and interface as micropython-lib's ``umqtt.robust`` (which
``pip`` cannot install on CPython), written for this package and shipped on
both runtimes: ``publish()``, ``wait_msg()`` and ``check_msg()`` catch
``OSError``, call ``reconnect()`` (``connect(False)`` retried every
``DELAY`` seconds until it succeeds) and try again. ``log()`` prints the
errors when ``DEBUG`` is true; subclasses override ``delay()``/``log()``.

For bounded retries, backoff and resubscription use ``set_reconnect()`` of
``umqtt.simple.MQTTClient`` instead.
"""
import time

from umqtt import simple


class MQTTClient(simple.MQTTClient):
    DELAY = 2
    DEBUG = False

    def delay(self, i):
        # i: how many attempts failed so far (subclasses may back off).
        time.sleep(self.DELAY)

    def log(self, in_reconnect, e):
        if self.DEBUG:
            print(("mqtt reconnect: %r" if in_reconnect else "mqtt: %r") % e)

    def reconnect(self):
        failed = 0
        while True:
            try:
                return super().connect(False)
            except OSError as e:
                self.log(True, e)
                failed += 1
                self.delay(failed)

    def _until_done(self, op, *args):
        # Calls op until it does not fail with OSError, reconnecting in between.
        while True:
            try:
                return op(*args)
            except OSError as e:
                self.log(False, e)
            self.reconnect()

    def publish(self, topic, msg, retain=False, qos=0):
        return self._until_done(super().publish, topic, msg, retain, qos)

    def wait_msg(self):
        return self._until_done(super().wait_msg)

    def check_msg(self, attempts=2):
        # Non-blocking wait_msg(), reconnecting at most `attempts` times.
        for _ in range(attempts):
            self.sock.setblocking(False)
            try:
                return super().wait_msg()
            except OSError as e:
                self.log(False, e)
            self.reconnect()
