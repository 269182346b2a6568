# MQTT publisher as ESP32 tutorials write it: Wi-Fi, an LED, a machine.Timer
# that publishes every second. Runs unchanged on a board (fill in the Wi-Fi
# and broker settings, copy simple.mpy to the board) and on a PC:
#
#   UMQTT_BROKER=localhost:1883 python -m umqtt.board examples/board_publisher.py
#   UMQTT_BROKER=localhost:1883 micropython -m umqtt.board examples/board_publisher.py
import network
import time
from machine import Pin, Timer
from simple import MQTTClient

SSID = "your-wifi"
PASSWORD = "your-password"
SERVER = "broker.emqx.io"
CLIENT_ID = "umqtt-rs-esp32-publisher"
TOPIC = b"umqtt-rs/tutorial"

wlan = network.WLAN(network.STA_IF)
wlan.active(True)
wlan.connect(SSID, PASSWORD)
while not wlan.isconnected():
    time.sleep_ms(500)
print("Wi-Fi connected:", wlan.ifconfig())

led = Pin(15, Pin.OUT)
client = MQTTClient(CLIENT_ID, SERVER, 1883, keepalive=60)
client.connect()
print("Connected to MQTT broker")

count = 0


def publish(timer):
    global count
    count += 1
    msg = ("hello #%d" % count).encode()
    client.publish(TOPIC, msg)
    led.value(count % 2)  # blink once per message
    print("Published", msg)


timer = Timer(0)
timer.init(period=1000, mode=Timer.PERIODIC, callback=publish)
