# MQTT subscriber with asyncio (umqtt.aio): the same program on an ESP32 with
# MicroPython, the MicroPython unix port and CPython.
#
# Prints the topic and message of everything published to a topic. The client
# pings by itself and reconnects (backoff, subscriptions restored) when the
# broker goes away; the LED task shows the program stays responsive meanwhile.
#
#   python aio_subscriber.py [HOST [PORT [TOPIC [COUNT]]]]
#   MQTT_HOST=... MQTT_PORT=... MQTT_TOPIC=... MQTT_COUNT=... python aio_subscriber.py
#
# With COUNT > 0 it exits after that many messages (so tests and the demo can run it).
import sys

import asyncio
from umqtt.aio import MQTTClient

try:
    from machine import Pin  # the unix port has `machine` but no Pin
except ImportError:
    Pin = None

LED_PIN = 2

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


def client_id():
    try:
        import machine
        import binascii

        return b"asub-" + binascii.hexlify(machine.unique_id())
    except (ImportError, AttributeError):
        import random

        return "asub-%06x" % random.getrandbits(24)


async def blink(led):
    # Runs beside the client: asyncio keeps both going.
    while True:
        led.value(not led.value())
        await asyncio.sleep(0.5)


async def main():
    if Pin is not None:
        asyncio.create_task(blink(Pin(LED_PIN, Pin.OUT)))
    c = MQTTClient(client_id(), HOST, PORT, keepalive=60)
    c.set_reconnect(attempts=0)
    async with c:
        await c.subscribe(TOPIC, qos=1)
        print("Subscribed to %s on %s:%d" % (TOPIC, HOST, PORT))
        received = 0
        async for topic, msg in c.messages():
            received += 1
            print("Received %s: %s" % (topic.decode(), msg.decode()))
            if received == COUNT:
                break


asyncio.run(main())
