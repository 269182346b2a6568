"""rumqttd (crates.io, built by scripts/setup_rumqttd.sh): the second broker that speaks
MQTT 5, started per test on a free loopback port from a temporary config."""

import subprocess

from harness.broker import HOST, BrokerProcess, free_port, wait_port
from harness.runtimes import REPO

EXE = REPO / "tests" / ".cache" / "rumqttd" / "bin" / "rumqttd"

CONFIG = """id = 0
[router]
id = 0
max_connections = 100
max_outgoing_packet_count = 200
max_segment_size = 10485760
max_segment_count = 10

[v5.1]
name = "v5-1"
listen = "%s:%d"
next_connection_delay_ms = 1
    [v5.1.connections]
    connection_timeout_ms = 60000
    max_payload_size = 20480
    max_inflight_count = 100
"""


class Rumqttd(BrokerProcess):
    """One rumqttd with an MQTT 5 listener only; in memory, anonymous. It refuses
    keepalive 0 (ZeroKeepAlive), so its clients set one."""

    def __init__(self, directory):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.host = HOST
        self.port = free_port()
        self.conf_path = self.dir / "rumqttd.toml"
        self.log_path = self.dir / "rumqttd.log"

    def start(self, timeout_s=15):
        if not EXE.exists():
            raise RuntimeError("rumqttd is not installed: run scripts/setup_rumqttd.sh")
        self.conf_path.write_text(CONFIG % (self.host, self.port))
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([str(EXE), "-q", "-v", "-c", str(self.conf_path)],
                                     stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        if not wait_port(self.port, timeout_s, self.proc):
            log = self.log()
            self.stop()
            raise RuntimeError("rumqttd did not start:\n%s" % log)
        return self
