"""Runs a real Dovecot (Debian's dovecot-imapd and dovecot-lmtpd) as a legacy upstream server for
the bridge's tests: a temporary config with passwd-file users and maildirs in a temporary
folder, IMAP and LMTP on free loopback ports.

As root, Dovecot runs its internal and login processes as Debian's `dovecot` and `dovenull`
users and the mail processes as `nobody`; as any other user, everything runs as that user.
"""
import getpass
import grp
import imaplib
import os
import pwd
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import time

from harness import read_log

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
FOLDERS = """namespace inbox {
  inbox = yes
  mailbox Sent {
    special_use = \\Sent
    auto = create
  }
  mailbox Drafts {
    special_use = \\Drafts
    auto = create
  }
  mailbox Archive {
    auto = create
  }
}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dovecot:
    def __init__(self, users, extra_config="", tls=False, folders=False):
        """users: {name: password}; extra_config: appended to dovecot.conf; tls: a self-signed
        certificate for 127.0.0.1 (self.cert, also its CA) and ssl = required, with an imaps
        listener on self.imaps_port; folders: each user has Sent, Drafts (special-use) and
        Archive besides INBOX."""
        self.dir = tempfile.mkdtemp(prefix="pushmail-dovecot-")
        os.chmod(self.dir, 0o755)  # the mail user must reach its home below it
        self.users = dict(users)
        self.imap_port = free_port()
        self.lmtp_port = free_port()
        self.imaps_port = free_port() if tls else 0
        self.cert = os.path.join(self.dir, "cert.pem") if tls else None
        if tls:
            key = os.path.join(self.dir, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
                            "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                            "-keyout", key, "-out", self.cert], check=True, timeout=30,
                           capture_output=True)
        self.conf = os.path.join(self.dir, "dovecot.conf")
        self.log_path = os.path.join(self.dir, "dovecot.log")
        self._write_config(tls, folders)
        with open(self.conf, "a") as f:
            f.write(extra_config)

    def _write_config(self, tls, folders):
        home = os.path.join(self.dir, "home")
        os.makedirs(home)
        with open(os.path.join(self.dir, "passwd"), "w") as f:
            for user, password in self.users.items():
                f.write(f"{user}:{{PLAIN}}{password}::::::\n")
        if os.geteuid() == 0:
            internal, login, mail_user = "dovecot", "dovenull", "nobody"
            mail = pwd.getpwnam(mail_user)
            os.chown(home, mail.pw_uid, mail.pw_gid)
            privileged = ""
        else:
            internal = login = mail_user = getpass.getuser()
            mail = pwd.getpwnam(mail_user)
            # No chroot and no chown without root: every socket belongs to this user's group.
            privileged = (f"default_internal_group = {grp.getgrgid(mail.pw_gid).gr_name}\n"
                          "service anvil {\n  chroot =\n}\n"
                          "service imap-login {\n  chroot =\n}\n")
        d = self.dir
        with open(self.conf, "w") as f:
            f.write(f"""base_dir = {d}/run
state_dir = {d}/state
instance_name = pushmail-test-{os.path.basename(d)}
log_path = {self.log_path}
protocols = imap lmtp
listen = 127.0.0.1
{"ssl = required" if tls else "ssl = no"}
{f"ssl_cert = <{d}/cert.pem" if tls else ""}
{f"ssl_key = <{d}/key.pem" if tls else ""}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%n {d}/passwd
}}
userdb {{
  driver = static
  args = uid={mail.pw_uid} gid={mail.pw_gid} home={d}/home/%n
}}
mail_location = maildir:~/Maildir
{FOLDERS if folders else ''}service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.imaps_port}
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {self.lmtp_port}
  }}
}}
{privileged}""")

    def start(self, timeout=20):
        subprocess.run([DOVECOT, "-c", self.conf], check=True, timeout=30)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.imap_port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("dovecot did not start:\n" + self.log())

    def master_pid(self):
        try:
            with open(os.path.join(self.dir, "run", "master.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def stop(self, timeout=20):
        pid = self.master_pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        # The listeners are closed once the master is gone.
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.imap_port), timeout=1).close()
                time.sleep(0.05)
            except OSError:
                return

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self):
        return read_log(self.log_path)

    def deliver(self, user, subject, body="hello"):
        """Delivers over LMTP; returns when Dovecot has said 250 (the message is stored)."""
        msg = (f"From: Carol <carol@elsewhere.test>\r\nTo: {user}@dovecot.test\r\n"
               f"Subject: {subject}\r\nMessage-ID: <{subject.replace(' ', '.')}@dovecot.test>\r\n"
               f"\r\n{body}\r\n")
        with smtplib.LMTP("127.0.0.1", self.lmtp_port, timeout=15) as c:
            refused = c.sendmail("carol@elsewhere.test", [user], msg.encode())
        if refused:
            raise RuntimeError(f"LMTP refused: {refused}")

    def imap(self, user):
        c = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=15)
        c.login(user, self.users[user])
        return c
