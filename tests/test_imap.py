"""The IMAP server against python3's imaplib, raw sockets for IDLE, and curl."""
import imaplib
import re
import smtplib
import socket
import ssl
import subprocess
import time
import unittest
import zlib

from harness import DOMAIN, ServerTest

ALICE = "alice@" + DOMAIN
BOB = "bob@" + DOMAIN


def message(subject, body="hello\r\n", extra=""):
    return (f"From: Bob <{BOB}>\r\nTo: {ALICE}\r\nSubject: {subject}\r\n{extra}"
            f"Message-ID: <{subject.replace(' ', '.')}@test>\r\n\r\n{body}")


class ImapTest(ServerTest):
    server_args = {"listeners": ("smtp", "imap", "imaps")}

    def deliver(self, subject, body="hello\r\n", to=ALICE):
        with smtplib.SMTP("127.0.0.1", self.port("smtp"), timeout=15) as c:
            c.sendmail(BOB, [to], message(subject, body).encode())

    def login(self, user=ALICE, password="alice-pw"):
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

    def test_login_refuses_wrong_password_and_other_users_mail_is_invisible(self):
        m = imaplib.IMAP4("127.0.0.1", self.port("imap"), timeout=15)
        with self.assertRaises(imaplib.IMAP4.error):
            m.login(ALICE, "wrong")
        m.login(ALICE, "alice-pw")
        m.logout()
        self.deliver("for alice")
        bob = self.login(BOB, "bob-pw")
        self.assertEqual(bob.select("INBOX"), ("OK", [b"0"]))

    def test_fetch_store_search_copy_expunge(self):
        self.deliver("first")
        self.deliver("second", body="needle in the body\r\n")
        m = self.login()
        typ, data = m.select("INBOX")
        self.assertEqual(data, [b"2"])
        typ, data = m.fetch("1:2", "(UID FLAGS RFC822.SIZE ENVELOPE)")
        self.assertEqual(typ, "OK")
        self.assertIn(b'"first"', data[0])
        self.assertIn(b"UID 2", data[1])
        typ, data = m.uid("FETCH", "2", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertEqual(data[0][1], b"Subject: second\r\n\r\n")
        typ, data = m.fetch("2", "(BODY[TEXT])")
        self.assertEqual(data[0][1], b"needle in the body\r\n")
        self.assertEqual(m.fetch("2", "(FLAGS)")[1], [b"2 (FLAGS (\\Seen))"])
        self.assertEqual(m.search(None, "BODY", "needle"), ("OK", [b"2"]))
        self.assertEqual(m.search(None, "UNSEEN"), ("OK", [b"1"]))
        self.assertEqual(m.uid("SEARCH", "SUBJECT", "first"), ("OK", [b"1"]))
        typ, data = m.store("1", "+FLAGS", "(\\Flagged $Work)")
        self.assertIn(b"\\Flagged", data[0])
        self.assertIn(b"$work", data[0])
        typ, data = m.copy("1:2", "Archive")
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0], rb"\[COPYUID \d+ 1:2|\[COPYUID \d+ 1,2 1,2\]")
        self.assertEqual(m.status("Archive", "(MESSAGES UNSEEN)")[1],
                         [b"Archive (MESSAGES 2 UNSEEN 1)"])
        m.store("1", "+FLAGS", "(\\Deleted)")
        typ, data = m.expunge()
        self.assertEqual(data, [b"1"])
        self.assertEqual(m.select("INBOX")[1], [b"1"])
        self.assertIn(b"second", m.fetch("1", "(ENVELOPE)")[1][0])

    def test_append_create_rename_delete(self):
        m = self.login()
        self.assertEqual(m.create("Work/2026")[0], "OK")
        self.assertEqual(m.create("Work/2026")[0], "NO")
        typ, data = m.append("Work/2026", "(\\Seen)", None, b"Subject: kept\r\n\r\nexact bytes\r\n")
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0], rb"\[APPENDUID \d+ 1\]")
        self.assertEqual(m.rename("Work", "Jobs")[0], "OK")
        names = b" ".join(m.list()[1])
        self.assertIn(b"Jobs/2026", names)
        self.assertNotIn(b"Work", names)
        m.select("Jobs/2026")
        typ, data = m.fetch("1", "(FLAGS BODY.PEEK[])")
        self.assertEqual(data[0][1], b"Subject: kept\r\n\r\nexact bytes\r\n")
        self.assertIn(b"\\Seen", data[0][0])
        self.assertEqual(m.delete("Jobs")[0], "NO")  # has children
        m.close()
        self.assertEqual(m.delete("Jobs/2026")[0], "OK")
        self.assertEqual(m.select("Nope")[0], "NO")

    def test_multiappend_stores_all_messages_in_one_go(self):
        s = socket.create_connection(("127.0.0.1", self.port("imap")), timeout=15)
        f = s.makefile("rb")
        self.assertIn(b" MULTIAPPEND ", f.readline())
        one, two = b"Subject: one\r\n\r\n1\r\n", b"Subject: two\r\n\r\n2\r\n"
        s.sendall(b"a LOGIN alice@example.test alice-pw\r\n")
        self.assertTrue(f.readline().startswith(b"a OK"))
        s.sendall(b"b APPEND Archive (\\Seen) {%d+}\r\n%s {%d+}\r\n%s\r\n"
                  % (len(one), one, len(two), two))
        self.assertRegex(f.readline(), rb"^b OK \[APPENDUID \d+ 1,2\] APPEND completed\r\n$")
        s.close()
        m = self.login()
        m.select("Archive")
        typ, data = m.fetch("1:2", "(FLAGS BODY.PEEK[])")
        self.assertEqual([d[1] for d in data if isinstance(d, tuple)], [one, two])
        self.assertIn(b"\\Seen", data[0][0])
        m.logout()

    def test_idle_sees_delivery_flag_change_and_expunge_from_another_session(self):
        self.deliver("before")
        s = socket.create_connection(("127.0.0.1", self.port("imap")), timeout=15)
        f = s.makefile("rb")

        def until(tag):
            lines = []
            while True:
                line = f.readline()
                self.assertTrue(line, "connection closed")
                lines.append(line)
                if line.startswith(tag):
                    return lines

        f.readline()  # greeting
        s.sendall(b"a LOGIN alice@example.test alice-pw\r\n")
        until(b"a OK")
        s.sendall(b"b SELECT INBOX\r\n")
        self.assertIn(b"* 1 EXISTS\r\n", until(b"b OK"))
        s.sendall(b"c IDLE\r\n")
        self.assertTrue(f.readline().startswith(b"+"))
        self.deliver("during idle")
        self.assertEqual(f.readline(), b"* 2 EXISTS\r\n")
        other = self.login()
        other.select("INBOX")
        other.store("1", "+FLAGS", "(\\Deleted)")
        self.assertRegex(f.readline(), rb"^\* 1 FETCH \(UID 1 FLAGS \(\\Deleted\)\)\r\n$")
        other.expunge()
        self.assertEqual(f.readline(), b"* 1 EXPUNGE\r\n")
        s.sendall(b"DONE\r\n")
        self.assertEqual(until(b"c "), [b"c OK IDLE terminated\r\n"])
        s.sendall(b"d FETCH 1 (UID)\r\n")
        self.assertEqual(until(b"d OK"), [b"* 1 FETCH (UID 2)\r\n", b"d OK FETCH completed\r\n"])
        s.close()

    def test_condstore_and_qresync_resync(self):
        for i in range(3):
            self.deliver(f"m{i}")
        m = self.login()
        m.enable("QRESYNC")
        typ, data = m.select("INBOX")
        uidvalidity = int(m.untagged_responses["UIDVALIDITY"][0])
        modseq = int(m.untagged_responses["HIGHESTMODSEQ"][0])
        m.store("2", "+FLAGS", "(\\Seen)")
        m.store("3", "+FLAGS", "(\\Deleted)")
        m.expunge()
        m.close()
        tag = m._new_tag().decode()
        m.send(f"{tag} SELECT INBOX (QRESYNC ({uidvalidity} {modseq}))\r\n".encode())
        lines = []
        while True:
            line = m.readline()
            lines.append(line)
            if line.startswith(tag.encode()):
                break
        text = b"".join(lines)
        self.assertIn(b"* VANISHED (EARLIER) 3\r\n", text)
        self.assertRegex(text, rb"\* 2 FETCH \(UID 2 FLAGS \(\\Seen\) MODSEQ \(\d+\)\)")
        self.assertIn(tag.encode() + b" OK", lines[-1])
        m.state = "SELECTED"  # the SELECT went around imaplib
        typ, data = m.uid("FETCH", "1:*", f"(FLAGS) (CHANGEDSINCE {modseq})")
        self.assertEqual(len([d for d in data if d]), 1)
        self.assertIn(b"MODSEQ", data[0])

    def test_notify_pushes_every_mailbox_between_commands(self):
        self.deliver("before")
        s = socket.create_connection(("127.0.0.1", self.port("imap")), timeout=15)
        f = s.makefile("rb")

        def until(prefix):
            while True:
                line = f.readline()
                self.assertTrue(line, "connection closed")
                if line.startswith(prefix):
                    return line

        f.readline()
        s.sendall(b"a LOGIN alice@example.test alice-pw\r\nb SELECT INBOX\r\n")
        until(b"b OK")
        s.sendall(b"c NOTIFY SET STATUS (SELECTED (MessageNew MessageExpunge FlagChange)) "
                  b"(PERSONAL (MessageNew MessageExpunge MailboxName))\r\n")
        status = until(b"* STATUS")
        self.assertRegex(status, rb"MESSAGES 0")
        until(b"c OK")
        # No command is pending: each change must arrive on its own.
        self.deliver("new in inbox")
        self.assertEqual(until(b"* "), b"* 2 EXISTS\r\n")
        other = self.login()
        other.append("Archive", None, None, b"Subject: archived\r\n\r\nx\r\n")
        self.assertRegex(until(b"* STATUS"), rb'^\* STATUS Archive \(MESSAGES 1 UIDNEXT 2 ')
        other.create("Projects")
        self.assertEqual(until(b"* LIST"), b'* LIST (\\Subscribed) "/" Projects\r\n')
        other.delete("Projects")
        self.assertEqual(until(b"* LIST"), b'* LIST (\\NonExistent) "/" Projects\r\n')
        s.sendall(b"d NOTIFY NONE\r\n")
        until(b"d OK")
        s.sendall(b"e LOGOUT\r\n")
        until(b"e OK")
        s.close()

    def test_bad_input_gets_bad_and_session_goes_on(self):
        s = socket.create_connection(("127.0.0.1", self.port("imap")), timeout=15)
        f = s.makefile("rb")
        f.readline()
        cases = [
            (b"a1 FROB\r\n", b"a1 BAD"),
            (b"a2 SELECT INBOX\r\n", b"a2 BAD"),          # not logged in
            (b"a3 LOGIN \"unterminated\r\n", b"a3 BAD"),
            (b"a4 APPEND INBOX {99999999999}\r\n", b"a4 NO [TOOBIG]"),
            (b"a5 NOOP\r\n", b"a5 OK"),
        ]
        for command, expected in cases:
            s.sendall(command)
            line = f.readline()
            while line.startswith(b"* "):
                line = f.readline()
            self.assertTrue(line.startswith(expected), (command, line))
        s.sendall(b"x" * 70000 + b"\r\n")
        self.assertIn(b"BAD", f.readline())
        s.sendall(b"a6 LOGIN alice@example.test alice-pw\r\n")
        self.assertTrue(f.readline().startswith(b"a6 OK"))
        s.close()

    def test_compress_deflate(self):
        self.deliver("squeezed", body="compressible text\r\n" * 200)
        s = socket.create_connection(("127.0.0.1", self.port("imap")), timeout=15)
        f = s.makefile("rb")
        f.readline()
        s.sendall(b"a LOGIN alice@example.test alice-pw\r\nb COMPRESS DEFLATE\r\n")
        while not f.readline().startswith(b"b OK"):
            pass
        out, inp = zlib.compressobj(wbits=-15), zlib.decompressobj(wbits=-15)
        s.sendall(out.compress(b"c SELECT INBOX\r\nd FETCH 1 BODY[TEXT]\r\n") +
                  out.flush(zlib.Z_SYNC_FLUSH))
        plain = b""
        deadline = time.monotonic() + 15
        while b"d OK" not in plain and time.monotonic() < deadline:
            plain += inp.decompress(s.recv(65536))
        self.assertIn(b"* 1 EXISTS", plain)
        self.assertIn(b"compressible text\r\n" * 200, plain)
        self.assertIn(b"d OK FETCH completed", plain)
        s.close()

    def test_curl_fetches_by_uid(self):
        self.deliver("via curl", body="curl body\r\n")
        out = subprocess.run(
            ["curl", "-s", "--max-time", "15", "-u", ALICE + ":alice-pw",
             f"imap://127.0.0.1:{self.port('imap')}/INBOX;UID=1"],
            check=True, capture_output=True).stdout
        self.assertIn(b"Subject: via curl", out)
        self.assertIn(b"curl body", out)

    def test_starttls_then_login(self):
        m = imaplib.IMAP4("127.0.0.1", self.port("imap"), timeout=15)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        m.starttls(ssl_context=ctx)
        m.login(ALICE, "alice-pw")
        self.assertEqual(m.select("INBOX")[0], "OK")
        m.logout()
        s = imaplib.IMAP4_SSL("127.0.0.1", self.port("imaps"), ssl_context=ctx, timeout=15)
        s.login(ALICE, "alice-pw")
        self.assertEqual(s.select("INBOX")[0], "OK")
        s.logout()


def open_idle(port):
    """A socket and its reader, in IDLE on alice's INBOX."""
    s = socket.create_connection(("127.0.0.1", port), timeout=15)
    f = s.makefile("rb")
    f.readline()
    s.sendall(b"a LOGIN alice@example.test alice-pw\r\nb SELECT INBOX\r\nc IDLE\r\n")
    while not f.readline().startswith(b"+"):
        pass
    return s, f


class KeepaliveTest(ServerTest):
    # An idle session hibernates (no coroutine left) and each of these wakes it: a keepalive
    # timeout, input, a push, a shutdown, the autologout.
    server_args = {"listeners": ("smtp", "imap"),
                   "config": "[imap]\nidle_keepalive_s = 1\nautologout_s = 3\n"}

    def idle(self):
        return open_idle(self.port("imap"))

    def test_idle_keepalive_and_done_in_any_case(self):
        s, f = self.idle()
        self.assertEqual(f.readline(), b"* OK Still here\r\n")
        self.assertEqual(f.readline(), b"* OK Still here\r\n")  # hibernated again, woke again
        with smtplib.SMTP("127.0.0.1", self.port("smtp"), timeout=15) as c:
            c.sendmail("x@remote.example", [ALICE], b"Subject: pushed\r\n\r\nhi\r\n")
        line = f.readline()
        while line == b"* OK Still here\r\n":
            line = f.readline()
        self.assertEqual(line, b"* 1 EXISTS\r\n")
        s.sendall(b"do")  # DONE in two pieces: the session wakes with half a line
        time.sleep(0.2)
        s.sendall(b"ne\r\nd NOOP\r\n")
        line = f.readline()
        while line == b"* OK Still here\r\n":
            line = f.readline()
        self.assertEqual(line, b"c OK IDLE terminated\r\n")
        self.assertEqual(f.readline(), b"d OK NOOP completed\r\n")
        s.sendall(b"e IDLE\r\n")
        self.assertTrue(f.readline().startswith(b"+"))
        s.sendall(b"nonsense\r\n")
        self.assertEqual(f.readline(), b"e BAD Expected DONE\r\n")
        s.close()

    def test_autologout_ends_idle_with_bye(self):
        s, f = self.idle()
        lines = []
        while True:
            line = f.readline()
            if not line:
                break
            lines.append(line)
        self.assertGreaterEqual(lines.count(b"* OK Still here\r\n"), 1)
        s.close()
        self.assertEqual(lines[-1], b"* BYE Autologout; idle for too long\r\n")



class ShutdownDuringIdleTest(ServerTest):
    # Keepalives wake the sessions now and then; the autologout must not come before the stop,
    # however long twenty logins take on a loaded machine.
    server_args = {"listeners": ("smtp", "imap"),
                   "config": "[imap]\nidle_keepalive_s = 1\nautologout_s = 600\n"}

    def test_shutdown_during_idle_says_bye_and_exits_cleanly(self):
        sessions = [open_idle(self.port("imap")) for _ in range(20)]
        self.assertEqual(self.server.stop(), 0)
        for s, f in sessions:
            rest = f.read()
            self.assertTrue(rest.endswith(b"* BYE Server shutting down\r\n"), rest)
            s.close()


if __name__ == "__main__":
    unittest.main()
