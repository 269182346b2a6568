# MQTT subscriber as ESP32 tutorials write it: Wi-Fi, an LED that follows the
# messages, a machine.Timer that calls check_msg() every second. Runs
# unchanged on a board and on a PC:
#
#   UMQTT_BROKER=localhost:1883 python -m umqtt.board examples/board_subscriber.py
#   UMQTT_BROKER=localhost:1883 micropython -m umqtt.board examples/board_subscriber.py
import network
import time
from machine import Pin, Timer
from simple import MQTTClient

SSID = "your-wifi"
PASSWORD = "your-password"
SERVER = "broker.emqx.io"
CLIENT_ID = "umqtt-rs-esp32-subscriber"
TOPIC = b"umqtt-rs/tutorial"

wlan = network.WLAN(network.STA_IF)
wlan.active(True)
wlan.connect(SSID, PASSWORD)
while not wlan.isconnected():
    time.sleep_ms(500)
print("Wi-Fi connected:", wlan.ifconfig())

led = Pin(15, Pin.OUT)


def on_message(topic, msg):
    print("Received", topic, msg)
    led.value(not led.value())


client = MQTTClient(CLIENT_ID, SERVER, 1883, keepalive=60)
client.set_callback(on_message)
client.connect()
client.subscribe(TOPIC)
print("Subscribed to", TOPIC)

timer = Timer(0)
timer.init(period=1000, mode=Timer.PERIODIC, callback=lambda t: client.check_msg())
