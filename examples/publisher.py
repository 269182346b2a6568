# MQTT publisher: the classic ESP32 tutorial program, unchanged for umqtt-rs.
#
# Sends "Hello #1", "Hello #2", ... to a topic once a second. Runs as it is on an ESP32
# with MicroPython (joins Wi-Fi first) and on a PC under CPython or the MicroPython unix
# port (no Wi-Fi, no LED).
#
#   python publisher.py [HOST [PORT [TOPIC [COUNT]]]]
#   MQTT_HOST=... MQTT_PORT=... MQTT_TOPIC=... MQTT_COUNT=... python publisher.py
#
# COUNT 0 (the default) publishes forever. MQTT_INTERVAL sets the pause in seconds.
import sys
import time

from umqtt.simple import MQTTClient

try:
    import network  # only on boards with Wi-Fi
except ImportError:
    network = None
try:
    from machine import Pin  # the unix port has `machine` but no Pin
except ImportError:
    Pin = None

WIFI_SSID = ""  # fill in on a board
WIFI_PASSWORD = ""
LED_PIN = 2  # the blue LED of most ESP32 dev boards

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

        return b"pub-" + binascii.hexlify(machine.unique_id())
    except (ImportError, AttributeError):
        import random

        return "pub-%06x" % random.getrandbits(24)


def connect_wifi():
    if network is None or not WIFI_SSID:
        return
    wlan = network.WLAN(network.STA_IF)
    wlan.active(True)
    if not wlan.isconnected():
        print("Connecting to Wi-Fi", WIFI_SSID)
        wlan.connect(WIFI_SSID, WIFI_PASSWORD)
        while not wlan.isconnected():
            time.sleep(0.5)
    print("Wi-Fi:", wlan.ifconfig()[0])


def main():
    connect_wifi()
    led = Pin(LED_PIN, Pin.OUT) if Pin is not None else None
    client = MQTTClient(client_id(), HOST, PORT)
    client.connect()
    print("Connected to %s:%d" % (HOST, PORT))
    n = 0
    try:
        while COUNT == 0 or n < COUNT:
            n += 1
            msg = "Hello #%d" % n
            client.publish(TOPIC, msg)
            print("Published", msg)
            if led is not None:
                led.value(n % 2)
            if COUNT == 0 or n < COUNT:
                time.sleep(INTERVAL)
    finally:
        client.disconnect()


main()
