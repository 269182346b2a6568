"""A private Mosquitto for one benchmark run: free loopback port, temp config.

Queue limits are lifted (max_queued_messages/bytes 0) so that a subscriber
that reads slower than the publisher writes never has QoS 0 messages dropped:
the receive benchmarks pre-load the broker with every message first.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    def __init__(self):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="umqtt-bench-")
        conf = os.path.join(self.dir, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write(
                "listener %d 127.0.0.1\n"
                "allow_anonymous true\n"
                "persistence false\n"
                "max_queued_messages 0\n"
                "max_queued_bytes 0\n"
                "max_inflight_messages 0\n"
                "log_dest none\n" % self.port
            )
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.log = open(os.path.join(self.dir, "stderr.log"), "w+")
        self.proc = subprocess.Popen(
            [exe, "-c", conf], stdout=subprocess.DEVNULL, stderr=self.log
        )
        deadline = time.monotonic() + 10
        while True:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise RuntimeError("mosquitto exited: " + self.log.read())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.close()
                    raise RuntimeError("mosquitto did not listen on port %d" % self.port)
                time.sleep(0.05)

    def pid(self):
        return self.proc.pid

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
