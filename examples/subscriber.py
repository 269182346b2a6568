# MQTT subscriber: the classic ESP32 tutorial program, unchanged for umqtt-rs.
#
# Prints the topic and message of everything published to a topic, polling with
# check_msg(). Runs as it is on an ESP32 with MicroPython (joins Wi-Fi first, toggles the
# LED per message) and on a PC under CPython or the MicroPython unix port.
#
#   python subscriber.py [HOST [PORT [TOPIC [COUNT]]]]
#   MQTT_HOST=... MQTT_PORT=... MQTT_TOPIC=... MQTT_COUNT=... python subscriber.py
#
# With COUNT > 0 it exits after that many messages (so tests and the demo can run it).
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

received = 0
led = None


def client_id():
    try:
        import machine
        import binascii

        return b"sub-" + binascii.hexlify(machine.unique_id())
    except (ImportError, AttributeError):
        import random

        return "sub-%06x" % random.getrandbits(24)


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


def sub_cb(topic, msg):
    global received
    received += 1
    print("Received %s: %s" % (topic.decode(), msg.decode()))
    if led is not None:
        led.value(received % 2)


def main():
    global led
    connect_wifi()
    if Pin is not None:
        led = Pin(LED_PIN, Pin.OUT)
    # keepalive=60: the client sends PINGREQ by itself while we poll.
    client = MQTTClient(client_id(), HOST, PORT, keepalive=60)
    client.set_callback(sub_cb)
    client.connect()
    client.subscribe(TOPIC)
    print("Subscribed to %s on %s:%d" % (TOPIC, HOST, PORT))
    try:
        while COUNT == 0 or received < COUNT:
            # Returns at once when nothing is there; never blocks half-way in a packet.
            client.check_msg()
            time.sleep(0.05)
    finally:
        client.disconnect()


main()
