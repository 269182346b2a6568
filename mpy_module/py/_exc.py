# umqtt's MQTTException on MicroPython: one class for umqtt.simple and
# umqtt.aio, so an asyncio program loads neither simple.mpy for it nor a
# second class. simple.mpy installed alone (no umqtt/_exc.mpy) makes its own.
class MQTTException(Exception):
    pass
