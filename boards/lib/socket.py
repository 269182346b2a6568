# socket for the QEMU test boards: TCP connections carried over the board's
# UART link to the host, where boards/host.py opens the real connection (to a
# loopback Mosquitto). Same API as MicroPython's socket for what MQTT clients
# use; a stream object (io.IOBase), so native modules read and write it through
# the stream protocol as they do a real socket.
#
# Link frames, both ways: op (1 byte), channel (1), length (2, big endian), data.
#   board -> host: C connect "host:port", D data, X close
#   host -> board: O connected, E refused (errno), D data, F closed by the peer
import io
import struct
import time

import board

AF_INET = 2
SOCK_STREAM = 1
SOL_SOCKET = 1
SO_REUSEADDR = 4
IPPROTO_TCP = 6
TCP_NODELAY = 1

_EAGAIN = 11
_ETIMEDOUT = 110
_ENOTCONN = 107
_ECONNREFUSED = 111
_EBADF = 9
_POLL_RD = 1
_POLL_WR = 4
_POLL_HUP = 0x10
_IOCTL_POLL = 3
_IOCTL_CLOSE = 4
_MAX_FRAME = 1024

_socks = {}  # channel -> socket
_rx = bytearray(2048)
_pending = bytearray()
_next_chan = [0]


def _send(op, chan, data=b""):
    board.link_write(struct.pack(">BBH", op, chan, len(data)))
    if data:
        board.link_write(data)


def _pump():
    """Move what the link received into the sockets' buffers; True if anything came."""
    n = board.link_readinto(_rx)
    if not n:
        return False
    _pending.extend(memoryview(_rx)[:n])
    while len(_pending) >= 4:
        op, chan, ln = struct.unpack_from(">BBH", _pending)
        if len(_pending) < 4 + ln:
            break
        s = _socks.get(chan)
        if s is not None:
            s._event(op, _pending[4:4 + ln])
        _pending[:4 + ln] = b""
    return True


def _wait(ready, timeout_ms):
    """Pump the link until ready() holds; False when timeout_ms (None: never) ran out."""
    t0 = time.ticks_ms()
    while not ready():
        if _pump():
            continue
        if timeout_ms is not None and time.ticks_diff(time.ticks_ms(), t0) >= timeout_ms:
            return False
        board.idle()
    return True


def getaddrinfo(host, port, af=0, type=0, proto=0, flags=0):
    if isinstance(host, bytes):
        host = host.decode()
    return [(AF_INET, SOCK_STREAM, IPPROTO_TCP, "", (host, port))]


class socket(io.IOBase):
    def __init__(self, af=AF_INET, type=SOCK_STREAM, proto=0):
        _next_chan[0] = (_next_chan[0] + 1) % 256
        self._chan = _next_chan[0]
        self._buf = bytearray()
        self._state = 0  # 0 new, 1 connecting, 2 open, 3 peer closed, 4 closed
        self._err = 0
        self._timeout = None  # ms; None blocks, 0 non-blocking

    def _event(self, op, data):
        if op == 0x44:  # D
            self._buf.extend(data)
        elif op == 0x4F:  # O
            self._state = 2
        elif op == 0x45:  # E
            self._err = int(data) if data else _ECONNREFUSED
            self._state = 3
        elif op == 0x46:  # F
            self._state = 3

    def settimeout(self, t):
        self._timeout = None if t is None else int(t * 1000)

    def setblocking(self, flag):
        self._timeout = None if flag else 0

    def setsockopt(self, level, opt, value):
        pass

    def connect(self, addr):
        if self._state != 0:
            raise OSError(_EBADF)
        _socks[self._chan] = self
        self._state = 1
        _send(0x43, self._chan, ("%s:%d" % (addr[0], addr[1])).encode())
        if not _wait(lambda: self._state != 1, self._timeout):
            self.close()
            raise OSError(_ETIMEDOUT)
        if self._err:
            self.close()
            raise OSError(self._err)

    def readinto(self, buf):
        if self._state == 4:
            return -_EBADF
        if not self._buf and self._state == 2:
            if self._timeout == 0:
                _pump()
                if not self._buf and self._state == 2:
                    return None  # EAGAIN
            elif not _wait(lambda: self._buf or self._state != 2, self._timeout):
                return -_ETIMEDOUT
        n = min(len(buf), len(self._buf))
        if n:
            buf[:n] = self._buf[:n]
            self._buf[:n] = b""
        elif self._state < 2:
            return -_ENOTCONN
        return n  # 0: the peer closed the connection

    def write(self, data, n=None):
        # (n: MicroPython streams' optional length, which umqtt.simple uses)
        if self._state != 2:
            return -(_ENOTCONN if self._state < 3 else 104)  # ECONNRESET
        mv = memoryview(data)
        if n is not None:
            mv = mv[:n]
        for i in range(0, len(mv), _MAX_FRAME):
            _send(0x44, self._chan, mv[i:i + _MAX_FRAME])
        return len(mv)

    def ioctl(self, req, arg):
        if req == _IOCTL_POLL:
            _pump()
            r = 0
            if arg & _POLL_RD and (self._buf or self._state != 2):
                r |= _POLL_RD
            if arg & _POLL_WR and self._state == 2:
                r |= _POLL_WR
            if self._state == 3:
                r |= _POLL_HUP
            return r
        if req == _IOCTL_CLOSE:
            self.close()
            return 0
        return -22  # EINVAL

    def recv(self, n):
        b = bytearray(n)
        r = self.readinto(b)
        if r is None:
            raise OSError(_EAGAIN)
        if r < 0:
            raise OSError(-r)
        return bytes(b[:r])

    def read(self, n=-1):
        # As MicroPython's socket: up to n bytes (until EOF), None when a
        # non-blocking socket has nothing.
        if n is None or n < 0:
            n = 4096
        b = bytearray(n)
        got = 0
        while got < n:
            r = self.readinto(memoryview(b)[got:])
            if r is None:
                if not got:
                    return None
                break
            if r < 0:
                raise OSError(-r)
            if r == 0:
                break
            got += r
        return bytes(b[:got])

    def send(self, data):
        r = self.write(data)
        if r < 0:
            raise OSError(-r)
        return r

    sendall = send

    def close(self):
        if self._state in (1, 2, 3):
            _send(0x58, self._chan)
        self._state = 4
        _socks.pop(self._chan, None)
