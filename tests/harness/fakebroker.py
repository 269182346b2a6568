"""A scriptable fake MQTT broker: a plain socket server driven step by step from the
test's own thread, to send malformed, hostile or slow packets that a real broker never
sends. Every read has a deadline."""

import socket
import struct
import time

from .broker import HOST

CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT = range(8, 15)


def varint(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def packet(ptype, flags, body):
    return bytes([(ptype << 4) | flags]) + varint(len(body)) + body


def mqtt_str(b):
    if isinstance(b, str):
        b = b.encode()
    return struct.pack("!H", len(b)) + b


def connack(session_present=0, rc=0):
    return packet(CONNACK, 0, bytes([session_present, rc]))


def suback(pid, *codes):
    return packet(SUBACK, 0, struct.pack("!H", pid) + bytes(codes))


def unsuback(pid):
    return packet(UNSUBACK, 0, struct.pack("!H", pid))


def publish(topic, payload, qos=0, pid=None, dup=False, retain=False):
    flags = (qos << 1) | (8 if dup else 0) | (1 if retain else 0)
    body = mqtt_str(topic) + (struct.pack("!H", pid) if qos else b"") + payload
    return packet(PUBLISH, flags, body)


def ack(ptype, pid):
    return packet(ptype, 2 if ptype == PUBREL else 0, struct.pack("!H", pid))


class Packet:
    def __init__(self, ptype, flags, body):
        self.type, self.flags, self.body = ptype, flags, body

    @property
    def pid(self):
        """Packet id of acks, SUBSCRIBE, UNSUBSCRIBE."""
        return struct.unpack("!H", self.body[:2])[0]

    def publish_fields(self):
        """(topic, pid or None, payload, qos, dup, retain) of a PUBLISH."""
        tlen = struct.unpack("!H", self.body[:2])[0]
        topic = self.body[2:2 + tlen]
        qos = (self.flags >> 1) & 3
        rest = self.body[2 + tlen:]
        pid = None
        if qos:
            pid = struct.unpack("!H", rest[:2])[0]
            rest = rest[2:]
        return topic, pid, rest, qos, bool(self.flags & 8), bool(self.flags & 1)

    def client_id(self):
        """Client identifier of a CONNECT (fixed 10-byte variable header in 3.1.1)."""
        n = struct.unpack("!H", self.body[10:12])[0]
        return self.body[12:12 + n]

    def __repr__(self):
        return "Packet(type=%d, flags=%#x, body=%r)" % (self.type, self.flags, self.body[:80])


class FakeBroker:
    def __init__(self):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((HOST, 0))
        self.listener.listen(4)
        self.host = HOST
        self.port = self.listener.getsockname()[1]
        self.conn = None
        self._buf = b""

    def accept(self, timeout=30):
        self.listener.settimeout(timeout)
        self.conn, _ = self.listener.accept()
        self.conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buf = b""
        return self.conn

    def _fill(self, n, deadline):
        while len(self._buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("fake broker: timed out waiting for bytes from the client")
            self.conn.settimeout(left)
            data = self.conn.recv(65536)
            if not data:
                raise ConnectionError("fake broker: client closed the connection")
            self._buf += data

    def read_packet(self, timeout=10):
        """Next whole packet from the client."""
        deadline = time.monotonic() + timeout
        self._fill(2, deadline)
        mult, length, i = 1, 0, 1
        while True:
            self._fill(i + 1, deadline)
            b = self._buf[i]
            length += (b & 0x7F) * mult
            mult *= 128
            i += 1
            if not b & 0x80:
                break
        self._fill(i + length, deadline)
        first = self._buf[0]
        body = self._buf[i:i + length]
        self._buf = self._buf[i + length:]
        return Packet(first >> 4, first & 0x0F, body)

    def expect(self, ptype, timeout=10):
        """Read the next packet, skipping PINGREQs (answered), and check its type."""
        while True:
            p = self.read_packet(timeout)
            if p.type == PINGREQ and ptype != PINGREQ:
                self.send(packet(PINGRESP, 0, b""))
                continue
            assert p.type == ptype, "fake broker expected packet type %d, got %r" % (ptype, p)
            return p

    def next_packet(self, timeout=10):
        """Next packet of any type; PINGREQs are answered and skipped."""
        while True:
            p = self.read_packet(timeout)
            if p.type != PINGREQ:
                return p
            self.send(packet(PINGRESP, 0, b""))

    def handshake(self, session_present=0, rc=0, timeout=30):
        """Accept a client, read its CONNECT, answer CONNACK."""
        self.accept(timeout)
        p = self.expect(CONNECT)
        self.send(connack(session_present, rc))
        return p

    def handle_subscribe(self, *codes):
        """Read a SUBSCRIBE, answer SUBACK with codes (default: granted QoS 0)."""
        p = self.expect(SUBSCRIBE)
        self.send(suback(p.pid, *(codes or (0,))))
        return p

    def send(self, data):
        self.conn.sendall(data)

    def closed_by_client(self, timeout=10):
        """True if the client closed the connection (EOF) within timeout."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                self._fill(len(self._buf) + 1, deadline)
        except ConnectionError:
            return True
        except (TimeoutError, OSError):
            return False

    def close(self):
        for s in (self.conn, self.listener):
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass
