# Pre-built MQTT 3.1.1 packets for the raw-socket loops (the physical limit)
# and for loading the broker. Runs unchanged on CPython and MicroPython, so
# both runtimes send byte-identical packets.


def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _str(s):
    return bytes([len(s) >> 8, len(s) & 0xFF]) + s


def connect(client_id, keepalive=0):
    body = _str(b"MQTT") + bytes([4, 2, keepalive >> 8, keepalive & 0xFF]) + _str(client_id)
    return b"\x10" + _varint(len(body)) + body


def publish(topic, payload, qos=0, pid=1):
    body = _str(topic)
    if qos:
        body += bytes([pid >> 8, pid & 0xFF])
    body += payload
    return bytes([0x30 | (qos << 1)]) + _varint(len(body)) + body


def subscribe(topic, qos=0, pid=1):
    body = bytes([pid >> 8, pid & 0xFF]) + _str(topic) + bytes([qos])
    return b"\x82" + _varint(len(body)) + body


PINGREQ = b"\xc0\x00"
DISCONNECT = b"\xe0\x00"
CONNACK_LEN = 4
SUBACK_LEN = 5
PUBACK_LEN = 4
PINGRESP_LEN = 2
