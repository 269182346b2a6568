"""umqtt: MQTT 3.1.1 client for CPython, a drop-in for MicroPython's umqtt.simple.

Use it as on MicroPython::

    from umqtt.simple import MQTTClient, MQTTException

Other ``umqtt`` modules (micropython-umqtt.robust's ``robust.py``) may be
installed into this package or into another ``umqtt`` directory on sys.path
(pip --target, editable installs); extend_path makes ``umqtt.robust`` import
in both cases. Keep this file free of other imports.
"""
from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)
