"""A full disk: mail is refused with "try later", nothing already stored is harmed, and
everything works again once there is space, without a restart.

The server's data folder is a small tmpfs (mounting needs root, as CI runs; the test is
skipped elsewhere). A filler file takes the free space, as another program would.
"""
import imaplib
import os
import shutil
import smtplib
import subprocess
import tempfile
import time
import unittest
import base64
import json
import ssl
import urllib.request

from harness import DOMAIN, Server

ALICE = "alice@" + DOMAIN
FS_SIZE = "24m"


def message(subject, size=30000):
    line = "x" * 76 + "\r\n"
    return (f"From: bob@remote.example\r\nTo: {ALICE}\r\nSubject: {subject}\r\n\r\n" +
            line * (size // len(line))).encode()


def fill(path):
    """Writes `path` until the file system is full."""
    chunk = b"\0" * (1 << 16)
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                f.write(chunk)
        except OSError:
            pass
    # The last pages: small writes until nothing more fits.
    with open(path, "ab", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 512)
        except OSError:
            pass


class DiskFullTest(unittest.TestCase):
    def setUp(self):
        self.mount = tempfile.mkdtemp(prefix="pushmail-small-fs-")
        self.addCleanup(shutil.rmtree, self.mount, ignore_errors=True)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + FS_SIZE, "tmpfs",
                               self.mount], capture_output=True)
        if done.returncode != 0:
            self.skipTest("cannot mount a small tmpfs here: " + done.stderr.decode().strip())
        self.addCleanup(subprocess.run, ["umount", "-l", self.mount])
        self.server = Server(data=os.path.join(self.mount, "data"),
                             listeners=("smtp", "imap", "http"))
        os.makedirs(self.server.data)
        self.addCleanup(self.server.cleanup)
        self.server.add_user(ALICE, "alice-pw")
        self.server.start()
        self.filler = os.path.join(self.mount, "filler")

    def smtp_send(self, subject):
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=30) as s:
            s.sendmail("bob@remote.example", [ALICE], message(subject))

    def imap(self):
        m = imaplib.IMAP4("127.0.0.1", self.server.ports["imap"], timeout=30)
        m.login(ALICE, "alice-pw")
        self.addCleanup(lambda: m.logout() if m.state != "LOGOUT" else None)
        return m

    def subjects(self, m):
        typ, _ = m.select("INBOX")
        self.assertEqual(typ, "OK")
        typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertEqual(typ, "OK")
        return [part[1].decode().strip() for part in data if isinstance(part, tuple)]

    def https(self, path, body=None):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        request = urllib.request.Request(f"https://127.0.0.1:{self.server.ports['http']}{path}",
                                         data=body)
        auth = base64.b64encode(f"{ALICE}:alice-pw".encode()).decode()
        request.add_header("Authorization", "Basic " + auth)
        if body is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, context=ctx, timeout=30) as r:
            return r.read().decode()

    def metrics(self):
        return self.https("/metrics")

    def jmap_draft(self, subject):
        """Email/set create of a draft; returns the method's arguments."""
        session = json.loads(self.https("/.well-known/jmap"))
        account = session["primaryAccounts"]["urn:ietf:params:jmap:mail"]
        using = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]
        query = json.loads(self.https("/jmap/api", json.dumps({"using": using, "methodCalls": [
            ["Mailbox/query", {"accountId": account, "filter": {"role": "drafts"}}, "q"]]})
            .encode()))
        drafts = query["methodResponses"][0][1]["ids"][0]
        calls = [["Email/set", {"accountId": account, "create": {"d": {
                     "mailboxIds": {drafts: True},
                     "keywords": {"$draft": True}, "subject": subject,
                     "bodyValues": {"b": {"value": "x" * 30000}},
                     "textBody": [{"partId": "b", "type": "text/plain"}]}}}, "s"]]
        answer = json.loads(self.https("/jmap/api", json.dumps(
            {"using": using, "methodCalls": calls}).encode()))
        name, args, _ = answer["methodResponses"][0]
        self.assertEqual(name, "Email/set", answer)
        return args

    def test_full_disk_refuses_with_try_later_and_recovers_without_restart(self):
        self.smtp_send("stored before")
        m = self.imap()
        self.assertEqual(self.subjects(m), ["Subject: stored before"])

        fill(self.filler)
        with self.assertRaises(smtplib.SMTPDataError) as refused:
            self.smtp_send("no room")
        self.assertEqual(refused.exception.smtp_code, 452)
        self.assertIn(b"4.3.1", refused.exception.smtp_error)

        typ, data = m.append("INBOX", None, None, message("append, no room"))
        self.assertEqual(typ, "NO")
        self.assertIn(b"[OVERQUOTA]", data[0])
        refused = self.jmap_draft("draft, no room")
        self.assertEqual(refused["notCreated"]["d"]["type"], "overQuota", refused)
        # What was stored before is untouched, and reads still work.
        self.assertEqual(self.subjects(m), ["Subject: stored before"])

        os.unlink(self.filler)
        self.smtp_send("room again")
        typ, _ = m.append("INBOX", None, None, message("append, room again"))
        self.assertEqual(typ, "OK")
        self.assertIn("d", self.jmap_draft("draft, room again")["created"])
        self.assertEqual(self.subjects(m), ["Subject: stored before", "Subject: room again",
                                            "Subject: append, room again"])
        metrics = self.metrics()
        self.assertIn("pushmail_store_read_only 0", metrics)
        disk_full = [line for line in metrics.splitlines()
                     if line.startswith("pushmail_store_disk_full_total ")]
        self.assertEqual(len(disk_full), 1, metrics)
        self.assertGreaterEqual(float(disk_full[0].split()[1]), 3)
        self.assertIn("the disk is full", self.server.log())


if __name__ == "__main__":
    unittest.main()
