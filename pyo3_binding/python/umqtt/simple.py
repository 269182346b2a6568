"""MQTT 3.1.1 client compatible with micropython-lib's umqtt.simple 1.8.0.

The implementation is the Rust extension ``umqtt._umqtt``; this module only
re-exports it under the name MicroPython programs import.
"""
from ._umqtt import MQTTClient, MQTTException

__all__ = ["MQTTClient", "MQTTException"]

# Which umqtt.simple this is (micropython-lib's pure-Python one has neither).
__version__ = "0.1.0"
NATIVE = True
