#!/usr/bin/env python3
"""Bridge benchmark (docs/benchmarks.md "Bridge"): a real Dovecot upstream, the real pushmaild.

latency: one Dovecot user bridged to one pushmaild account. For each message delivered to Dovecot
  over LMTP, the time from LMTP's 250 to (a) the `* N EXISTS` seen by a plain IMAP IDLE client
  of Dovecot itself and (b) the StateChange seen by a JMAP EventSource client of pushmaild.
  (a) is what Dovecot adds (it delays IDLE notifications); (b) - (a) is what the bridge adds.
memory: N Dovecot users bridged to N pushmaild accounts; pushmaild's RSS with the bridges in
  sync and idle, minus its RSS with the same accounts and no bridges, divided by N.

Reports figures; asserts no time. Every wait is bounded.
"""
import argparse
import base64
import http.client
import os
import queue
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests"))
from dovecot import Dovecot  # noqa: E402
from harness import Server  # noqa: E402

WAIT = 60


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def wait_log(server, text, count=1, timeout=600):
    deadline = time.monotonic() + timeout
    while server.log().count(text) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {server.log().count(text)} of {count} '{text}'")
        time.sleep(0.2)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def trimmed_rss_kib(pid):
    """RSS after glibc returned its free pages (malloc_trim through gdb): live memory, without
    what the allocator keeps from earlier peaks. None without gdb."""
    if not shutil.which("gdb"):
        return None
    subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", "call (int) malloc_trim(0)"],
                   capture_output=True, timeout=120)
    return rss_kib(pid)


def heap_kib(server):
    """(heap in use, of which SQLite's) in KiB, asked of the live process through gdb:
    glibc's malloc_stats() (written to the server's log) and sqlite3_memory_used(). None
    without gdb."""
    if not shutil.which("gdb"):
        return None
    before = server.log().count("in use bytes")
    out = subprocess.run(["gdb", "-p", str(server.proc.pid), "-batch",
                          "-ex", "call (void) malloc_stats()",
                          "-ex", "print (long long) sqlite3_memory_used()"],
                         capture_output=True, timeout=120, text=True).stdout
    values = [l for l in out.splitlines() if l.startswith("$1 = ")]
    if not values:
        return None
    sqlite = int(values[0].split("=")[-1])
    lines = [l for l in server.log().splitlines() if "in use bytes" in l]
    if len(lines) <= before:
        return None
    in_use = int(lines[-1].split("=")[-1])  # the last one is the total of all arenas
    return in_use / 1024, sqlite / 1024


class IdleWatcher(threading.Thread):
    """A plain IMAP IDLE client of Dovecot: puts the time of each `* N EXISTS` on a queue."""

    def __init__(self, port, user, password):
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        self.file = self.sock.makefile("rb")
        self.file.readline()
        self.cmd(f"a LOGIN {user} {password}", "a ")
        self.cmd("b SELECT INBOX", "b ")
        self.sock.sendall(b"c IDLE\r\n")
        self.file.readline()  # + idling
        self.events = queue.Queue()

    def cmd(self, line, tag):
        self.sock.sendall(line.encode() + b"\r\n")
        while not self.file.readline().decode().startswith(tag):
            pass

    def run(self):
        for line in self.file:
            if line.rstrip().endswith(b"EXISTS"):
                self.events.put(time.monotonic())


class PushWatcher(threading.Thread):
    """A JMAP EventSource client of pushmaild: puts the time of each state event on a queue."""

    def __init__(self, server, user, password):
        super().__init__(daemon=True)
        context = ssl.create_default_context(cafile=server.data + "/tls/cert.pem")
        self.conn = http.client.HTTPSConnection("127.0.0.1", server.ports["http"], timeout=3600,
                                                context=context)
        auth = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.conn.request("GET", "/jmap/eventsource/?types=Email&closeafter=no&ping=0",
                          headers={"Authorization": "Basic " + auth,
                                   "Accept": "text/event-stream"})
        self.stream = self.conn.getresponse()
        self.events = queue.Queue()
        self.first = threading.Event()

    def run(self):
        for line in self.stream:
            if line.startswith(b"event: state"):
                if not self.first.is_set():
                    self.first.set()  # the initial state, not a change
                    continue
                self.events.put(time.monotonic())


def latency(args):
    dovecot = Dovecot({"u1": "secret1"}).start()
    server = Server(listeners=("http",))
    try:
        server.add_user("alice@example.test", "alice-pw")
        server.admin("bridge", "add", "alice@example.test", "--upstream",
                     f"imap://127.0.0.1:{dovecot.imap_port}", "--user", "u1", "--password-stdin",
                     input=b"secret1\n")
        server.start()
        wait_log(server, "in sync")
        idle = IdleWatcher(dovecot.imap_port, "u1", "secret1")
        idle.start()
        push = PushWatcher(server, "alice@example.test", "alice-pw")
        push.start()
        push.first.wait(WAIT)
        to_idle, to_push, added = [], [], []
        for i in range(args.messages):
            dovecot.deliver("u1", f"latency {i}")
            t250 = time.monotonic()
            t_idle = idle.events.get(timeout=WAIT)
            t_push = push.events.get(timeout=WAIT)
            # A commit may be pushed as more than one event; take the first, drop the rest.
            while not push.events.empty():
                push.events.get_nowait()
            to_idle.append((t_idle - t250) * 1000)
            to_push.append((t_push - t250) * 1000)
            added.append((t_push - t_idle) * 1000)
        print(f"latency, {args.messages} messages, one at a time (ms):")
        for name, v in (("LMTP 250 -> Dovecot IDLE EXISTS", to_idle),
                        ("LMTP 250 -> pushmaild StateChange", to_push),
                        ("bridge adds (StateChange - EXISTS)", added)):
            print(f"  {name:38s} p50 {pct(v, 50):7.1f}  p99 {pct(v, 99):7.1f}  "
                  f"max {max(v):7.1f}")
    finally:
        server.cleanup()
        dovecot.cleanup()


def memory(args):
    n = args.accounts
    users = {f"u{i}": f"pw{i}" for i in range(n)}
    dovecot = Dovecot(users)
    with open(dovecot.conf, "a") as f:
        f.write("default_process_limit = %d\ndefault_client_limit = %d\n"
                "mail_max_userip_connections = 100\n" % (n + 200, 4 * n + 1000))
    dovecot.start()
    server = Server(listeners=("http",))
    try:
        # One message in each upstream INBOX.
        import smtplib
        with smtplib.LMTP("127.0.0.1", dovecot.lmtp_port, timeout=600) as c:
            for user in users:
                c.sendmail("carol@elsewhere.test", [user],
                           b"Subject: hello\r\nFrom: carol@elsewhere.test\r\n\r\nhi\r\n")
        locals_ = [f"b{i}@example.test" for i in range(n)]
        server.admin("user", "add", *locals_, "--password-stdin", "--hash-cost", "minimum",
                     input=b"pw\n")
        server.start()
        time.sleep(args.settle)
        without = rss_kib(server.proc.pid)
        without_trimmed = trimmed_rss_kib(server.proc.pid)
        without_heap = heap_kib(server)
        server.stop()
        for i in range(n):
            server.admin("bridge", "add", locals_[i], "--upstream",
                         f"imap://127.0.0.1:{dovecot.imap_port}", "--user", f"u{i}",
                         "--password-stdin", input=f"pw{i}\n".encode())
        started = time.monotonic()
        server.start()
        wait_log(server, "in sync", count=n)
        synced = time.monotonic() - started
        time.sleep(args.settle)
        with_bridges = rss_kib(server.proc.pid)
        threads = len(os.listdir(f"/proc/{server.proc.pid}/task"))
        per = (with_bridges - without) * 1024 / n
        print(f"memory, {n} bridged accounts (each upstream INBOX with one message):")
        print(f"  pushmaild RSS without bridges {without / 1024:.1f} MiB, with {n} bridges in "
              f"sync and idle {with_bridges / 1024:.1f} MiB ({threads} threads)")
        print(f"  per bridged account: {per / 1024:.1f} KiB (RSS delta / {n}); "
              f"all {n} in sync {synced:.1f} s after start")
        # Again after a restart: every account is in sync already, so this is the cost of the
        # idle sessions without what the first sync left behind in the allocator and caches.
        server.stop()
        server.start()
        wait_log(server, "in sync", count=2 * n)
        time.sleep(args.settle)
        again = rss_kib(server.proc.pid)
        print(f"  after a restart (nothing to sync): {again / 1024:.1f} MiB, per bridged account "
              f"{(again - without) / n:.1f} KiB")
        again_trimmed = trimmed_rss_kib(server.proc.pid)
        if again_trimmed is not None:
            print(f"  the same after malloc_trim: {again_trimmed / 1024:.1f} MiB (without bridges "
                  f"{without_trimmed / 1024:.1f} MiB), per bridged account "
                  f"{(again_trimmed - without_trimmed) / n:.1f} KiB")
        heap = heap_kib(server)
        if heap and without_heap:
            own = (heap[0] - heap[1]) - (without_heap[0] - without_heap[1])
            print(f"  heap in use {heap[0] / 1024:.1f} MiB, of which SQLite {heap[1] / 1024:.1f} "
                  f"MiB (without bridges {without_heap[0] / 1024:.1f} / "
                  f"{without_heap[1] / 1024:.1f} MiB): outside SQLite, per bridged account "
                  f"{own / n:.2f} KiB")
        failed = server.log().count("upstream connection ended")
        print(f"  reconnects during the run: {failed}")
    finally:
        server.cleanup()
        dovecot.cleanup()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--server", help="pushmaild binary (default: build/bin/pushmaild)")
    p.add_argument("--messages", type=int, default=200)
    p.add_argument("--accounts", type=int, default=1000)
    p.add_argument("--settle", type=float, default=3.0, help="seconds before reading RSS")
    p.add_argument("--only", choices=("latency", "memory"))
    args = p.parse_args()
    if args.server:
        import harness
        harness.PUSHMAILD = args.server
    if args.only != "memory":
        latency(args)
    if args.only != "latency":
        memory(args)


if __name__ == "__main__":
    main()
