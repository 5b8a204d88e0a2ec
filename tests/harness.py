"""Starts the real pushmaild in a temporary folder and talks to it like a client would.

Every server listens on 127.0.0.1 port 0; the ports come from its `listening NAME HOST:PORT`
lines. Servers are stopped by PID at the end of each test, and their folders removed.
"""
import json
import os
import select
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

PUSHMAILD = os.environ.get("PUSHMAILD", os.path.join(os.path.dirname(__file__), "..", "build",
                                                     "bin", "pushmaild"))
DOMAIN = "example.test"
START_TIMEOUT = 20


class Server:
    def __init__(self, data=None, listeners=("smtp", "submission"), extra=(), config=None):
        self.owns_data = data is None
        self.fixed_ports = {}  # listener name -> port to listen on instead of a free one
        self.data = data or tempfile.mkdtemp(prefix="pushmail-test-")
        self.listeners = listeners
        self.extra = list(extra)
        self.config = config
        self.proc = None
        self.ports = {}
        self.log_path = os.path.join(self.data, "server.log")

    def start(self):
        args = [PUSHMAILD, "serve", "--data", self.data, "--domain", DOMAIN, "--log-level", "debug"]
        if self.config:
            path = os.path.join(self.data, "config.toml")
            with open(path, "w") as f:
                f.write(self.config)
            args += ["--config", path]
        for name in self.listeners:
            args += ["--" + name, f"127.0.0.1:{self.fixed_ports.get(name, 0)}"]
        args += self.extra
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()  # the previous run's pipe
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log)
        log.close()
        self.ports = {}
        deadline = time.monotonic() + START_TIMEOUT
        buffered = b""
        while len(self.ports) < len(self.listeners):
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                raise RuntimeError("pushmaild did not start:\n" + self.log())
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                continue
            buffered += chunk
            while b"\n" in buffered:
                line, buffered = buffered.split(b"\n", 1)
                parts = line.decode().split()
                if len(parts) == 3 and parts[0] == "listening":
                    self.ports[parts[1]] = int(parts[2].rsplit(":", 1)[1])
        return self

    def log(self):
        return read_log(self.log_path)

    def stop(self, timeout=30):
        """SIGTERM, then waits; returns the exit code."""
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def cleanup(self):
        self.kill()
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        if self.owns_data:
            shutil.rmtree(self.data, ignore_errors=True)

    def admin(self, *args, input=None, check=True):
        result = subprocess.run([PUSHMAILD, *args, "--data", self.data], input=input,
                                capture_output=True, timeout=60)
        if check and result.returncode != 0:
            raise RuntimeError(f"pushmaild {' '.join(args)} failed: {result.stderr.decode()}")
        return result

    def add_user(self, email, password):
        self.admin("user", "add", email, "--password-stdin", input=(password + "\n").encode())

    def export(self, email, mailbox=None):
        args = ["export", email] + (["--mailbox", mailbox] if mailbox else [])
        return self.admin(*args).stdout


def read_log(path):
    """A log file's text so far; "" while there is none."""
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def mbox_messages(mbox):
    """Splits an mboxrd export into message byte strings (unquoted)."""
    messages = []
    for entry in mbox.split(b"\nFrom ")[0:]:
        if not entry:
            continue
        body = entry.split(b"\n", 1)[1] if b"\n" in entry else b""
        if body.endswith(b"\n"):
            body = body[:-1]
        lines = body.split(b"\n")
        out = []
        for line in lines:
            stripped = line.lstrip(b">")
            if line.startswith(b">") and stripped.startswith(b"From "):
                line = line[1:]
            out.append(line)
        messages.append(b"\n".join(out))
    return messages


class RawSmtp:
    """A line-level SMTP client over a plain socket, for what smtplib will not send."""

    def __init__(self, port, host="127.0.0.1", timeout=15):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def reply(self):
        """Reads one (possibly multi-line) reply; returns (code, text)."""
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed; got " + repr(self.buf))
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line.decode(errors="replace"))
            if len(line) < 4 or line[3:4] != b"-":
                return int(line[:3]), "\n".join(lines)

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def starttls(self):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        self.sock = context.wrap_socket(self.sock)

    def closed(self, timeout=5):
        """True when the server has closed the connection."""
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except (ConnectionResetError, ssl.SSLError):
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


class ServerTest(unittest.TestCase):
    """A test case with a fresh server and the users alice@ and bob@ (passwords 'alice-pw',
    'bob-pw')."""

    server_args = {}

    def setUp(self):
        self.server = Server(**self.server_args)
        self.server.add_user("alice@" + DOMAIN, "alice-pw")
        self.server.add_user("bob@" + DOMAIN, "bob-pw")
        self.server.start()
        self.addCleanup(self.server.cleanup)

    def port(self, name="smtp"):
        return self.server.ports[name]

    # EventSource (RFC 8620 7.3), for the push tests.
    @staticmethod
    def next_event(stream):
        """Reads one event; returns (name, data) or None at the end of the stream."""
        name, data = None, []
        while True:
            line = stream.readline()
            if not line:
                return None
            line = line.decode().rstrip("\n")
            if line == "":
                if name or data:
                    return name, "\n".join(data)
                continue
            field, _, value = line.partition(": ")
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)

    def next_state(self, stream):
        while True:
            event = self.next_event(stream)
            self.assertIsNotNone(event, "the stream ended")
            if event[0] == "state":
                return json.loads(event[1])
