"""The JMAP push server (issue 4) against python3's http.client and ssl, with the self-signed
certificate the server makes in its data folder."""
import base64
import http.client
import json
import smtplib
import ssl
import unittest

from harness import DOMAIN, ServerTest

ALICE = "alice@" + DOMAIN
BOB = "bob@" + DOMAIN
CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"
ERROR = "urn:ietf:params:jmap:error:"


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class JmapTest(ServerTest):
    server_args = {"listeners": ("smtp", "http")}

    def connect(self):
        context = ssl.create_default_context(cafile=self.server.data + "/tls/cert.pem")
        c = http.client.HTTPSConnection("127.0.0.1", self.port("http"), timeout=15,
                                        context=context)
        self.addCleanup(c.close)
        return c

    def request(self, method, path, body=None, user=ALICE, password="alice-pw", headers=None,
                conn=None):
        """Returns (status, headers, body bytes)."""
        c = conn or self.connect()
        h = dict(headers or {})
        if user:
            h["Authorization"] = basic(user, password)
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        return r.status, r, r.read()

    def api(self, calls, user=ALICE, password="alice-pw", using=(CORE, MAIL)):
        status, _, body = self.request("POST", "/jmap/api",
                                       {"using": list(using), "methodCalls": calls}, user,
                                       password)
        self.assertEqual(status, 200, body)
        return json.loads(body)["methodResponses"]

    def session(self, user=ALICE, password="alice-pw"):
        status, _, body = self.request("GET", "/.well-known/jmap", user=user, password=password)
        self.assertEqual(status, 200, body)
        return json.loads(body)

    def deliver(self, subject, to=ALICE):
        msg = (f"From: Carol <carol@elsewhere.test>\r\nTo: {to}\r\nSubject: {subject}\r\n"
               f"Message-ID: <{subject.replace(' ', '.')}@test>\r\n\r\nbody of {subject}\r\n")
        with smtplib.SMTP("127.0.0.1", self.port("smtp"), timeout=15) as c:
            c.sendmail("carol@elsewhere.test", [to], msg.encode())

    def open_events(self, query="types=*&closeafter=no&ping=0", user=ALICE, password="alice-pw"):
        c = self.connect()
        c.request("GET", "/jmap/eventsource/?" + query,
                  headers={"Authorization": basic(user, password), "Accept": "text/event-stream"})
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("Content-Type"), "text/event-stream")
        return r

    def test_session_resource_needs_auth_and_advertises_real_limits(self):
        status, r, _ = self.request("GET", "/.well-known/jmap", user=None)
        self.assertEqual(status, 401)
        self.assertIn("Basic", r.getheader("WWW-Authenticate"))
        s = self.session()
        core = s["capabilities"][CORE]
        self.assertEqual(core["maxCallsInRequest"], 64)
        self.assertEqual(core["maxSizeRequest"], 10485760)
        self.assertIn(MAIL, s["capabilities"])
        account = s["primaryAccounts"][MAIL]
        self.assertEqual(s["accounts"][account]["name"], ALICE)
        self.assertEqual(s["username"], ALICE)
        for key in ("apiUrl", "downloadUrl", "uploadUrl", "eventSourceUrl"):
            self.assertTrue(s[key].startswith("https://127.0.0.1:"), s[key])
        self.assertIn("{types}", s["eventSourceUrl"])
        self.assertTrue(s["state"])

    def test_echo_errors_and_keep_alive(self):
        c = self.connect()
        calls = [["Core/echo", {"hello": [1, "two"]}, "a"], ["Nope/nope", {}, "b"]]
        status, _, body = self.request("POST", "/jmap/api", {"using": [CORE], "methodCalls": calls},
                                       conn=c)
        responses = json.loads(body)["methodResponses"]
        self.assertEqual(responses[0], ["Core/echo", {"hello": [1, "two"]}, "a"])
        self.assertEqual(responses[1][0], "error")
        self.assertEqual(responses[1][1]["type"], "unknownMethod")
        cases = [
            (b"{nope", "notJSON"),
            (b'{"using":[],"methodCalls":{}}', "notRequest"),
            (b'{"using":["urn:x:nope"],"methodCalls":[]}', "unknownCapability"),
            (json.dumps({"using": [CORE],
                         "methodCalls": [["Core/echo", {}, str(i)] for i in range(65)]}).encode(),
             "limit"),
        ]
        for body, kind in cases:
            status, r, answer = self.request("POST", "/jmap/api", body, conn=c)
            self.assertEqual(status, 400, answer)
            self.assertEqual(r.getheader("Content-Type"), "application/problem+json")
            problem = json.loads(answer)
            self.assertEqual(problem["type"], ERROR + kind)
            if kind == "limit":
                self.assertEqual(problem["limit"], "maxCallsInRequest")
        # HTTP errors on the same connection, which goes on after each.
        self.assertEqual(self.request("GET", "/nope", conn=c)[0], 404)
        status, r, _ = self.request("GET", "/jmap/api", conn=c)
        self.assertEqual(status, 405)
        self.assertIn("POST", r.getheader("Allow"))
        self.assertEqual(self.request("GET", "/healthz", user=None, conn=c)[2], b"ok\n")

    def test_bad_http_gets_http_errors(self):
        status, _, _ = self.request("GET", "/healthz", user=None,
                                    headers={"X-Big": "x" * 20000})
        self.assertEqual(status, 431)
        # Refused on the header, before the body is sent (as after "Expect: 100-continue").
        c = self.connect()
        c.putrequest("POST", "/jmap/api")
        c.putheader("Authorization", basic(ALICE, "alice-pw"))
        c.putheader("Content-Length", str(10485760 + 1))
        c.endheaders()
        r = c.getresponse()
        self.assertEqual(r.status, 413)
        self.assertEqual(json.loads(r.read())["limit"], "maxSizeRequest")
        status, r, _ = self.request("OPTIONS", "/jmap/api", user=None, headers={
            "Origin": "https://app.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type"})
        self.assertEqual(status, 204)
        self.assertEqual(r.getheader("Access-Control-Allow-Origin"), "*")
        self.assertIn("POST", r.getheader("Access-Control-Allow-Methods"))

    def test_basic_auth_failure(self):
        status, r, _ = self.request("GET", "/.well-known/jmap", password="wrong")
        self.assertEqual(status, 401)
        self.assertIn('realm="pushmail"', r.getheader("WWW-Authenticate"))
        status, _, _ = self.request("POST", "/jmap/api", {"using": [], "methodCalls": []},
                                    user="nobody@" + DOMAIN, password="x")
        self.assertEqual(status, 401)
        self.assertEqual(self.session()["username"], ALICE)

    def test_authenticated_responses_are_never_compressed(self):
        # BREACH (docs/architecture.md, "Compression"): a response that holds a secret beside
        # text the request chose is sent as it is, whatever the client accepts.
        status, r, body = self.request("GET", "/.well-known/jmap",
                                       headers={"Accept-Encoding": "gzip, deflate"})
        self.assertEqual(status, 200)
        self.assertIsNone(r.getheader("Content-Encoding"))
        self.assertEqual(json.loads(body)["username"], ALICE)
        status, r, body = self.request("POST", "/jmap/api", json.dumps({
            "using": ["urn:ietf:params:jmap:core"],
            "methodCalls": [["Core/echo", {"pad": "x" * 4000}, "0"]]}).encode(),
            headers={"Accept-Encoding": "gzip", "Content-Type": "application/json"})
        self.assertEqual(status, 200)
        self.assertIsNone(r.getheader("Content-Encoding"))

    def test_one_account_cannot_read_anothers_mailboxes_or_emails(self):
        self.deliver("for alice only")
        alice = self.session()["primaryAccounts"][MAIL]
        bob = self.session(BOB, "bob-pw")["primaryAccounts"][MAIL]
        self.assertNotEqual(alice, bob)
        mine = self.api([["Mailbox/get", {"accountId": alice}, "m"],
                         ["Email/changes", {"accountId": alice, "sinceState": "0"}, "c"]])
        inbox = [m for m in mine[0][1]["list"] if m["role"] == "inbox"][0]
        self.assertEqual(inbox["totalEmails"], 1)
        email = mine[1][1]["created"][0]
        theirs = self.api([["Mailbox/get", {"accountId": alice}, "1"],
                           ["Email/get", {"accountId": alice, "ids": [email]}, "2"],
                           ["Mailbox/get", {"accountId": bob, "ids": [inbox["id"]]}, "3"],
                           ["Email/get", {"accountId": bob, "ids": [email]}, "4"],
                           ["Email/changes", {"accountId": bob, "sinceState": "0"}, "5"]],
                          BOB, "bob-pw")
        self.assertEqual(theirs[0][1]["type"], "accountNotFound")
        self.assertEqual(theirs[1][1]["type"], "accountNotFound")
        self.assertEqual(theirs[2][1]["list"], [])
        self.assertEqual(theirs[2][1]["notFound"], [inbox["id"]])
        self.assertEqual(theirs[3][1]["list"], [])
        self.assertEqual(theirs[3][1]["notFound"], [email])
        self.assertEqual(theirs[4][1]["created"], [])
        # Bob's event stream hears nothing of Alice's mail: the next state it gets is his own.
        events = self.open_events(user=BOB, password="bob-pw")
        first = self.next_state(events)
        self.assertEqual(list(first["changed"]), [bob])
        self.deliver("for alice again")
        self.deliver("for bob", to=BOB)
        self.assertEqual(list(self.next_state(events)["changed"]), [bob])

    def test_eventsource_push_then_changes_and_get_fetch_exactly_the_new_email(self):
        self.deliver("old news")
        account = self.session()["primaryAccounts"][MAIL]
        events = self.open_events()
        first = self.next_state(events)
        self.assertEqual(first["@type"], "StateChange")
        since = first["changed"][account]["Email"]
        seq = first["pushSeq"][account]
        self.deliver("fresh news")
        change = self.next_state(events)
        self.assertEqual(change["pushSeq"][account], seq + 1)  # no push missed
        new_state = change["changed"][account]["Email"]
        self.assertNotEqual(new_state, since)
        responses = self.api([
            ["Email/changes", {"accountId": account, "sinceState": since}, "c"],
            ["Email/get", {"accountId": account,
                           "#ids": {"resultOf": "c", "name": "Email/changes", "path": "/created"},
                           "properties": ["id", "subject", "from", "to", "mailboxIds", "keywords",
                                          "size", "receivedAt", "preview", "blobId", "threadId"]},
             "g"]])
        changes = responses[0][1]
        self.assertEqual(len(changes["created"]), 1)
        self.assertEqual(changes["newState"], new_state)
        self.assertFalse(changes["hasMoreChanges"])
        emails = responses[1][1]["list"]
        self.assertEqual([e["subject"] for e in emails], ["fresh news"])
        self.assertEqual(emails[0]["from"], [{"name": "Carol", "email": "carol@elsewhere.test"}])
        self.assertEqual(emails[0]["to"][0]["email"], ALICE)
        self.assertEqual(emails[0]["preview"], "body of fresh news")
        self.assertEqual(len(emails[0]["mailboxIds"]), 1)
        self.assertGreater(emails[0]["size"], 0)
        status, _, metrics = self.request("GET", "/metrics", user=None)
        self.assertIn(b'pushmail_connections{kind="eventsource"} 1\n', metrics)
        self.assertIn(b"pushmail_pushes_total 1\n", metrics)
        # The commit -> push histogram counted that push (its value is a figure, not a test).
        self.assertIn(b"pushmail_push_latency_seconds_count 1\n", metrics)
        # Internal errors a JMAP method answered with serverFail: none here.
        self.assertIn(b"pushmail_jmap_server_errors_total 0\n", metrics)

    def test_eventsource_closeafter_state_and_ping(self):
        stream = self.open_events("types=Email&closeafter=state&ping=1")
        self.assertEqual(self.next_event(stream)[0], "ping")  # ping: nothing changed meanwhile
        self.deliver("wake up")
        change = self.next_state(stream)
        self.assertEqual(set(next(iter(change["changed"].values()))), {"Email"})
        self.assertIsNone(self.next_event(stream))  # closed after the state event
        c = self.connect()
        c.request("GET", "/jmap/eventsource/?types=*&closeafter=maybe&ping=0",
                  headers={"Authorization": basic(ALICE, "alice-pw")})
        self.assertEqual(c.getresponse().status, 400)


if __name__ == "__main__":
    unittest.main()
