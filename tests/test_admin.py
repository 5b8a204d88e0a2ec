"""pushmaild user/export/import, and serve's start-up behaviour."""
import os
import signal
import smtplib
import subprocess
import unittest

from harness import DOMAIN, PUSHMAILD, Server, ServerTest, mbox_messages

ALICE = "alice@" + DOMAIN


class UserTest(unittest.TestCase):
    def setUp(self):
        self.server = Server()
        self.addCleanup(self.server.cleanup)

    def assert_password(self, login, wrong, right):
        """Starts the server, checks that submission takes `right` and refuses `wrong`."""
        self.server.start()
        with smtplib.SMTP("127.0.0.1", self.server.ports["submission"], timeout=15) as c:
            with self.assertRaises(smtplib.SMTPAuthenticationError):
                c.login(login, wrong)
            c.login(login, right)
        self.server.stop()

    def test_add_list_passwd_del(self):
        s = self.server
        s.add_user("Carol@Example.Test", "pw1")
        s.add_user("dave@" + DOMAIN, "pw2")
        self.assertEqual(s.admin("user", "list").stdout.decode().split(),
                         ["carol@example.test", "dave@example.test"])
        again = s.admin("user", "add", "carol@example.test", "--password-stdin", input=b"x\n",
                        check=False)
        self.assertEqual(again.returncode, 1)
        self.assertIn(b"already exists", again.stderr)
        s.admin("user", "passwd", "carol@example.test", "--password-stdin", input=b"new-pw\n")
        self.assert_password("carol@example.test", wrong="pw1", right="new-pw")
        s.admin("user", "del", "dave@" + DOMAIN)
        self.assertEqual(s.admin("user", "list").stdout.decode().split(), ["carol@example.test"])
        gone = s.admin("user", "del", "dave@" + DOMAIN, check=False)
        self.assertEqual(gone.returncode, 1)
        self.assertIn(b"no account", gone.stderr)

    def test_add_several_at_once_all_or_none(self):
        s = self.server
        s.admin("user", "add", "e1@" + DOMAIN, "e2@" + DOMAIN, "--password-stdin",
                "--hash-cost", "minimum", input=b"cheap\n")
        self.assertEqual(s.admin("user", "list").stdout.decode().split(),
                         ["e1@example.test", "e2@example.test"])
        clash = s.admin("user", "add", "e3@" + DOMAIN, "e2@" + DOMAIN, "--password-stdin",
                        input=b"x\n", check=False)
        self.assertEqual(clash.returncode, 1)
        self.assertIn(b"e2@example.test already exists; none added", clash.stderr)
        self.assertEqual(s.admin("user", "list").stdout.decode().split(),
                         ["e1@example.test", "e2@example.test"])
        wrong = s.admin("user", "add", "e4@" + DOMAIN, "--hash-cost", "cheap", "--password-stdin",
                        input=b"x\n", check=False)
        self.assertNotEqual(wrong.returncode, 0)
        self.assertEqual(len(s.admin("user", "list").stdout.decode().split()), 2)
        # A minimum-cost hash is still a real Argon2id hash: the right password only.
        self.assert_password("e2@example.test", wrong="dear", right="cheap")

    def test_bad_input_is_refused_clearly(self):
        s = self.server
        bad = s.admin("user", "add", "not-an-address", "--password-stdin", input=b"x\n", check=False)
        self.assertEqual(bad.returncode, 2)
        self.assertIn(b"not an email address", bad.stderr)
        empty = s.admin("user", "add", "e@" + DOMAIN, "--password-stdin", input=b"\n", check=False)
        self.assertEqual(empty.returncode, 2)
        notty = s.admin("user", "add", "e@" + DOMAIN, input=b"", check=False)
        self.assertIn(b"--password-stdin", notty.stderr)
        nostore = subprocess.run([PUSHMAILD, "user", "list", "--data", s.data + "/nothing"],
                                 capture_output=True)
        self.assertEqual(nostore.returncode, 1)
        self.assertIn(b"no store", nostore.stderr)


class ExportImportTest(ServerTest):
    def deliver(self, subject, body="hello\r\n"):
        with smtplib.SMTP("127.0.0.1", self.port(), timeout=15) as s:
            s.sendmail("x@remote.example", [ALICE], f"Subject: {subject}\r\n\r\n{body}".encode())

    def test_export_is_exact_and_import_round_trips(self):
        self.deliver("one", "From the start\r\n>From quoted\r\n")
        self.deliver("two")
        exported = self.server.export(ALICE)
        self.assertEqual(exported.count(b"\nFrom ") + exported.startswith(b"From "), 2)
        self.assertIn(b"\n>From the start\r\n>>From quoted", exported)
        path = os.path.join(self.server.data, "alice.mbox")
        with open(path, "wb") as f:
            f.write(exported)
        self.server.add_user("copy@" + DOMAIN, "pw")
        out = self.server.admin("import", "copy@" + DOMAIN, path).stdout
        self.assertIn(b"imported 2 messages", out)
        self.assertEqual(self.server.export("copy@" + DOMAIN), exported)

    def test_export_one_mailbox(self):
        self.deliver("inbox mail")
        self.assertEqual(len(mbox_messages(self.server.export(ALICE, "INBOX"))), 1)
        self.assertEqual(mbox_messages(self.server.export(ALICE, "Sent")), [])
        missing = self.server.admin("export", ALICE, "--mailbox", "Nope", check=False)
        self.assertEqual(missing.returncode, 1)
        self.assertIn(b"no mailbox", missing.stderr)


class ServeTest(unittest.TestCase):
    def test_prints_listening_lines_and_stops_on_sigterm(self):
        s = Server()
        self.addCleanup(s.cleanup)
        s.start()
        self.assertEqual(set(s.ports), {"smtp", "submission"})
        self.assertTrue(os.path.exists(os.path.join(s.data, "tls", "cert.pem")))
        self.assertEqual(s.stop(), 0)
        self.assertIn("store stats:", s.log())

    def test_raises_open_files_limit(self):
        s = Server()
        self.addCleanup(s.cleanup)
        s.start()
        with open(f"/proc/{s.proc.pid}/limits") as f:
            line = [l for l in f if l.startswith("Max open files")][0].split()
        self.assertEqual(line[3], line[4])  # soft == hard

    def test_port_in_use_is_a_clear_error(self):
        s = Server()
        self.addCleanup(s.cleanup)
        s.start()
        busy = subprocess.run([PUSHMAILD, "serve", "--data", s.data + "/2", "--domain", DOMAIN,
                               "--smtp", f"127.0.0.1:{s.ports['smtp']}"],
                              capture_output=True, timeout=30)
        self.assertEqual(busy.returncode, 1)
        self.assertIn(b"cannot listen on 127.0.0.1:", busy.stderr)


if __name__ == "__main__":
    unittest.main()
