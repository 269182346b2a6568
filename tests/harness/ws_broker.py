"""Mosquitto with WebSocket listeners, for MQTT over WebSockets (ws:// and wss://).

Debian's Mosquitto 2.0.11 is built with libwebsockets: `listener N` followed by
`protocol websockets` serves MQTT over WebSockets on any path (`/mqtt` by convention),
answering the `mqtt` subprotocol. Two quirks of 2.0.11 shape this fixture:

- it refuses to start when every listener is a WebSocket one ("Unable to start any
  listening sockets"), so the plain MQTT listener of `Mosquitto` stays (self.port);
- it sends WebSocket data to clients slowly, about 40 KB/s (one ~4 KB write per turn of
  its event loop; small messages are not affected): a 1 MB message to a WebSocket
  subscriber takes ~25 s, while a 1 MB publish from a WebSocket client is fast.

With certs, a wss listener (self.wss_port) uses the test CA's server certificate.

`Aedes` is the second WebSocket broker, for large messages: aedes (npm) behind the `ws`
package (tests/harness/node/, installed by scripts/setup_ws.sh), same attributes.
"""

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from harness.broker import HOST, BrokerProcess, Mosquitto, free_port, wait_port

NODE_DIR = Path(__file__).resolve().parent / "node"


class WsMosquitto(Mosquitto):
    """A Mosquitto (all of its options) plus a WebSocket listener on self.ws_port and,
    with certs=, a wss listener on self.wss_port."""

    def __init__(self, directory, **options):
        super().__init__(directory, **options)
        self.ws_port = free_port()
        self.wss_port = free_port() if self.certs is not None else None

    def _config(self):
        lines = ["listener %d %s" % (self.ws_port, HOST), "protocol websockets"]
        if self.wss_port is not None:
            lines += [
                "listener %d %s" % (self.wss_port, HOST),
                "protocol websockets",
                "cafile %s" % self.certs.ca_pem,
                "certfile %s" % self.certs.server_pem,
                "keyfile %s" % self.certs.server_key,
            ]
        return super()._config() + "\n".join(lines) + "\n"

    def start(self, timeout_s=10):
        super().start(timeout_s)
        for p in (self.ws_port, self.wss_port):
            if p is not None and not wait_port(p, timeout_s, self.proc):
                log = self.log()
                self.stop()
                raise RuntimeError("mosquitto did not listen for websockets on %d:\n%s"
                                   % (p, log))
        return self

    def url(self, path="/mqtt", tls=False):
        """The server as a URL: ws://127.0.0.1:<ws_port>/mqtt or wss://...:<wss_port>/..."""
        if tls:
            return "wss://%s:%d%s" % (HOST, self.wss_port, path)
        return "ws://%s:%d%s" % (HOST, self.ws_port, path)


class Aedes(BrokerProcess):
    """aedes with a plain MQTT listener (port), a WebSocket one (ws_port) and, with
    certs=, a wss one (wss_port); in memory, anonymous."""

    def __init__(self, directory, certs=None):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.host = HOST
        self.port = free_port()
        self.ws_port = free_port()
        self.certs = certs
        self.wss_port = free_port() if certs is not None else None
        self.log_path = self.dir / "aedes.log"
        self.conf_path = self.log_path  # what the failure report prints beside the log
        self.proc = None
        self._log = None

    def start(self, timeout_s=15):
        node = shutil.which("node")
        script = NODE_DIR / "aedes_broker.mjs"
        if node is None or not (NODE_DIR / "node_modules" / "aedes").is_dir():
            raise RuntimeError("aedes is not installed: run scripts/setup_ws.sh")
        args = [node, str(script), str(self.port), str(self.ws_port)]
        if self.certs is not None:
            args += [str(self.wss_port), str(self.certs.server_pem), str(self.certs.server_key)]
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=str(NODE_DIR))
        end = time.monotonic() + timeout_s
        while b"ready" not in self.log_path.read_bytes():
            if self.proc.poll() is not None or time.monotonic() > end:
                log = self.log()
                self.stop()
                raise RuntimeError("aedes did not start:\n%s" % log)
            time.sleep(0.05)
        return self

    url = WsMosquitto.url


def _factory(cls, tmp_path, request, name):
    brokers = []

    def start(**options):
        b = cls(tmp_path / ("%s%d" % (name, len(brokers))), **options)
        brokers.append(b)
        return b.start()

    yield start
    for b in brokers:
        b.stop()
    failed = any(getattr(getattr(request.node, "rep_" + w, None), "failed", False)
                 for w in ("setup", "call"))
    if failed:
        for b in brokers:
            print("\n===== %s log (%s) =====\n%s" % (name, b.conf_path, b.log()[-20000:]))


@pytest.fixture
def ws_aedes(tmp_path, request):
    """Factory: ws_aedes(certs=...) -> started Aedes; killed at teardown."""
    yield from _factory(Aedes, tmp_path, request, "aedes")


@pytest.fixture
def ws_mosquitto(tmp_path, request):
    """Factory: ws_mosquitto(certs=..., users=..., ...) -> started WsMosquitto; stopped at
    teardown, its log printed if the test failed."""
    yield from _factory(WsMosquitto, tmp_path, request, "mosquitto")


@pytest.fixture
def ws_broker(ws_mosquitto):
    """An anonymous broker with a WebSocket listener."""
    return ws_mosquitto()
