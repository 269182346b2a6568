"""Mosquitto brokers started per test on a free loopback port, and test certificates.

Nothing here relies on a broker that happens to be running: every broker is started
from a temporary config, waited for, and killed at teardown."""

import contextlib
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

HOST = "127.0.0.1"


def free_port():
    """A loopback TCP port that is free right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class SilentListener:
    """A loopback listener whose accept queue is full, so the kernel drops
    further SYNs: a connect to (host, port) gets no answer until the client
    gives up. A context manager."""

    def __init__(self):
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(0)
        self.host, self.port = self.srv.getsockname()
        self.fillers = []
        for _ in range(2):
            s = socket.socket()
            s.settimeout(0.3)
            try:
                s.connect((self.host, self.port))
            except OSError:
                pass
            self.fillers.append(s)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for s in self.fillers + [self.srv]:
            s.close()


def wait_port(port, deadline_s, proc=None):
    """Wait until HOST:port accepts a TCP connection; False if the deadline passes or
    `proc` exits first."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def _run(cmd, cwd):
    subprocess.run(cmd, cwd=cwd, check=True, timeout=60,
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def dynsec_plugin():
    """Path of Mosquitto's dynamic-security plugin, or None."""
    for pattern in ("/usr/lib/*/mosquitto_dynamic_security.so",
                    "/usr/lib/mosquitto_dynamic_security.so",
                    "/usr/local/lib/mosquitto_dynamic_security.so"):
        found = sorted(glob.glob(pattern))
        if found:
            return found[0]
    return None


class Certs:
    """A CA, a server certificate signed by it (SAN IP:127.0.0.1, DNS:localhost) and an
    unrelated CA, made with the openssl command line."""

    def __init__(self, directory):
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        self.dir = d
        self.ca_pem = d / "ca.pem"
        self.ca_der = d / "ca.der"
        self.server_pem = d / "server.pem"
        self.server_key = d / "server.key"
        self.wrong_ca_pem = d / "wrong-ca.pem"
        self.wrong_ca_der = d / "wrong-ca.der"
        self._make_ca("ca", "umqtt-rs test CA")
        self._make_ca("wrong-ca", "umqtt-rs unrelated CA")
        ext = d / "server.ext"
        ext.write_text(
            "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
            "basicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature,keyEncipherment\n"
            "extendedKeyUsage=serverAuth\n"
            "subjectKeyIdentifier=hash\n"
            "authorityKeyIdentifier=keyid,issuer\n")
        _run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key",
              "-out", "server.csr", "-subj", "/CN=localhost"], d)
        _run(["openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
              "-set_serial", "4242", "-days", "2", "-sha256", "-extfile", "server.ext",
              "-out", "server.pem"], d)

    def _make_ca(self, name, cn):
        _run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256",
              "-keyout", name + ".key", "-out", name + ".pem", "-days", "2", "-subj", "/CN=" + cn,
              "-addext", "basicConstraints=critical,CA:TRUE",
              "-addext", "keyUsage=critical,keyCertSign,cRLSign"], self.dir)
        _run(["openssl", "x509", "-in", name + ".pem", "-outform", "DER", "-out", name + ".der"],
             self.dir)


class BrokerProcess:
    """A broker other than Mosquitto run as a child process with its output in
    `log_path` (`proc` and `_log` set by the subclass's start())."""

    proc = None
    _log = None

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


class Mosquitto:
    """One mosquitto process with its own config directory.

    users: {name: password} -> password file (mosquitto_passwd -b), anonymous off
           unless anonymous=True is given too.
    acl:   text of an ACL file (mosquitto acl_file syntax). Mosquitto 2.0's acl_file
           never refuses a SUBSCRIBE (it filters at delivery), so:
    deny_subscribe: topic patterns whose subscription the broker refuses (SUBACK 0x80),
           through Mosquitto's dynamic-security plugin, applied to anonymous clients.
    certs: a Certs -> an extra TLS listener on self.tls_port.
    persistence: on/off (location inside the temporary directory)."""

    def __init__(self, directory, users=None, acl=None, certs=None, persistence=False,
                 anonymous=None, deny_subscribe=None, extra=""):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.host = HOST
        self.port = free_port()
        self.tls_port = free_port() if certs is not None else None
        self.certs = certs
        self.users = dict(users or {})
        self.persistence = persistence
        self.extra = extra
        if anonymous is None:
            anonymous = not self.users
        self.anonymous = anonymous
        self.acl = acl
        self.deny_subscribe = list(deny_subscribe or [])
        self.log_path = self.dir / "mosquitto.log"
        self.conf_path = self.dir / "mosquitto.conf"
        self.proc = None
        self._log = None

    def _config(self):
        lines = [
            "per_listener_settings false",
            "allow_anonymous %s" % ("true" if self.anonymous else "false"),
            "log_dest stderr",
            "log_type all",
            "connection_messages true",
            "log_timestamp true",
            "persistence %s" % ("true" if self.persistence else "false"),
            "persistence_location %s/" % self.dir,
        ]
        # Run as root, mosquitto drops to user 'mosquitto', who cannot read the test's
        # private temporary directory: stay the current user instead.
        if os.geteuid() == 0:
            lines.append("user root")
        if self.users:
            pw = self.dir / "passwd"
            pw.write_text("")
            for name, password in self.users.items():
                _run(["mosquitto_passwd", "-b", str(pw), name, password], self.dir)
            lines.append("password_file %s" % pw)
        if self.acl is not None:
            acl = self.dir / "acl"
            acl.write_text(self.acl)
            lines.append("acl_file %s" % acl)
        if self.deny_subscribe:
            lines += self._dynsec()
        lines.append("listener %d %s" % (self.port, HOST))
        if self.certs is not None:
            lines += [
                "listener %d %s" % (self.tls_port, HOST),
                "cafile %s" % self.certs.ca_pem,
                "certfile %s" % self.certs.server_pem,
                "keyfile %s" % self.certs.server_key,
            ]
        if self.extra:
            lines.append(self.extra)
        return "\n".join(lines) + "\n"

    def _dynsec(self):
        plugin = dynsec_plugin()
        if plugin is None:
            raise RuntimeError("mosquitto_dynamic_security.so not found (Debian package mosquitto)")
        roles = [{"rolename": "limited", "acls": [
            {"acltype": "subscribePattern", "topic": t, "priority": 0, "allow": False}
            for t in self.deny_subscribe]}]
        conf = {
            "defaultACLAccess": {"publishClientSend": True, "publishClientReceive": True,
                                 "subscribe": True, "unsubscribe": True},
            "clients": [],
            "groups": [{"groupname": "anonymous", "roles": [{"rolename": "limited"}],
                        "clients": []}],
            "roles": roles,
            "anonymousGroup": "anonymous",
        }
        path = self.dir / "dynsec.json"
        path.write_text(json.dumps(conf, indent=1))
        return ["plugin %s" % plugin, "plugin_opt_config_file %s" % path]

    def start(self, timeout_s=10):
        self.conf_path.write_text(self._config())
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([exe, "-c", str(self.conf_path)], stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        ports = [self.port] + ([self.tls_port] if self.tls_port else [])
        for p in ports:
            if not wait_port(p, timeout_s, self.proc):
                log = self.log()
                self.stop()
                raise RuntimeError("mosquitto did not start listening on %d:\n%s" % (p, log))
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self):
        """Stop and start again on the same ports (persistence tests)."""
        self.stop()
        return self.start()

    @contextlib.contextmanager
    def frozen(self):
        """SIGSTOP the broker for the block: a dead broker whose sockets stay open."""
        self.proc.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            self.proc.send_signal(signal.SIGCONT)

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_count(self, text):
        return self.log().count(text)
