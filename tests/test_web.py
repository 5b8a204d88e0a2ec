"""The web client served at / by the real pushmaild: its files and headers over HTTPS, then
tests/web/web_test.js drives it in Debian's Chromium with playwright-core (log in, new mail
pushed without a reload, read, reply, delete, a notification while hidden). The server's
mailboxes are checked afterwards here, so the browser's word is not the only evidence.

playwright-core comes from tests/web/package-lock.json, installed with `npm ci` into the build
folder the first time (and whenever the lock changes); it never downloads a browser."""
import gzip
import http.client
import os
import re
import shutil
import ssl
import subprocess
import unittest

from harness import DOMAIN, ServerTest

ALICE = "alice@" + DOMAIN
BOB = "bob@" + DOMAIN
HERE = os.path.dirname(os.path.abspath(__file__))
WEB = os.path.join(HERE, "web")
ARTIFACTS = os.environ.get("WEB_ARTIFACTS", os.path.join(HERE, "..", "build", "web-test"))
CHROMIUM = "/usr/bin/chromium"
NODE_TIMEOUT = 300


def install_playwright():
    """npm ci into ARTIFACTS/npm unless the same lock is installed there; returns node_modules."""
    target = os.path.join(ARTIFACTS, "npm")
    os.makedirs(target, exist_ok=True)
    with open(os.path.join(WEB, "package-lock.json"), "rb") as f:
        lock = f.read()
    stamp = os.path.join(target, "installed-lock.json")
    modules = os.path.join(target, "node_modules")
    if os.path.exists(stamp) and os.path.isdir(modules):
        with open(stamp, "rb") as f:
            if f.read() == lock:
                return modules
    for name in ("package.json", "package-lock.json"):
        shutil.copy(os.path.join(WEB, name), target)
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--prefer-offline"], cwd=target,
                   check=True, timeout=600)
    with open(stamp, "wb") as f:
        f.write(lock)
    return modules


class WebClientTest(ServerTest):
    server_args = {"listeners": ("smtp", "http")}

    def https(self):
        context = ssl.create_default_context(
            cafile=os.path.join(self.server.data, "tls", "cert.pem"))
        context.check_hostname = False
        return http.client.HTTPSConnection("127.0.0.1", self.port("http"), context=context,
                                           timeout=15)

    def get(self, target, headers=None):
        conn = self.https()
        conn.putrequest("GET", target, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        body = response.read()
        conn.close()
        return response, body

    def test_serves_the_client_with_its_policy_caching_and_gzip(self):
        response, page = self.get("/")
        self.assertEqual(response.status, 200)
        self.assertEqual(response.getheader("Content-Type"), "text/html; charset=utf-8")
        csp = response.getheader("Content-Security-Policy")
        self.assertIn("default-src 'none'", csp)
        self.assertIn("script-src 'self'", csp)
        self.assertNotIn("unsafe", csp)
        self.assertEqual(response.getheader("X-Content-Type-Options"), "nosniff")
        self.assertIn(b'<script type="module" src="/app.js"', page)
        etag = response.getheader("ETag")
        conn = self.https()
        conn.request("HEAD", "/")
        head = conn.getresponse()
        self.assertEqual((head.status, head.read()), (200, b""))
        self.assertEqual(int(head.getheader("Content-Length")), len(page))
        self.assertEqual(head.getheader("ETag"), etag)
        conn.close()
        response, body = self.get("/", {"If-None-Match": etag})
        self.assertEqual((response.status, body), (304, b""))
        response, script = self.get("/app.js", {"Accept-Encoding": "gzip"})
        self.assertEqual(response.status, 200)
        self.assertEqual(response.getheader("Content-Type"), "text/javascript; charset=utf-8")
        self.assertEqual(response.getheader("Content-Encoding"), "gzip")
        self.assertIn(b"EventSource", gzip.decompress(script))
        for module in ("/jmap.js", "/format.js"):
            response, _ = self.get(module)
            self.assertEqual(response.getheader("Content-Type"), "text/javascript; charset=utf-8")
        response, _ = self.get("/app.css")
        self.assertEqual(response.getheader("Content-Type"), "text/css; charset=utf-8")
        for target in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2fCMakeLists.txt",
                       "/index.html/", "//app.js", "/app.js%00", "/src/client/web/app.js",
                       "/nothing.js"):
            response, _ = self.get(target)
            self.assertIn(response.status, (400, 404), target)
        conn = self.https()
        conn.request("POST", "/app.js", body=b"x")
        response = conn.getresponse()
        response.read()
        self.assertEqual(response.status, 405)
        self.assertEqual(response.getheader("Allow"), "GET, HEAD")
        conn.close()

    def test_a_bad_token_is_not_answered_with_a_basic_challenge(self):
        # A Basic challenge would make the browser open its own login dialog over the client.
        for target in ("/.well-known/jmap", "/jmap/eventsource/?types=*&closeafter=no&ping=0"
                       "&token=bad"):
            conn = self.https()
            headers = {} if "token=" in target else {"Authorization": "Bearer nope"}
            conn.request("GET", target, headers=headers)
            response = conn.getresponse()
            response.read()
            conn.close()
            self.assertEqual(response.status, 401, target)
            challenges = response.msg.get_all("WWW-Authenticate")
            self.assertEqual(challenges, ['Bearer realm="pushmail", error="invalid_token"'])
        response, _ = self.get("/.well-known/jmap")  # no credentials at all: both offered
        self.assertIn("Basic", " ".join(response.msg.get_all("WWW-Authenticate")))

    def test_browser_logs_in_sees_pushed_mail_reads_replies_deletes(self):
        self.assertTrue(os.path.exists(CHROMIUM), "chromium is missing: run scripts/install-deps")
        modules = install_playwright()
        env = dict(os.environ, NODE_PATH=modules, PUSHMAIL_URL=f"https://127.0.0.1:{self.port('http')}/",
                   SMTP_PORT=str(self.port("smtp")), WEB_ARTIFACTS=os.path.abspath(ARTIFACTS),
                   WEB_USER=ALICE, WEB_PASSWORD="alice-pw", WEB_SENDER=BOB, CHROMIUM=CHROMIUM)
        result = subprocess.run(["node", os.path.join(WEB, "web_test.js")], env=env,
                                capture_output=True, text=True, timeout=NODE_TIMEOUT)
        print(result.stdout)
        print(result.stderr)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr + self.server.log())
        self.assertTrue(os.path.exists(os.path.join(ARTIFACTS, "web-client.png")))
        # What the browser did, as the store has it.
        bob = self.server.export(BOB)
        self.assertIn(b"Subject: Re: Hello from SMTP", bob)
        self.assertIn(b"Thanks, got it.", bob)
        self.assertIn(b"In-Reply-To: <", bob)
        self.assertIn(b"Subject: Re: Hello from SMTP", self.server.export(ALICE, "Sent"))
        drafts = self.server.export(ALICE, "Drafts")
        self.assertNotIn(b"Subject: Re:", drafts)
        # Refused (no relay to elsewhere.test): the second try's draft replaced the first's.
        self.assertIn(b"Subject: Far away, again", drafts)
        self.assertIsNone(re.search(rb"Subject: Far away\r?\n", drafts))
        trash = self.server.export(ALICE, "Trash")
        self.assertIn(b"Subject: Hello from SMTP", trash)
        inbox = self.server.export(ALICE, "INBOX")
        self.assertNotIn(b"Subject: Hello from SMTP", inbox)
        self.assertNotIn(b"Subject: Second message", inbox)
        self.assertIn(b"Subject: Second message", self.server.export(ALICE, "Archive"))


if __name__ == "__main__":
    unittest.main()
