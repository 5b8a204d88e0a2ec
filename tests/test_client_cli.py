"""The `pushmail` command-line client against the real pushmaild: login and its errors, watch
(WebSocket and EventSource push, --json, --exec, rules, and resuming after the server was down),
ls/read/send/reply/rm/mv/flag, the offline cache, and `rules test`. Every client runs with its own
XDG folders in the test's temporary directory."""
import email.message
import json
import os
import select
import shutil
import signal
import smtplib
import stat
import subprocess
import tempfile
import time
import unittest

from harness import DOMAIN, ServerTest

PUSHMAIL = os.environ.get("PUSHMAIL", os.path.join(os.path.dirname(__file__), "..", "build",
                                                   "bin", "pushmail"))
ALICE = "alice@" + DOMAIN
BOB = "bob@" + DOMAIN
WAIT = 30  # seconds to wait for something that should come at once


class Watch:
    """A running `pushmail watch`; lines() reads what it printed, with a deadline."""

    def __init__(self, env, *args):
        self.proc = subprocess.Popen([PUSHMAIL, "watch", *args], env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.buffer = b""
        self.err = b""

    def lines(self, n, timeout=WAIT):
        """The next n lines of stdout; fewer when the deadline passes first."""
        out = []
        deadline = time.monotonic() + timeout
        while len(out) < n:
            while b"\n" in self.buffer and len(out) < n:
                line, self.buffer = self.buffer.split(b"\n", 1)
                out.append(line.decode())
            if len(out) == n:
                break
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([self.proc.stdout, self.proc.stderr], [], [], left)
            for f in ready:
                chunk = os.read(f.fileno(), 65536)
                if f is self.proc.stdout:
                    if not chunk and self.proc.poll() is not None:
                        return out
                    self.buffer += chunk
                else:
                    self.err += chunk
        return out

    def stderr_until(self, text, timeout=WAIT):
        """Waits until stderr contains `text`; returns whether it did."""
        deadline = time.monotonic() + timeout
        while text.encode() not in self.err:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                return False
            ready, _, _ = select.select([self.proc.stderr], [], [], left)
            if ready:
                self.err += os.read(self.proc.stderr.fileno(), 65536)
        return True

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)
        self.proc.stdout.close()
        self.proc.stderr.close()


class ClientTest(ServerTest):
    server_args = {"listeners": ("smtp", "http")}

    def setUp(self):
        super().setUp()
        self.home = tempfile.mkdtemp(prefix="pushmail-client-")
        self.addCleanup(shutil.rmtree, self.home, True)
        self.env = self.client_env("alice")

    def client_env(self, name):
        env = dict(os.environ)
        env["XDG_CONFIG_HOME"] = os.path.join(self.home, name, "config")
        env["XDG_DATA_HOME"] = os.path.join(self.home, name, "data")
        env["HOME"] = os.path.join(self.home, name)
        env.pop("EDITOR", None)
        env.pop("VISUAL", None)
        return env

    def url(self):
        return f"https://127.0.0.1:{self.port('http')}"

    def ca(self):
        return os.path.join(self.server.data, "tls", "cert.pem")

    def pm(self, *args, input=None, env=None, check=True):
        r = subprocess.run([PUSHMAIL, *args], input=(input or "").encode(), capture_output=True,
                           env=env or self.env, timeout=60)
        out = r.stdout.decode(errors="replace")
        err = r.stderr.decode(errors="replace")
        if check and r.returncode != 0:
            self.fail(f"pushmail {' '.join(args)} -> {r.returncode}\n{out}\n{err}")
        return r.returncode, out, err

    def login(self, user=ALICE, password="alice-pw", env=None):
        return self.pm("login", self.url(), "--user", user, "--password-stdin", "--ca", self.ca(),
                       input=password + "\n", env=env)

    def swaks(self, subject, body="hello", sender="carol@remote.example", to=ALICE):
        subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(self.port("smtp")),
                        "--timeout", "15", "--to", to, "--from", sender,
                        "--header", f"Subject: {subject}", "--body", body],
                       check=True, capture_output=True, timeout=60)

    def deliver(self, message, to=ALICE):
        with smtplib.SMTP("127.0.0.1", self.port("smtp"), timeout=15) as s:
            s.send_message(message, to_addrs=[to])

    def watch(self, *args):
        w = Watch(self.env, *args)
        self.addCleanup(w.stop)
        self.assertTrue(w.stderr_until("watching"), w.err.decode())
        return w

    def ids(self, mailbox="INBOX", *extra):
        _, out, _ = self.pm("ls", mailbox, "--json", *extra)
        return [json.loads(line) for line in out.splitlines()]


class LoginTest(ClientTest):
    def test_login_stores_a_private_token_and_logout_revokes_it(self):
        _, out, _ = self.login()
        self.assertIn("logged in as " + ALICE, out)
        path = os.path.join(self.env["XDG_CONFIG_HOME"], "pushmail", "login.json")
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        with open(path) as f:
            token = json.load(f)["token"]
        self.assertEqual(self.ids(), [])
        _, out, _ = self.pm("logout")
        self.assertIn("logged out", out)
        self.assertFalse(os.path.exists(path))
        # The server has forgotten the token.
        code, out, _ = self.pm_curl_status(token)
        self.assertEqual(code, "401")
        rc, _, err = self.pm("ls", check=False)
        self.assertEqual(rc, 5)
        self.assertIn("not logged in", err)

    def pm_curl_status(self, token):
        r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert",
                            self.ca(), "-H", "Authorization: Bearer " + token,
                            self.url() + "/.well-known/jmap"], capture_output=True, timeout=30)
        return r.stdout.decode(), "", ""

    def test_wrong_password(self):
        rc, _, err = self.pm("login", self.url(), "--user", ALICE, "--password-stdin",
                             "--ca", self.ca(), input="nope\n", check=False)
        self.assertEqual(rc, 5)
        self.assertIn("wrong username or password", err)

    def test_untrusted_certificate_says_how_to_pass_ca(self):
        rc, _, err = self.pm("login", self.url(), "--user", ALICE, "--password-stdin",
                             input="alice-pw\n", check=False)
        self.assertEqual(rc, 4)
        self.assertIn("not trusted", err)
        self.assertIn("--ca FILE", err)
        # --insecure is the other way.
        self.pm("login", self.url(), "--user", ALICE, "--password-stdin", "--insecure",
                input="alice-pw\n")
        self.assertEqual(self.ids(), [])

    def test_unreachable_server(self):
        self.login()
        port = self.port("http")
        self.server.stop()
        rc, _, err = self.pm("ls", check=False)
        self.assertEqual(rc, 3)
        self.assertIn(f"cannot reach https://127.0.0.1:{port}", err)
        rc, _, err = self.pm("login", self.url(), "--user", ALICE, "--password-stdin",
                             "--ca", self.ca(), input="alice-pw\n", check=False)
        self.assertEqual(rc, 3)
        self.assertIn("cannot reach", err)

    def test_revoked_token_says_to_log_in_again(self):
        self.login()
        path = os.path.join(self.env["XDG_CONFIG_HOME"], "pushmail", "login.json")
        with open(path) as f:
            saved = f.read()
        self.pm("logout")
        with open(path, "w") as f:  # the token the server no longer knows
            f.write(saved)
        for args in (["ls"], ["read", "E1"], ["watch"]):
            rc, _, err = self.pm(*args, check=False)
            self.assertEqual(rc, 5, args)
            self.assertIn("log in again", err)
            self.assertIn("pushmail login " + self.url(), err)

    def test_bad_url(self):
        rc, _, err = self.pm("login", "http://127.0.0.1:1", "--user", ALICE, input="x\n",
                             check=False)
        self.assertEqual(rc, 2)
        self.assertIn("https://HOST[:PORT]", err)


class WatchTest(ClientTest):
    def test_json_line_for_mail_delivered_by_swaks(self):
        self.login()
        out_file = os.path.join(self.home, "exec.out")
        w = self.watch("--json", "--exec",
                       f'printf "%s|%s|%s\\n" "$PUSHMAIL_ID" "$PUSHMAIL_SUBJECT" '
                       f'"$PUSHMAIL_FROM" >> {out_file}')
        self.swaks("pushed now", body="the pushed body")
        lines = w.lines(1)
        self.assertEqual(len(lines), 1, w.err.decode())
        m = json.loads(lines[0])
        self.assertEqual(m["subject"], "pushed now")
        self.assertEqual(m["from"], "carol@remote.example")
        self.assertEqual(m["mailbox"], "INBOX")
        self.assertIn("the pushed body", m["preview"])
        self.assertTrue(m["id"])
        # The shell creates the file for its redirection before printf writes the line: wait
        # for a whole line, not for the file.
        deadline = time.monotonic() + WAIT
        written = ""
        while not written.endswith("\n") and time.monotonic() < deadline:
            time.sleep(0.05)
            if os.path.exists(out_file):
                with open(out_file) as f:
                    written = f.read()
        self.assertEqual(written, f"{m['id']}|pushed now|carol@remote.example\n")

    def test_text_line(self):
        self.login()
        w = self.watch()
        self.swaks("a text line", body="preview words")
        lines = w.lines(1)
        self.assertEqual(len(lines), 1, w.err.decode())
        self.assertIn("carol@remote.example  a text line  preview words", lines[0])

    def test_eventsource_fallback(self):
        self.login()
        w = self.watch("--json", "--eventsource")
        self.assertIn(b"EventSource", w.err)
        self.swaks("over eventsource")
        lines = w.lines(1)
        self.assertEqual(len(lines), 1, w.err.decode())
        self.assertEqual(json.loads(lines[0])["subject"], "over eventsource")

    def test_sent_copies_are_not_new_mail(self):
        self.login()
        w = self.watch("--json")
        self.pm("send", "--to", BOB, "--subject", "outgoing", input="body\n")
        self.swaks("incoming")
        lines = w.lines(1)
        self.assertEqual([json.loads(x)["subject"] for x in lines], ["incoming"])

    def test_resumes_after_the_server_was_down_once_and_only_once(self):
        self.login()
        w = self.watch("--json", "--max-backoff", "1")
        self.swaks("before")
        first = w.lines(1)
        self.assertEqual([json.loads(x)["subject"] for x in first], ["before"])

        # The server goes away; mail arrives while the client cannot be connected.
        self.server.fixed_ports = dict(self.server.ports)
        self.assertEqual(self.server.stop(), 0)
        self.assertTrue(w.stderr_until("trying again"), w.err.decode())
        mbox = os.path.join(self.home, "missed.mbox")
        with open(mbox, "w") as f:
            for n in (1, 2, 3):
                f.write(f"From x@remote.example Mon Nov 23 10:00:0{n} 2026\n"
                        f"From: dave@remote.example\nTo: {ALICE}\nSubject: missed {n}\n"
                        f"Message-ID: <missed-{n}@remote.example>\n\nwhile you were away {n}\n\n")
        self.server.admin("import", ALICE, mbox)

        # It comes back on the same port with the same data: the client reconnects by itself.
        self.server.start()
        got = w.lines(3)
        self.assertEqual(sorted(json.loads(x)["subject"] for x in got),
                         ["missed 1", "missed 2", "missed 3"], w.err.decode())
        self.swaks("after")
        got = w.lines(1)
        self.assertEqual([json.loads(x)["subject"] for x in got], ["after"])
        # Nothing was shown twice.
        self.assertEqual(w.lines(1, timeout=2), [])
        self.assertEqual(w.err.count(b"watching"), 2, w.err.decode())

    def test_killed_server_and_mail_while_it_restarts(self):
        self.login()
        w = self.watch("--json", "--max-backoff", "1")
        self.server.fixed_ports = dict(self.server.ports)
        self.server.kill()
        self.assertTrue(w.stderr_until("trying again"), w.err.decode())
        self.server.start()
        self.swaks("right after restart")
        got = w.lines(1)
        self.assertEqual([json.loads(x)["subject"] for x in got], ["right after restart"])
        self.assertEqual(w.lines(1, timeout=2), [])

    def test_rules_move_flag_notify_and_silence(self):
        self.login()
        rules = os.path.join(self.home, "rules.toml")
        with open(rules, "w") as f:
            f.write('[[rule]]\nname = "lists"\nfrom = "*@lists.example"\nmove = "Archive"\n'
                    'mark_read = true\nflag = ["+flagged"]\n\n'
                    '[[rule]]\nsubject = "*[noise]*"\nsilent = true\n\n'
                    '[[rule]]\nname = "boss"\nfrom = "boss@*"\nnotify = true\n')
        w = self.watch("--json", "--rules", rules)
        self.swaks("list mail", sender="news@lists.example")
        self.swaks("[noise] ignore me")
        self.swaks("urgent", sender="boss@remote.example")
        lines = [json.loads(x) for x in w.lines(2)]
        self.assertEqual([m["subject"] for m in lines], ["list mail", "urgent"], w.err.decode())
        self.assertEqual(lines[0]["rules"], ["lists"])
        self.assertEqual(lines[1]["rules"], ["boss"])
        self.assertTrue(lines[1]["notify"])
        self.assertEqual(w.lines(1, timeout=2), [])
        archived = self.ids("Archive")
        self.assertEqual([m["subject"] for m in archived], ["list mail"])
        self.assertIn("$seen", archived[0]["keywords"])
        self.assertIn("$flagged", archived[0]["keywords"])
        self.assertEqual(sorted(m["subject"] for m in self.ids()), ["[noise] ignore me", "urgent"])

    def test_bad_rules_file(self):
        self.login()
        rules = os.path.join(self.home, "rules.toml")
        with open(rules, "w") as f:
            f.write('[[rule]]\nfrom = "x"\nexplode = true\n')
        rc, _, err = self.pm("watch", "--rules", rules, check=False)
        self.assertEqual(rc, 2)
        self.assertIn("line 3, column 11: unknown key 'explode'", err)


def rich_message(subject):
    m = email.message.EmailMessage()
    m["From"] = "Carol <carol@remote.example>"
    m["To"] = ALICE
    m["Subject"] = subject
    m["Message-ID"] = "<rich-1@remote.example>"
    m.set_content("plain text version\n")
    m.add_alternative("<html><body><p>Hello <b>there</b></p><ul><li>one</li><li>two</li></ul>"
                      "<a href='https://example.org/x'>a link</a></body></html>", subtype="html")
    m.add_attachment(b"\x00\x01binary data\xff", maintype="application",
                     subtype="octet-stream", filename="data.bin")
    return m


def html_message(subject):
    m = email.message.EmailMessage()
    m["From"] = "carol@remote.example"
    m["To"] = ALICE
    m["Subject"] = subject
    m.set_content("<html><body><h1>Title</h1><p>Para &amp; more</p>"
                  "<ol><li>first</li><li>second</li></ol><script>hidden()</script></body></html>",
                  subtype="html")
    return m


class MailTest(ClientTest):
    def test_ls_and_read(self):
        self.login()
        self.deliver(rich_message("rich one"))
        self.deliver(html_message("html only"))
        _, out, _ = self.pm("ls")
        lines = out.splitlines()
        self.assertEqual(len(lines), 2)
        self.assertIn("html only", lines[0])  # newest first
        self.assertIn("rich one", lines[1])
        self.assertIn(" N ", lines[0])  # unread
        by_subject = {m["subject"]: m for m in self.ids()}
        rich = by_subject["rich one"]["id"]
        html = by_subject["html only"]["id"]

        save = os.path.join(self.home, "saved")
        _, out, _ = self.pm("read", rich, "--save", save)
        self.assertIn("From: Carol <carol@remote.example>", out)
        self.assertIn("Subject: rich one", out)
        self.assertIn("plain text version", out)
        self.assertNotIn("<b>", out)
        self.assertIn("Attachments:\n  [1] data.bin (application/octet-stream", out)
        with open(os.path.join(save, "data.bin"), "rb") as f:
            self.assertEqual(f.read(), b"\x00\x01binary data\xff")

        _, out, _ = self.pm("read", html)
        self.assertIn("Title\n\nPara & more\n\n1. first\n2. second", out)
        self.assertNotIn("hidden", out)
        self.assertNotIn("<", out.split("\n\n", 1)[1])

        # Reading marked them read.
        self.assertEqual(self.ids("INBOX", "--unread"), [])
        self.pm("flag", html, "-seen", "+flagged")
        unread = self.ids("INBOX", "--unread")
        self.assertEqual([m["id"] for m in unread], [html])
        self.assertIn("$flagged", unread[0]["keywords"])
        _, out, _ = self.pm("ls", "--limit", "1")
        self.assertEqual(len(out.splitlines()), 1)
        self.assertIn("NF", out)

    def test_mv_rm_and_unknown_ids(self):
        self.login()
        self.swaks("one")
        self.swaks("two")
        ids = {m["subject"]: m["id"] for m in self.ids()}
        _, out, _ = self.pm("mv", ids["one"], "archive")
        self.assertIn("moved " + ids["one"] + " to Archive", out)
        self.assertEqual([m["subject"] for m in self.ids("Archive")], ["one"])
        self.pm("rm", ids["two"])
        self.assertEqual([m["subject"] for m in self.ids("Trash")], ["two"])
        self.assertEqual(self.ids(), [])

        for args in (["read", "E999"], ["rm", "E999"], ["mv", "E999", "INBOX"],
                     ["flag", "E999", "+seen"]):
            rc, _, err = self.pm(*args, check=False)
            self.assertEqual(rc, 6, args)
            self.assertIn("no message with id E999", err)
        rc, _, err = self.pm("mv", ids["one"], "Nowhere", check=False)
        self.assertEqual(rc, 6)
        self.assertIn("no mailbox 'Nowhere'", err)
        rc, _, err = self.pm("ls", "Nowhere", check=False)
        self.assertEqual(rc, 6)
        rc, _, err = self.pm("flag", ids["one"], "+bad(word", check=False)
        self.assertEqual(rc, 2)

    def test_send_and_reply(self):
        self.login()
        bob = self.client_env("bob")
        self.login(BOB, "bob-pw", env=bob)
        _, out, _ = self.pm("send", "--to", BOB, "--subject", "Grüße", input="Hallo Bob, ça va?\n")
        self.assertIn("sent", out)
        sent = self.ids("Sent")
        self.assertEqual([m["subject"] for m in sent], ["Grüße"])
        self.assertNotIn("$draft", sent[0]["keywords"])
        self.assertEqual(self.ids("Drafts"), [])

        _, out, _ = self.pm("ls", "--json", env=bob)
        got = [json.loads(x) for x in out.splitlines()]
        self.assertEqual([m["subject"] for m in got], ["Grüße"])
        _, raw, _ = self.pm("read", "--raw", got[0]["id"], env=bob)
        self.assertIn("MIME-Version: 1.0", raw)
        self.assertIn("Content-Type: text/plain; charset=utf-8", raw)
        original_id = [line for line in raw.splitlines() if line.lower().startswith("message-id:")]
        self.assertEqual(len(original_id), 1)
        _, text, _ = self.pm("read", got[0]["id"], env=bob)
        self.assertIn("Hallo Bob, ça va?", text)

        self.pm("reply", got[0]["id"], input="Sehr gut, danke.\n", env=bob)
        replies = self.ids()
        self.assertEqual([m["subject"] for m in replies], ["Re: Grüße"])
        _, raw, _ = self.pm("read", "--raw", replies[0]["id"])
        msgid = original_id[0].split(":", 1)[1].strip()
        self.assertIn("In-Reply-To: " + msgid, raw)
        self.assertIn("References: " + msgid, raw)
        _, text, _ = self.pm("read", replies[0]["id"])
        self.assertIn("Sehr gut, danke.", text)
        self.assertIn("> Hallo Bob, ça va?", text)
        self.assertEqual(replies[0]["threadId"], sent[0]["threadId"])
        # The answered message is marked so for bob.
        _, out, _ = self.pm("ls", "--json", env=bob)
        self.assertIn("$answered", json.loads(out.splitlines()[0])["keywords"])

    def test_send_with_editor_and_attachment(self):
        self.login()
        editor = os.path.join(self.home, "editor.sh")
        with open(editor, "w") as f:
            f.write('#!/bin/sh\nsed -i -e "s/^To: .*/To: alice@example.test/" '
                    '-e "s/^Subject: .*/Subject: from the editor/" "$1"\n'
                    'echo "typed in the editor" >> "$1"\n')
        os.chmod(editor, 0o755)
        attachment = os.path.join(self.home, "notes.txt")
        with open(attachment, "w") as f:
            f.write("attached notes\n")
        env = dict(self.env, EDITOR=editor)
        self.pm("send", "--edit", "--attach", attachment, env=env)
        inbox = self.ids()
        self.assertEqual([m["subject"] for m in inbox], ["from the editor"])
        _, out, _ = self.pm("read", inbox[0]["id"])
        self.assertIn("typed in the editor", out)
        self.assertIn("[1] notes.txt (text/plain", out)

    def test_send_errors(self):
        self.login()
        rc, _, err = self.pm("send", "--subject", "nobody", input="text\n", check=False)
        self.assertEqual(rc, 2)
        self.assertIn("no recipient", err)
        rc, _, err = self.pm("send", "--to", "someone@elsewhere.example", "--subject", "x",
                             input="text\n", check=False)
        self.assertEqual(rc, 1)
        self.assertIn("invalidRecipients", err)


class SyncTest(ClientTest):
    def test_sync_then_offline_ls_and_read(self):
        self.login()
        for n in range(25):
            self.swaks(f"message {n}", body=f"body number {n}")
        # On a terminal (script(1) makes one) a long sync draws a progress bar.
        r = subprocess.run(["script", "-qec", PUSHMAIL + " sync", "/dev/null"],
                           stdin=subprocess.DEVNULL, capture_output=True, env=self.env, timeout=120)
        screen = r.stdout.decode().replace("\r", "\n")
        self.assertEqual(r.returncode, 0, screen)
        self.assertIn("sync: [##############################] 25/25 messages", screen)
        self.assertIn("synced 6 mailboxes and 25 messages (25 downloaded, 0 removed)", screen)
        first = self.ids()[0]
        self.pm("rm", first["id"])
        _, out, err = self.pm("sync")
        self.assertIn("25 messages (0 downloaded, 0 removed)", out)
        self.assertNotIn("sync: [", err)  # no bar when stderr is no terminal

        self.server.stop()
        rc, out, err = self.pm("ls", "--limit", "100")
        self.assertIn("offline: showing the cache of", err)
        self.assertEqual(len(out.splitlines()), 24)
        self.assertNotIn(first["subject"] + " ", out)
        _, out, _ = self.pm("ls", "Trash")
        self.assertIn(first["subject"], out)
        _, out, err = self.pm("read", first["id"])
        self.assertIn("body number", out)
        self.assertIn("offline", err)
        rc, _, err = self.pm("read", "E999", check=False)
        self.assertEqual(rc, 6)
        self.assertIn("not in the offline cache", err)


class RulesTestCommand(ClientTest):
    def test_rules_test_against_a_file_and_an_id(self):
        rules = os.path.join(self.home, "rules.toml")
        with open(rules, "w") as f:
            f.write('[[rule]]\nname = "big"\nsize_above = 1000\nmove = "Archive"\n\n'
                    '[[rule]]\nname = "carol"\nfrom = "Carol <*>"\nflag = ["+flagged"]\n'
                    'header = { "X-Team" = "blue" }\n')
        _, out, _ = self.pm("rules", "test", rules)
        self.assertIn("2 rules", out)
        self.assertIn("big: size > 1000 -> move to Archive", out)
        msg = os.path.join(self.home, "m.eml")
        with open(msg, "w") as f:
            f.write("From: Carol <carol@remote.example>\nX-Team: blue\nSubject: hi\n\nshort\n")
        _, out, _ = self.pm("rules", "test", rules, msg)
        self.assertIn("rule 'carol' -> +$flagged", out)

        self.login()
        big = email.message.EmailMessage()
        big["From"] = "carol@remote.example"
        big["Subject"] = "large"
        big.set_content(("x" * 70 + "\n") * 100)
        self.deliver(big)
        ident = self.ids()[0]["id"]
        _, out, _ = self.pm("rules", "test", rules, ident)
        self.assertIn(f"{ident}: rule 'big' -> move to Archive", out)
        rc, _, err = self.pm("rules", "test", rules, "E999", check=False)
        self.assertEqual(rc, 6)

        with open(rules, "w") as f:
            f.write("[[rule]]\nsubject = 'x'\n")
        rc, _, err = self.pm("rules", "test", rules, check=False)
        self.assertEqual(rc, 2)
        self.assertIn("has no action", err)


if __name__ == "__main__":
    unittest.main()
