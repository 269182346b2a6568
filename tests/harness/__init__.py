"""Test harness for umqtt-rs: Mosquitto brokers, client runtimes, a paho observer and
a scriptable fake broker. Used by tests/conftest.py and the test modules."""
