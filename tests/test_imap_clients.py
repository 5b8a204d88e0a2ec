"""The IMAP server against real mail clients from Debian: mbsync (isync), fetchmail, and
neomutt driven through tmux.

Each test starts its own server on 127.0.0.1, writes the client's configuration into a
temporary folder (also the client's HOME), and bounds every wait with a deadline. A test is
skipped only when its client binary is missing; scripts/install-deps installs all of them.
"""
import email
import email.policy
import glob
import imaplib
import os
import re
import shlex
import shutil
import smtplib
import subprocess
import tempfile
import time
import unittest

from harness import DOMAIN, ServerTest

ALICE = "alice@" + DOMAIN
BOB = "bob@" + DOMAIN
CLIENT_TIMEOUT = 60  # one run of a client (seconds)
WAIT = 20            # for something to show up on a screen or in a file


def message(subject, body=None):
    body = body if body is not None else f"body of {subject}\r\n"
    return (f"From: Bob <{BOB}>\r\nTo: {ALICE}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject.replace(' ', '.')}@test>\r\n\r\n{body}")


def wait_for(predicate, timeout=WAIT, interval=0.1):
    """Polls predicate until it returns something truthy; returns that, or None at the
    deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def tail(text, lines=60):
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return "\n".join(text.splitlines()[-lines:])


class ClientTest(ServerTest):
    server_args = {"listeners": ("smtp", "imap")}

    def setUp(self):
        super().setUp()
        self.home = tempfile.mkdtemp(prefix="pushmail-client-")
        os.chmod(self.home, 0o700)
        self.addCleanup(shutil.rmtree, self.home, True)

    def require(self, binary):
        if shutil.which(binary) is None:
            self.skipTest(f"{binary} is not installed (scripts/install-deps installs it)")

    def env(self):
        env = dict(os.environ)
        env.update(HOME=self.home, LC_ALL="C.UTF-8", LANG="C.UTF-8")
        env.pop("MAIL", None)
        return env

    def path(self, *parts):
        return os.path.join(self.home, *parts)

    def write(self, name, text, mode=0o600):
        path = self.path(name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def deliver(self, subject, body=None, to=ALICE):
        with smtplib.SMTP("127.0.0.1", self.port("smtp"), timeout=15) as c:
            c.sendmail(BOB, [to], message(subject, body).encode())

    def imap(self, user=ALICE, password="alice-pw"):
        m = imaplib.IMAP4("127.0.0.1", self.port("imap"), timeout=15)
        m.login(user, password)
        self.addCleanup(self._logout, m)
        return m

    @staticmethod
    def _logout(m):
        try:
            m.logout()
        except (imaplib.IMAP4.error, OSError):
            pass

    def server_flags(self):
        """{subject: set of flags} for alice's INBOX, read over a fresh IMAP session."""
        m = imaplib.IMAP4("127.0.0.1", self.port("imap"), timeout=15)
        try:
            m.login(ALICE, "alice-pw")
            typ, data = m.select("INBOX", readonly=True)
            self.assertEqual(typ, "OK", data)
            if data == [b"0"]:
                return {}
            # One FETCH for flags and subject: between two, neomutt may expunge a message.
            typ, data = m.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            self.assertEqual(typ, "OK", data)
            result, subject, prefix = {}, None, b""
            for item in data:  # (b"n (UID u FLAGS (..) BODY[..] {k}", literal), then b")"
                if isinstance(item, tuple):
                    prefix, subject = item[0], item[1].decode().split(":", 1)[1].strip()
                    continue
                found = re.search(rb"FLAGS \(([^)]*)\)", prefix + item)
                if subject is not None and found:
                    result[subject] = set(found[1].decode().split())
                subject, prefix = None, b""
            return result
        finally:
            self._logout(m)


class MbsyncTest(ClientTest):
    tls = "None"        # mbsync's SSLType/TLSType
    auth = "LOGIN"      # mbsync's AuthMechs

    def rc(self, maildir):
        version = subprocess.run(["mbsync", "--version"], capture_output=True,
                                 text=True).stdout
        match = re.search(r"(\d+)\.(\d+)", version)
        # isync 1.5 renamed SSLType to TLSType
        tls_key = "TLSType" if match and (int(match[1]), int(match[2])) >= (1, 5) else "SSLType"
        return self.write("mbsyncrc", f"""\
IMAPAccount alice
Host 127.0.0.1
Port {self.port('imap')}
User {ALICE}
Pass alice-pw
{tls_key} {self.tls}
AuthMechs {self.auth}
CertificateFile {os.path.join(self.server.data, "tls", "cert.pem")}

IMAPStore remote
Account alice

MaildirStore local
Path {maildir}/
Inbox {maildir}/INBOX

Channel inbox
Far :remote:INBOX
Near :local:INBOX
Sync All
Create Near
Expunge Both
SyncState *
""")

    def mbsync(self, rc):
        result = subprocess.run(["mbsync", "-D", "-c", rc, "-a"], capture_output=True,
                                env=self.env(), timeout=CLIENT_TIMEOUT)
        self.assertEqual(result.returncode, 0,
                         "mbsync failed:\n" + tail(result.stdout + result.stderr, 80))
        return result

    def local(self, inbox):
        """{subject: (path, maildir flags)} of the messages in the local INBOX."""
        found = {}
        for path in glob.glob(os.path.join(inbox, "cur", "*")) + \
                glob.glob(os.path.join(inbox, "new", "*")):
            with open(path, "rb") as f:
                msg = email.message_from_binary_file(f, policy=email.policy.default)
            flags = path.rsplit(":2,", 1)[1] if ":2," in path else ""
            found[str(msg["Subject"])] = (path, flags)
        return found

    def test_mbsync_pulls_pushes_flags_and_expunges(self):
        self.require("mbsync")
        for i in range(1, 4):
            self.deliver(f"mbsync {i}")
        maildir = self.path("Mail")
        os.mkdir(maildir)  # the store's root; `Create Near` makes the INBOX under it
        inbox = os.path.join(maildir, "INBOX")
        rc = self.rc(maildir)

        # 1. Pull: three new messages land in the Maildir, bodies intact.
        result = self.mbsync(rc)
        exchange = result.stdout + result.stderr
        if self.tls == "STARTTLS":
            self.assertIn(b">>> 1 STARTTLS", exchange)
        self.assertIn(b"AUTHENTICATE PLAIN" if self.auth == "PLAIN" else b"LOGIN", exchange)
        local = self.local(inbox)
        self.assertEqual(sorted(local), ["mbsync 1", "mbsync 2", "mbsync 3"])
        with open(local["mbsync 2"][0], "rb") as f:
            self.assertIn(b"body of mbsync 2", f.read())
        self.assertTrue(all(flags == "" for _, flags in local.values()), local)

        # 2. Push flags: mark one seen + flagged and one trashed locally.
        path, _ = local["mbsync 1"]
        base = os.path.basename(path).rsplit(":2,", 1)[0]
        os.rename(path, os.path.join(inbox, "cur", base + ":2,FS"))
        path, _ = local["mbsync 3"]
        base = os.path.basename(path).rsplit(":2,", 1)[0]
        os.rename(path, os.path.join(inbox, "cur", base + ":2,T"))
        self.mbsync(rc)
        flags = self.server_flags()
        self.assertEqual(sorted(flags), ["mbsync 1", "mbsync 2"])  # 3 expunged (Expunge Both)
        self.assertEqual(flags["mbsync 1"], {"\\Seen", "\\Flagged"})
        self.assertEqual(flags["mbsync 2"], set())
        self.assertEqual(sorted(self.local(inbox)), ["mbsync 1", "mbsync 2"])

        # 3. Server-side changes come back: a new message, a flag, an expunge.
        self.deliver("mbsync 4")
        m = self.imap()
        m.select("INBOX")
        self.assertEqual(m.uid("STORE", "2", "+FLAGS", "(\\Answered)")[0], "OK")
        self.assertEqual(m.uid("STORE", "1", "+FLAGS", "(\\Deleted)")[0], "OK")
        self.assertEqual(m.expunge()[0], "OK")
        self.mbsync(rc)
        local = self.local(inbox)
        self.assertEqual(sorted(local), ["mbsync 2", "mbsync 4"])
        self.assertEqual(local["mbsync 2"][1], "R")
        self.assertEqual(local["mbsync 4"][1], "")

        # 4. Push a message written locally: mbsync APPENDs it (UIDPLUS).
        with open(os.path.join(inbox, "new", "1.local:2,S"), "wb") as f:
            f.write(f"From: {ALICE}\nTo: {BOB}\nSubject: mbsync local\n\nwritten here\n".encode())
        result = self.mbsync(rc)
        out = result.stdout + result.stderr
        flags = self.server_flags()
        self.assertEqual(flags.get("mbsync local"), {"\\Seen"}, tail(out))
        self.assertEqual(sorted(self.local(inbox)), ["mbsync 2", "mbsync 4", "mbsync local"])


class MbsyncStarttlsTest(MbsyncTest):
    """The same sync over STARTTLS with SASL PLAIN; mbsync trusts the server's self-signed
    certificate because it is listed in CertificateFile."""
    tls = "STARTTLS"
    auth = "PLAIN"


class FetchmailTest(ClientTest):
    def rc(self, out, options=""):
        return self.write("fetchmailrc", f"""\
set no syslog
poll 127.0.0.1 service {self.port('imap')} protocol IMAP auth password
  user "{ALICE}" password "alice-pw"
  sslproto '' no sslcertck
  keep {options}
  mda "cat >> {out}"
""")

    def fetchmail_args(self, rc):
        return ["fetchmail", "-f", rc, "--nodetach", "-v", "-v",
                "-i", self.path("fetchids"), "--pidfile", self.path("fetchmail.pid")]

    def fetchmail(self, rc):
        return subprocess.run(self.fetchmail_args(rc), capture_output=True,
                              env=self.env(), timeout=CLIENT_TIMEOUT)

    @staticmethod
    def subjects(path):
        if not os.path.exists(path):
            return []
        with open(path, "rb") as f:
            return re.findall(rb"^Subject: (.*?)\r?$", f.read(), re.M)

    def test_fetchmail_fetches_unseen_and_keeps_them(self):
        self.require("fetchmail")
        for i in range(1, 4):
            self.deliver(f"fetchmail {i}")
        out = self.path("delivered")
        rc = self.rc(out)
        result = self.fetchmail(rc)
        log = tail(result.stdout + result.stderr, 80)
        self.assertEqual(result.returncode, 0, "fetchmail failed:\n" + log)  # 0: got mail
        self.assertEqual(self.subjects(out),
                         [b"fetchmail 1", b"fetchmail 2", b"fetchmail 3"], log)
        with open(out, "rb") as f:
            text = f.read()
        self.assertIn(b"body of fetchmail 2", text)
        # `keep`: still on the server, now \Seen
        self.assertEqual(self.server_flags(), {f"fetchmail {i}": {"\\Seen"} for i in (1, 2, 3)})

        # A second poll fetches only what is new (SEARCH UNSEEN).
        self.deliver("fetchmail 4")
        result = self.fetchmail(rc)
        log = tail(result.stdout + result.stderr, 80)
        self.assertEqual(result.returncode, 0, "fetchmail failed:\n" + log)
        self.assertEqual(self.subjects(out)[3:], [b"fetchmail 4"], log)
        # Nothing new: fetchmail's exit code 1 means "no mail".
        result = self.fetchmail(rc)
        self.assertEqual(result.returncode, 1, tail(result.stdout + result.stderr))
        self.assertEqual(len(self.subjects(out)), 4)

    def test_fetchmail_idle_gets_pushed_mail(self):
        self.require("fetchmail")
        self.deliver("before idle")
        out = self.path("delivered")
        log_path = self.path("fetchmail.log")
        rc = self.rc(out, options="idle")
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(self.fetchmail_args(rc), stdout=log,
                                    stderr=subprocess.STDOUT, env=self.env())
        self.addCleanup(self._stop, proc)

        def log_text():
            with open(log_path, "rb") as f:
                return f.read().decode(errors="replace")

        # First poll fetches what is there, then fetchmail sits in IDLE.
        entered_idle = re.compile(r"IMAP> A\d+ IDLE\n(?:.*\n)*?fetchmail: IMAP< \+")
        self.assertTrue(wait_for(lambda: self.subjects(out) == [b"before idle"] and
                                 entered_idle.search(log_text())),
                        "fetchmail did not fetch and IDLE:\n" + tail(log_text()))
        self.deliver("pushed during idle")
        self.assertTrue(wait_for(lambda: len(self.subjects(out)) == 2),
                        "the pushed message was not fetched:\n" + tail(log_text()))
        self.assertEqual(self.subjects(out), [b"before idle", b"pushed during idle"])
        text = log_text()
        # It was woken by the server's push, not by a timeout: EXISTS arrived inside IDLE.
        self.assertRegex(text, r"IMAP> A\d+ IDLE\nfetchmail: IMAP< \+ [^\n]*\n"
                               r"fetchmail: IMAP< \* 2 EXISTS\nfetchmail: IMAP> DONE\n")
        self.assertIsNone(proc.poll(), "fetchmail exited:\n" + tail(text))

    @staticmethod
    def _stop(proc):
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class FetchmailTlsTest(FetchmailTest):
    server_args = {"listeners": ("smtp", "imap", "imaps")}

    def rc(self, out, options=""):
        return self.write("fetchmailrc", f"""\
set no syslog
poll 127.0.0.1 service {self.port('imaps')} protocol IMAP auth password
  user "{ALICE}" password "alice-pw"
  ssl no sslcertck
  keep {options}
  mda "cat >> {out}"
""")

    # the two tests of FetchmailTest run again, over implicit TLS (the imaps listener)


class NeomuttTest(ClientTest):
    """neomutt in a detached tmux session (own tmux server on its own socket)."""

    def tmux(self, *args, check=True):
        result = subprocess.run(["tmux", "-S", self.socket, *args], capture_output=True,
                                env=self.env(), timeout=15)
        if check and result.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {result.stderr.decode()}")
        return result

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", self.session, check=False) \
            .stdout.decode(errors="replace")

    def wait_screen(self, pattern, what, timeout=WAIT):
        text = wait_for(lambda: re.search(pattern, self.screen(), re.M), timeout)
        self.assertTrue(text, f"{what}; screen:\n{self.screen()}\n"
                              f"neomutt log:\n{tail(self.debug_log())}")

    def debug_log(self):
        text = ""
        for path in sorted(glob.glob(self.path("neomutt.log*"))):
            with open(path, "rb") as f:
                text += f.read().decode(errors="replace")
        return text

    def protocol_lines(self):
        """The IMAP lines neomutt read and wrote, from its debug log (-d 5)."""
        return [line for line in self.debug_log().splitlines()
                if "mutt_socket_readln_d()" in line or "mutt_socket_write_d()" in line]

    def send_keys(self, *keys):
        self.tmux("send-keys", "-t", self.session, *keys)

    def _kill_tmux(self):
        self.tmux("kill-server", check=False)

    def test_neomutt_reads_and_sees_pushed_mail_without_keystrokes(self):
        self.require("neomutt")
        self.require("tmux")
        self.deliver("Neomutt first distinctive subject", body="first body line\r\n")
        muttrc = self.write("muttrc", f"""\
set folder="imap://alice%40example.test@127.0.0.1:{self.port('imap')}/"
set spoolfile="+INBOX"
set imap_user="{ALICE}"
set imap_pass="alice-pw"
set ssl_starttls=no
set ssl_force_tls=no
set imap_idle=yes
set imap_passive=no
set mail_check=1
set timeout=1
set header_cache=""
set message_cachedir=""
set record=""
set postponed=""
set sort=date-received
set resolve=no
set delete=yes
set wait_key=no
set confirmappend=no
set beep_new=no
set help=yes
""")
        self.socket = self.path("tmux.sock")
        self.session = "pushmail-neomutt"
        command = " ".join(shlex.quote(a) for a in [
            "env", f"HOME={self.home}", "neomutt", "-n", "-F", muttrc,
            "-d", "5", "-l", self.path("neomutt.log")])
        self.addCleanup(self._kill_tmux)
        self.tmux("new-session", "-d", "-s", self.session, "-x", "200", "-y", "50", command)

        # The index lists the message delivered before neomutt started.
        self.wait_screen(r"^\s+1 .*Neomutt first distinctive subject", "no index line")

        # Enter opens it in the pager: the body shows. (neomutt reads with BODY.PEEK[] and
        # stores \Seen itself on the next sync, below.)
        self.send_keys("Enter")
        self.wait_screen(r"^first body line", "the body did not show")
        self.send_keys("q")  # back to the index
        self.wait_screen(r"^\s+1 .*Neomutt first distinctive subject", "no index after pager")

        # A message delivered while neomutt sits in IDLE shows up with no keystroke.
        self.assertTrue(wait_for(lambda: (self.protocol_lines() or [""])[-1]
                                 .endswith("< + idling")),
                        "neomutt did not go back to IDLE:\n" + tail("\n".join(
                            self.protocol_lines())))
        self.deliver("Neomutt pushed while open")
        self.wait_screen(r"^\s+2 N .*Neomutt pushed while open",
                         "the pushed message did not appear without a keystroke")
        # ...because the server pushed `* 2 EXISTS` while neomutt was idling (neomutt looks
        # at the idling socket every `timeout` seconds; no NOOP or poll was sent).
        lines = self.protocol_lines()
        exists = [i for i, line in enumerate(lines) if line.endswith("< * 2 EXISTS")]
        self.assertTrue(exists, "no * 2 EXISTS in neomutt's log:\n" + tail("\n".join(lines)))
        self.assertTrue(lines[exists[0] - 1].endswith("< + idling"),
                        "EXISTS did not arrive during IDLE:\n" +
                        "\n".join(lines[max(0, exists[0] - 8):exists[0] + 2]))

        # Flag message 1 and sync: the server gets \Flagged (and \Seen from reading it).
        self.send_keys("1", "Enter")  # jump to message 1
        self.send_keys("F", "$")
        self.assertTrue(wait_for(lambda: self.server_flags().get(
            "Neomutt first distinctive subject") == {"\\Seen", "\\Flagged"}, interval=0.3),
            f"flag not synced: {self.server_flags()}\n{self.screen()}")

        # Delete it and sync (delete=yes: no prompt): the server expunges it.
        self.send_keys("d", "$")
        self.assertTrue(wait_for(lambda: list(self.server_flags()) ==
                                 ["Neomutt pushed while open"], interval=0.3),
                        f"delete not synced: {self.server_flags()}\n{self.screen()}")
        self.wait_screen(r"^\s+1 N .*Neomutt pushed while open", "index not updated")
        self.assertNotIn("Neomutt first distinctive subject", self.screen())


if __name__ == "__main__":
    unittest.main()
