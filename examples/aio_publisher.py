# MQTT publisher with asyncio (umqtt.aio): the same program on an ESP32 with
# MicroPython, the MicroPython unix port and CPython.
#
# Publishes "Hello #n" with QoS 1 every INTERVAL seconds; each publish returns
# when the broker acknowledged it. The client pings by itself and reconnects
# when the broker goes away.
#
#   python aio_publisher.py [HOST [PORT [TOPIC [COUNT]]]]
#   MQTT_HOST=... MQTT_PORT=... MQTT_TOPIC=... MQTT_COUNT=... MQTT_INTERVAL=... python aio_publisher.py
#
# With COUNT > 0 it exits after that many messages.
import sys

import asyncio
from umqtt.aio import MQTTClient

try:
    from os import getenv
except ImportError:  # some MicroPython ports have no os.getenv

    def getenv(name, default=None):
        return default


def setting(index, name, default):
    # Command-line argument first, then the environment, then the default.
    if len(sys.argv) > index:
        return sys.argv[index]
    value = getenv(name)
    return default if value is None else value


HOST = setting(1, "MQTT_HOST", "localhost")
PORT = int(setting(2, "MQTT_PORT", "1883"))
TOPIC = setting(3, "MQTT_TOPIC", "umqtt-rs/demo")
COUNT = int(setting(4, "MQTT_COUNT", "0"))
INTERVAL = float(getenv("MQTT_INTERVAL") or "1")


def client_id():
    try:
        import machine
        import binascii

        return b"apub-" + binascii.hexlify(machine.unique_id())
    except (ImportError, AttributeError):
        import random

        return "apub-%06x" % random.getrandbits(24)


async def main():
    c = MQTTClient(client_id(), HOST, PORT, keepalive=60)
    c.set_reconnect(attempts=0)
    async with c:
        print("Connected to %s:%d" % (HOST, PORT))
        n = 0
        while COUNT == 0 or n < COUNT:
            n += 1
            msg = "Hello #%d" % n
            await c.publish(TOPIC, msg, qos=1)
            print("Published", msg)
            if COUNT == 0 or n < COUNT:
                await asyncio.sleep(INTERVAL)


asyncio.run(main())
