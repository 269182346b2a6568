"""A fake MQTT broker behind a fake WebSocket server, for what a real broker never sends:
a bad handshake answer, masked, oversized, reserved or text frames, MQTT packets split
across frames or packed into one, pings, and a close in the middle of a packet.

`FakeWsBroker` is a `FakeBroker` (same script methods: handshake, expect, read_packet,
send, ...) whose bytes travel in WebSocket frames: `read_packet` unwraps the client's
frames (which must be masked), `send` wraps MQTT bytes in one binary frame, and the
methods below send frames exactly as asked."""

import base64
import hashlib
import struct
import time

import pytest

from .fakebroker import FakeBroker

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
BINARY, TEXT, CONT, CLOSE, PING, PONG = 0x2, 0x1, 0x0, 0x8, 0x9, 0xA


def accept_key(key):
    """Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 4.2.2)."""
    return base64.b64encode(hashlib.sha1(key + GUID).digest())


def frame(opcode, payload, fin=True, mask=None, rsv=0, length_form=None):
    """One frame as a server would send it (unmasked unless mask= 4 bytes is given).
    length_form: None for the shortest, 16 or 64 to force an extended length."""
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    n = len(payload)
    m = 0x80 if mask is not None else 0
    if length_form is None and n < 126:
        head = bytes([b0, m | n])
    elif length_form in (None, 16) and n <= 0xFFFF:
        head = bytes([b0, m | 126]) + struct.pack("!H", n)
    else:
        head = bytes([b0, m | 127]) + struct.pack("!Q", n)
    if mask is not None:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        head += bytes(mask)
    return head + payload


def good_answer(key, protocol=b"mqtt"):
    lines = [b"HTTP/1.1 101 Switching Protocols", b"Upgrade: websocket",
             b"Connection: Upgrade", b"Sec-WebSocket-Accept: " + accept_key(key)]
    if protocol is not None:
        lines.append(b"Sec-WebSocket-Protocol: " + protocol)
    return b"\r\n".join(lines) + b"\r\n\r\n"


class FakeWsBroker(FakeBroker):
    def __init__(self):
        super().__init__()
        self.request = None        # the client's HTTP request (bytes, header only)
        self.headers = {}          # its headers, names lower-case
        self.path = None
        self.client_frames = []    # (opcode, payload) of every client control frame
        # Client frames must be masked (RFC 6455 5.1). paho-mqtt 2.2 sends its pongs
        # unmasked: strict_mask = False accepts them, counted in unmasked_frames.
        self.strict_mask = True
        self.unmasked_frames = 0
        self._raw = b""

    def url(self, path="/mqtt"):
        return "ws://%s:%d%s" % (self.host, self.port, path)

    def accept(self, timeout=30, answer=None):
        """Accept a client and its Upgrade request; answer with answer(key) -> bytes
        (default: a correct 101 selecting "mqtt")."""
        conn = super().accept(timeout)
        deadline = time.monotonic() + 10
        while b"\r\n\r\n" not in self._raw:
            self._recv(deadline)
        head, _, self._raw = self._raw.partition(b"\r\n\r\n")
        self.request = head
        lines = head.split(b"\r\n")
        self.path = lines[0].split(b" ")[1].decode()
        self.headers = {k.strip().lower().decode(): v.strip()
                        for k, _, v in (ln.partition(b":") for ln in lines[1:])}
        key = self.headers.get("sec-websocket-key", b"")
        conn.sendall((answer or good_answer)(key))
        return conn

    def _recv(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("fake ws broker: timed out waiting for bytes from the client")
        self.conn.settimeout(left)
        data = self.conn.recv(65536)
        if not data:
            raise ConnectionError("fake ws broker: client closed the connection")
        self._raw += data

    def _fill(self, n, deadline):
        # MQTT bytes: payloads of the client's binary/continuation frames.
        while len(self._buf) < n:
            got = self._client_frame()
            if got is None:
                self._recv(deadline)
                continue
            opcode, payload = got
            if opcode in (BINARY, CONT):
                self._buf += payload
            else:
                self.client_frames.append((opcode, payload))
                if opcode == PING:
                    self.conn.sendall(frame(PONG, payload))
                if opcode == CLOSE:
                    raise ConnectionError("fake ws broker: client sent a close frame")

    def _client_frame(self):
        """Take one whole client frame off the raw bytes, or None if incomplete."""
        r = self._raw
        if len(r) < 2:
            return None
        masked = bool(r[1] & 0x80)
        assert masked or not self.strict_mask, "client frame not masked (RFC 6455 5.1)"
        n, pos = r[1] & 0x7F, 2
        if n == 126:
            if len(r) < 4:
                return None
            n, pos = struct.unpack("!H", r[2:4])[0], 4
        elif n == 127:
            if len(r) < 10:
                return None
            n, pos = struct.unpack("!Q", r[2:10])[0], 10
        klen = 4 if masked else 0
        if len(r) < pos + klen + n:
            return None
        mask = r[pos:pos + klen] or b"\0\0\0\0"
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(r[pos + klen:pos + klen + n]))
        self._raw = r[pos + klen + n:]
        self.unmasked_frames += 0 if masked else 1
        return r[0] & 0x0F, payload

    def send(self, data):
        """MQTT bytes in one binary frame."""
        self.conn.sendall(frame(BINARY, data))

    def send_raw(self, data):
        self.conn.sendall(data)

    def send_fragments(self, data, cuts, between=b""):
        """MQTT bytes as one fragmented message, cut at the given offsets; `between` (raw
        frames, e.g. a ping) goes after every fragment but the last. One write."""
        bounds = [0] + list(cuts) + [len(data)]
        out = b""
        for i, (a, b) in enumerate(zip(bounds, bounds[1:])):
            last = i == len(bounds) - 2
            out += frame(BINARY if i == 0 else CONT, data[a:b], fin=last)
            if not last:
                out += between
        self.conn.sendall(out)

    def send_close(self, code=1000, reason=b""):
        self.conn.sendall(frame(CLOSE, struct.pack("!H", code) + reason))


@pytest.fixture
def fake_ws():
    """A FakeWsBroker on a free loopback port, closed at teardown."""
    fb = FakeWsBroker()
    yield fb
    fb.close()
