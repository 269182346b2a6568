"""MQTT 3.1.1 client compatible with micropython-lib's umqtt.simple 1.8.0.

Usage (unchanged from MicroPython)::

    from umqtt.simple import MQTTClient, MQTTException

    def on_message(topic: bytes, msg: bytes) -> None:
        print(topic, msg)

    c = MQTTClient("client-1", "localhost", keepalive=60)
    c.set_callback(on_message)
    c.connect()
    c.subscribe(b"sensors/#", qos=1)
    c.publish(b"sensors/t", b"21.5", qos=1)
    while True:
        c.wait_msg()
"""
from ._umqtt import MQTTClient as MQTTClient, MQTTException as MQTTException

__all__ = ["MQTTClient", "MQTTException"]

__version__: str
NATIVE: bool
