"""SMTP intake against the real pushmaild: swaks, python smtplib and raw sockets."""
import smtplib
import ssl
import subprocess
import time
import unittest

from harness import DOMAIN, RawSmtp, ServerTest, mbox_messages

ALICE = "alice@" + DOMAIN
BOB = "bob@" + DOMAIN


def swaks(*args):
    return subprocess.run(["swaks", "--server", "127.0.0.1", "--timeout", "15", *args],
                          capture_output=True, text=True, timeout=60)


def insecure_context():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class SwaksTest(ServerTest):
    def test_plain_delivery_is_exported_with_trace_headers(self):
        r = swaks("--port", str(self.port()), "--to", ALICE, "--from", "carol@remote.example",
                  "--header", "Subject: swaks plain", "--body", "hello from swaks")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"<-\s+250 2\.0\.0 Ok: stored as \w+")
        (message,) = mbox_messages(self.server.export(ALICE))
        self.assertTrue(message.startswith(b"Return-Path: <carol@remote.example>\r\nReceived: from "))
        self.assertIn(b"with ESMTP", message)
        self.assertIn(b"Subject: swaks plain", message)
        self.assertIn(b"hello from swaks", message)
        self.assertEqual(mbox_messages(self.server.export(BOB)), [])

    def test_starttls(self):
        r = swaks("--port", str(self.port()), "--to", ALICE, "--from", "carol@remote.example",
                  "--tls", "--header", "Subject: over tls")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("TLS started", r.stdout)
        (message,) = mbox_messages(self.server.export(ALICE))
        self.assertIn(b"with ESMTPS", message)
        self.assertIn(b"(TLSv1.", message)

    def test_pipelining(self):
        r = swaks("--port", str(self.port()), "--to", f"{ALICE},{BOB}", "--from",
                  "carol@remote.example", "--pipeline", "--header", "Subject: pipelined")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for user in (ALICE, BOB):
            (message,) = mbox_messages(self.server.export(user))
            self.assertIn(b"Subject: pipelined", message)

    def test_submission_with_auth(self):
        r = swaks("--port", str(self.port("submission")), "--to", BOB, "--from", ALICE,
                  "--auth", "PLAIN", "--auth-user", ALICE, "--auth-password", "alice-pw",
                  "--header", "Subject: submitted")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        (message,) = mbox_messages(self.server.export(BOB))
        self.assertIn(b"with ESMTPA", message)

    def test_unknown_recipient(self):
        r = swaks("--port", str(self.port()), "--to", "nobody@" + DOMAIN, "--from", "c@remote.example")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("550 5.1.1", r.stdout)


class SmtplibTest(ServerTest):
    def test_eight_bit_body_is_stored_exactly(self):
        body = "Grüße aus Köln — ünïcödé\r\n".encode()
        message = b"Subject: 8bit\r\nContent-Type: text/plain; charset=utf-8\r\n" \
                  b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body
        with smtplib.SMTP("127.0.0.1", self.port(), timeout=15) as s:
            s.sendmail("carol@remote.example", [ALICE], message, mail_options=["BODY=8BITMIME"])
        (stored,) = mbox_messages(self.server.export(ALICE))
        self.assertTrue(stored.endswith(message), stored)

    def test_utf8_addresses(self):
        self.server.add_user("jürgen@" + DOMAIN, "j-pw")
        message = "From: Jürgen <jürgen@example.test>\r\nSubject: utf8\r\n\r\nhallo\r\n"
        with smtplib.SMTP("127.0.0.1", self.port(), timeout=15) as s:
            s.ehlo()
            self.assertTrue(s.has_extn("smtputf8"))
            s.sendmail("jörg@remote.example", ["jürgen@" + DOMAIN], message.encode(),
                       mail_options=["SMTPUTF8", "BODY=8BITMIME"])
        (stored,) = mbox_messages(self.server.export("jürgen@" + DOMAIN))
        self.assertIn("Return-Path: <jörg@remote.example>".encode(), stored)
        self.assertIn(b"with UTF8SMTP", stored)

    def test_utf8_address_without_smtputf8_is_refused(self):
        with smtplib.SMTP("127.0.0.1", self.port(), timeout=15) as s:
            s.ehlo()
            s.command_encoding = "utf-8"
            code, text = s.docmd("MAIL", "FROM:<jörg@remote.example>")
            self.assertEqual(code, 553, text)

    def test_starttls_and_auth_on_submission(self):
        with smtplib.SMTP("127.0.0.1", self.port("submission"), timeout=15) as s:
            s.starttls(context=insecure_context())
            s.login(ALICE, "alice-pw")
            refused = s.sendmail(ALICE, [BOB, ALICE], b"Subject: tls+auth\r\n\r\nx\r\n")
            self.assertEqual(refused, {})
        self.assertEqual(len(mbox_messages(self.server.export(BOB))), 1)
        self.assertIn(b"with ESMTPSA", mbox_messages(self.server.export(ALICE))[0])

    def test_wrong_password(self):
        with smtplib.SMTP("127.0.0.1", self.port("submission"), timeout=15) as s:
            with self.assertRaises(smtplib.SMTPAuthenticationError) as caught:
                s.login(ALICE, "wrong")
            self.assertEqual(caught.exception.smtp_code, 535)

    def test_submission_refuses_foreign_sender_and_remote_domains(self):
        with smtplib.SMTP("127.0.0.1", self.port("submission"), timeout=15) as s:
            s.login(ALICE, "alice-pw")
            code, text = s.docmd("MAIL", f"FROM:<{BOB}>")
            self.assertEqual(code, 553, text)
            self.assertEqual(s.docmd("MAIL", f"FROM:<{ALICE}>")[0], 250)
            code, text = s.docmd("RCPT", "TO:<someone@remote.example>")
            self.assertEqual(code, 550)
            self.assertIn(b"no outbound relay", text)

    def test_submission_needs_auth(self):
        with smtplib.SMTP("127.0.0.1", self.port("submission"), timeout=15) as s:
            s.ehlo()
            code, _ = s.docmd("MAIL", f"FROM:<{ALICE}>")
            self.assertEqual(code, 530)

    def test_inbound_port_does_not_relay(self):
        with smtplib.SMTP("127.0.0.1", self.port(), timeout=15) as s:
            s.ehlo()
            s.docmd("MAIL", "FROM:<a@remote.example>")
            code, text = s.docmd("RCPT", "TO:<b@elsewhere.example>")
            self.assertEqual(code, 550)
            self.assertIn(b"relay access denied", text)


class RawSessionTest(ServerTest):
    def session(self, port_name="smtp"):
        c = RawSmtp(self.port(port_name))
        self.addCleanup(c.close)
        self.assertEqual(c.reply()[0], 220)
        return c

    def test_bdat_chunks(self):
        c = self.session()
        c.cmd("EHLO client.example")
        chunk1 = b"Subject: chunked\r\n\r\nfirst "
        chunk2 = b"second\r\n.\r\nnot the end\r\n"
        c.send(b"MAIL FROM:<c@remote.example> BODY=BINARYMIME\r\nRCPT TO:<%s>\r\n" % ALICE.encode())
        c.send(b"BDAT %d\r\n" % len(chunk1) + chunk1 + b"BDAT %d LAST\r\n" % len(chunk2) + chunk2)
        self.assertEqual(c.reply()[0], 250)  # MAIL
        self.assertEqual(c.reply()[0], 250)  # RCPT
        self.assertEqual(c.reply()[0], 250)  # BDAT
        code, text = c.reply()
        self.assertEqual(code, 250, text)
        self.assertEqual(c.cmd("QUIT")[0], 221)
        (stored,) = mbox_messages(self.server.export(ALICE))
        self.assertTrue(stored.endswith(chunk1 + chunk2))

    def test_pipelined_replies_come_in_order(self):
        c = self.session()
        c.send(f"EHLO x\r\nMAIL FROM:<a@remote.example>\r\nRCPT TO:<{ALICE}>\r\n"
               f"RCPT TO:<nobody@{DOMAIN}>\r\nRCPT TO:<{BOB}>\r\nDATA\r\n")
        codes = [c.reply()[0] for _ in range(6)]
        self.assertEqual(codes, [250, 250, 250, 550, 250, 354])
        c.send("Subject: p\r\n\r\nbody\r\n.\r\nQUIT\r\n")
        self.assertEqual(c.reply()[0], 250)
        self.assertEqual(c.reply()[0], 221)
        self.assertEqual(len(mbox_messages(self.server.export(BOB))), 1)

    def test_smuggling_needs_crlf_dot_crlf(self):
        c = self.session()
        c.cmd("EHLO x")
        c.cmd("MAIL FROM:<a@remote.example>")
        c.cmd(f"RCPT TO:<{ALICE}>")
        self.assertEqual(c.cmd("DATA")[0], 354)
        # Each of these would end DATA on a lax server and start a second, forged message.
        c.send(f"Subject: first\r\n\r\nx\n.\nMAIL FROM:<forged@x>\nRCPT TO:<{BOB}>\nDATA\n"
               "x\r.\r\nx\n.\r\nx\r\n.\nSubject: forged\r\n\r\n.\r\n")
        self.assertEqual(c.reply()[0], 250)
        self.assertEqual(c.cmd("QUIT")[0], 221)
        (stored,) = mbox_messages(self.server.export(ALICE))
        self.assertIn(b"Subject: forged", stored)  # it stayed inside the first message
        self.assertEqual(mbox_messages(self.server.export(BOB)), [])

    def test_commands_out_of_order(self):
        c = self.session()
        self.assertEqual(c.cmd("MAIL FROM:<a@remote.example>")[0], 503)  # before EHLO
        c.cmd("EHLO x")
        self.assertEqual(c.cmd(f"RCPT TO:<{ALICE}>")[0], 503)  # before MAIL
        self.assertEqual(c.cmd("DATA")[0], 503)
        c.cmd("MAIL FROM:<a@remote.example>")
        self.assertEqual(c.cmd("MAIL FROM:<a@remote.example>")[0], 503)  # nested
        self.assertEqual(c.cmd("DATA")[0], 554)  # no recipients
        self.assertEqual(c.cmd("RSET")[0], 250)
        self.assertEqual(c.cmd("NOOP")[0], 250)

    def test_bad_lines(self):
        c = self.session()
        c.cmd("EHLO x")
        self.assertEqual(c.cmd("X" * 2000)[0], 500)  # over 1000 octets
        self.assertEqual(c.cmd("NOOP\0")[0], 500)
        self.assertEqual(c.cmd("WHAT")[0], 500)
        self.assertEqual(c.cmd("MAIL FROM:<no-at-sign>")[0], 501)
        self.assertEqual(c.cmd("NOOP")[0], 250)  # the session went on

    def test_too_many_bad_commands_disconnect(self):
        c = self.session()
        for _ in range(19):
            self.assertEqual(c.cmd("BOGUS")[0], 500)
        self.assertEqual(c.cmd("BOGUS")[0], 421)
        self.assertTrue(c.closed())

    def test_too_many_recipients(self):
        c = self.session()
        c.cmd("EHLO x")
        c.cmd("MAIL FROM:<a@remote.example>")
        for _ in range(100):
            c.send(f"RCPT TO:<{ALICE}>\r\n")
        for _ in range(100):
            self.assertEqual(c.reply()[0], 250)
        self.assertEqual(c.cmd(f"RCPT TO:<{ALICE}>")[0], 452)

    def test_message_over_size(self):
        c = self.session()
        ehlo = c.cmd("EHLO x")[1]
        size = int([l for l in ehlo.split("\n") if "SIZE" in l][0].split()[-1])
        self.assertEqual(c.cmd(f"MAIL FROM:<a@remote.example> SIZE={size + 1}")[0], 552)
        c.cmd("MAIL FROM:<a@remote.example>")
        c.cmd(f"RCPT TO:<{ALICE}>")
        c.cmd("DATA")
        line = b"y" * 998 + b"\r\n"
        for _ in range(size // len(line) + 2):
            c.send(line)
        c.send(b".\r\n")
        self.assertEqual(c.reply()[0], 552)
        self.assertEqual(c.cmd("NOOP")[0], 250)
        self.assertEqual(mbox_messages(self.server.export(ALICE)), [])

    def test_starttls_discards_pipelined_plaintext(self):
        c = self.session()
        c.cmd("EHLO x")
        c.send("STARTTLS\r\nRSET\r\n")  # RSET was "injected" before the handshake
        self.assertEqual(c.reply()[0], 220)
        c.starttls()
        code, text = c.cmd("EHLO x")
        self.assertEqual(code, 250, text)  # not the reply to RSET
        self.assertNotIn("STARTTLS", text)
        self.assertEqual(c.cmd("NOOP")[0], 250)

    def test_auth_needs_tls_off_loopback_only(self):
        c = self.session("submission")
        ehlo = c.cmd("EHLO x")[1]
        self.assertIn("AUTH PLAIN LOGIN", ehlo)  # on loopback, plaintext AUTH is allowed
        self.assertEqual(c.cmd("AUTH PLAIN !!!")[0], 501)
        self.assertEqual(c.cmd("AUTH CRAM-MD5")[0], 504)
        self.assertEqual(c.cmd("AUTH LOGIN")[0], 334)
        self.assertEqual(c.cmd("*")[0], 501)

    def test_auth_on_inbound_port_is_refused(self):
        c = self.session()
        c.cmd("EHLO x")
        self.assertEqual(c.cmd("AUTH PLAIN AGFAYg==")[0], 503)

    def test_shutdown_says_421_to_idle_sessions(self):
        c = self.session()
        c.cmd("EHLO x")
        self.assertEqual(self.server.stop(), 0)
        try:
            code, text = c.reply()
        except ConnectionError as e:
            self.fail(f"{e}\n{self.server.log()}")
        self.assertEqual(code, 421, text)


class AuthDelayTest(ServerTest):
    server_args = {"config": "[smtp]\nauth_failures_before_delay = 2\nauth_failure_delay_ms = 50\n"}

    def test_repeated_failures_are_slowed_down(self):
        c = RawSmtp(self.port("submission"))
        self.addCleanup(c.close)
        c.reply()
        c.cmd("EHLO x")
        bad = "AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdAB3cm9uZw=="  # alice / wrong
        for _ in range(3):
            self.assertEqual(c.cmd(bad)[0], 535)
        self.assertEqual(c.cmd("AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABhbGljZS1wdw==")[0], 235)
        delays = [l for l in self.server.log().splitlines() if "delaying the AUTH reply" in l]
        # The first failure is answered at once; the second and third wait 50 and 100 ms.
        self.assertEqual(len(delays), 2, self.server.log())
        self.assertIn("by 50 ms after 2 failures", delays[0])
        self.assertIn("by 100 ms after 3 failures", delays[1])


class TimeoutTest(ServerTest):
    server_args = {"config": "[smtp]\ncommand_timeout_s = 1\n"}

    def test_idle_session_is_told_and_closed(self):
        c = RawSmtp(self.port())
        self.addCleanup(c.close)
        self.assertEqual(c.reply()[0], 220)
        self.assertEqual(c.cmd("EHLO x")[0], 250)
        code, text = c.reply()  # nothing sent: the server gives up on us
        self.assertEqual(code, 421, text)
        self.assertIn("4.4.2", text)
        self.assertTrue(c.closed())

    def test_a_slow_but_active_client_is_not_cut_off(self):
        c = RawSmtp(self.port())
        self.addCleanup(c.close)
        c.reply()
        for _ in range(4):  # each command within the timeout, longer than it in all
            time.sleep(0.5)
            self.assertEqual(c.cmd("NOOP")[0], 250)


if __name__ == "__main__":
    unittest.main()
