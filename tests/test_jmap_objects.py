"""JMAP beyond Email (issue 4): Mailbox/set and /query, Thread, Identity, VacationResponse and
EmailSubmission against the real server, with python3's http.client, imaplib and smtplib. Every
method is also tried by a second account, which must neither see nor touch the first's objects.
"""
import base64
import http.client
import imaplib
import json
import smtplib
import ssl
import time
import unittest

from harness import DOMAIN, ServerTest

ALICE = "alice@" + DOMAIN
BOB = "bob@" + DOMAIN
CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"
SUBMISSION = "urn:ietf:params:jmap:submission"
VACATION = "urn:ietf:params:jmap:vacationresponse"
ALL = (CORE, MAIL, SUBMISSION, VACATION)
PASSWORDS = {ALICE: "alice-pw", BOB: "bob-pw"}


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class JmapObjectsTest(ServerTest):
    server_args = {"listeners": ("smtp", "http", "imap")}

    # --- The harness of test_jmap.py, for any of the two users.

    def connect(self):
        context = ssl.create_default_context(cafile=self.server.data + "/tls/cert.pem")
        c = http.client.HTTPSConnection("127.0.0.1", self.port("http"), timeout=15,
                                        context=context)
        self.addCleanup(c.close)
        return c

    def request(self, method, path, body=None, user=ALICE):
        c = self.connect()
        headers = {"Authorization": basic(user, PASSWORDS[user])}
        if body is not None:
            body = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        return r.status, r.read()

    def api(self, calls, user=ALICE, using=ALL):
        status, body = self.request("POST", "/jmap/api",
                                    {"using": list(using), "methodCalls": calls}, user)
        self.assertEqual(status, 200, body)
        return json.loads(body)["methodResponses"]

    def call(self, method, args, user=ALICE, account=None):
        """One method call with accountId filled in; returns (name, arguments)."""
        args = dict(args)
        args.setdefault("accountId", account or self.account(user))
        name, answer, _ = self.api([[method, args, "c"]], user)[0]
        return name, answer

    def ok(self, method, args, user=ALICE):
        name, answer = self.call(method, args, user)
        self.assertEqual(name, method, answer)
        return answer

    def account(self, user=ALICE):
        if not hasattr(self, "_accounts"):
            self._accounts = {}
        if user not in self._accounts:
            status, body = self.request("GET", "/.well-known/jmap", user=user)
            self.assertEqual(status, 200)
            self._accounts[user] = json.loads(body)["primaryAccounts"][MAIL]
        return self._accounts[user]

    def open_events(self, types="*", user=ALICE):
        c = self.connect()
        c.request("GET", f"/jmap/eventsource/?types={types}&closeafter=no&ping=0",
                  headers={"Authorization": basic(user, PASSWORDS[user])})
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        return r

    def deliver(self, subject, to=ALICE, sender="carol@elsewhere.test", headers=""):
        msg = (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n{headers}"
               f"Message-ID: <{subject.replace(' ', '.')}@test>\r\n\r\nbody of {subject}\r\n")
        with smtplib.SMTP("127.0.0.1", self.port("smtp"), timeout=15) as c:
            c.sendmail(sender, [to], msg.encode())

    def imap(self, user=ALICE):
        c = imaplib.IMAP4("127.0.0.1", self.port("imap"))
        c.login(user, PASSWORDS[user])
        self.addCleanup(c.logout)
        return c

    @staticmethod
    def imap_names(imap):
        status, lines = imap.list()
        return [line.decode().rsplit(' "/" ', 1)[1].strip('"') for line in lines]

    def mailbox_ids(self, user=ALICE):
        answer = self.ok("Mailbox/get", {"properties": ["name", "role", "parentId"]}, user)
        return {m["name"]: m["id"] for m in answer["list"]}

    def emails(self, user=ALICE, properties=("subject", "mailboxIds", "keywords", "threadId")):
        """Every email of `user`, via Email/changes from the start and Email/get."""
        responses = self.api([
            ["Email/changes", {"accountId": self.account(user), "sinceState": "0"}, "c"],
            ["Email/get", {"accountId": self.account(user), "properties": list(properties),
                           "#ids": {"resultOf": "c", "name": "Email/changes",
                                    "path": "/created"}}, "g"]], user)
        return responses[1][1]["list"]

    def wait_for(self, predicate, what, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.1)
        self.fail("timed out waiting for " + what)

    # --- The session resource.

    def test_session_advertises_submission_and_vacation_with_real_limits(self):
        status, body = self.request("GET", "/.well-known/jmap")
        s = json.loads(body)
        for capability in ALL:
            self.assertIn(capability, s["capabilities"])
            self.assertEqual(s["primaryAccounts"][capability], self.account())
        capabilities = s["accounts"][self.account()]["accountCapabilities"]
        self.assertEqual(capabilities[SUBMISSION],
                         {"maxDelayedSend": 0, "submissionExtensions": {}})
        self.assertEqual(capabilities[VACATION], {})
        self.assertEqual(capabilities[MAIL]["maxMailboxDepth"], 32)
        # Without the capability in "using", the methods do not exist.
        answer = self.api([["EmailSubmission/get", {"accountId": self.account()}, "a"],
                           ["VacationResponse/get", {"accountId": self.account()}, "b"]],
                          using=(CORE, MAIL))
        self.assertEqual([r[1]["type"] for r in answer], ["unknownMethod", "unknownMethod"])

    # --- Mailboxes.

    def test_mailbox_set_goes_through_the_store_so_imap_and_push_see_it(self):
        events = self.open_events("Mailbox")
        first = self.next_state(events)["changed"][self.account()]["Mailbox"]
        created = self.ok("Mailbox/set", {"create": {
            "kid": {"name": "2026", "parentId": "#top"},
            "top": {"name": "Projects", "sortOrder": 3, "isSubscribed": True}}})
        self.assertIsNone(created["notCreated"], created)
        top, kid = created["created"]["top"]["id"], created["created"]["kid"]["id"]
        pushed = self.next_state(events)["changed"][self.account()]["Mailbox"]
        self.assertNotEqual(pushed, first)
        imap = self.imap()
        self.assertIn("Projects/2026", self.imap_names(imap))
        # Renamed and moved by JMAP: IMAP sees the new path at once.
        answer = self.ok("Mailbox/set", {"update": {kid: {"name": "Q1", "parentId": None}}})
        self.assertIn(kid, answer["updated"])
        names = self.imap_names(imap)
        self.assertIn("Q1", names)
        self.assertNotIn("Projects/2026", names)
        # IMAP CREATE shows up in Mailbox/changes.
        imap.create("FromImap")
        changes = self.ok("Mailbox/changes", {"sinceState": answer["newState"]})
        self.assertEqual(changes["created"], [self.mailbox_ids()["FromImap"]])
        # Deliveries change counts only.
        self.deliver("counted")
        since = changes["newState"]
        changes = self.wait_for(
            lambda: (lambda c: c if c["updated"] else None)(
                self.ok("Mailbox/changes", {"sinceState": since})), "the delivery")
        self.assertEqual(changes["updatedProperties"],
                         ["totalEmails", "unreadEmails", "totalThreads", "unreadThreads"])
        # Destroy: children first, emails only when asked.
        imap.select("Q1")
        imap.append("Q1", None, None, b"Subject: kept\r\n\r\nhi\r\n")
        imap.close()
        answer = self.ok("Mailbox/set", {"destroy": [top, kid]})
        self.assertEqual(answer["destroyed"], [top])
        self.assertEqual(answer["notDestroyed"][kid]["type"], "mailboxHasEmail")
        answer = self.ok("Mailbox/set", {"destroy": [kid], "onDestroyRemoveEmails": True})
        self.assertEqual(answer["destroyed"], [kid])
        self.assertNotIn("Q1", self.imap_names(imap))
        inbox = self.mailbox_ids()["INBOX"]
        answer = self.ok("Mailbox/set", {"destroy": [inbox], "update": {
            inbox: {"name": "Elsewhere"}}})
        self.assertEqual(answer["notDestroyed"][inbox]["type"], "forbidden")
        self.assertEqual(answer["notUpdated"][inbox]["type"], "forbidden")
        name, error = self.call("Mailbox/set", {"ifInState": "1", "destroy": []})
        self.assertEqual(error["type"], "stateMismatch")

    def test_mailbox_counts_threads_and_query(self):
        self.deliver("first")
        self.deliver("second", headers="In-Reply-To: <first@test>\r\n")
        self.deliver("alone")
        inbox = self.wait_for(
            lambda: [m for m in self.ok("Mailbox/get", {})["list"]
                     if m["role"] == "inbox" and m["totalEmails"] == 3], "three emails")[0]
        self.assertEqual(inbox["totalThreads"], 2)
        self.assertEqual(inbox["unreadThreads"], 2)
        self.ok("Mailbox/set", {"create": {"a": {"name": "alpha", "isSubscribed": False}}})
        answer = self.ok("Mailbox/query", {
            "filter": {"operator": "OR", "conditions": [{"role": "inbox"},
                                                        {"isSubscribed": False}]},
            "sort": [{"property": "name", "isAscending": True}], "calculateTotal": True})
        ids = self.mailbox_ids()
        self.assertEqual(answer["ids"], [ids["alpha"], ids["INBOX"]])
        self.assertEqual(answer["total"], 2)
        state = answer["queryState"]
        self.ok("Mailbox/set", {"update": {ids["alpha"]: {"isSubscribed": True}}})
        changes = self.ok("Mailbox/queryChanges", {
            "sinceQueryState": state, "calculateTotal": True,
            "filter": {"operator": "OR", "conditions": [{"role": "inbox"},
                                                        {"isSubscribed": False}]},
            "sort": [{"property": "name", "isAscending": True}]})
        self.assertEqual(changes["removed"], [ids["alpha"]])
        self.assertEqual(changes["added"], [])
        self.assertEqual(changes["total"], 1)
        tree = self.ok("Mailbox/query", {"filter": {"hasAnyRole": True}, "sortAsTree": True,
                                         "position": 1, "limit": 2})
        self.assertEqual(tree["position"], 1)
        self.assertEqual(len(tree["ids"]), 2)

    # --- Threads.

    def test_thread_get_lists_the_conversation_oldest_first(self):
        self.deliver("hello")
        time.sleep(1.1)  # receivedAt has second precision
        self.deliver("re hello", headers="References: <hello@test>\r\n")
        emails = self.wait_for(lambda: (lambda e: e if len(e) == 2 else None)(self.emails()),
                               "two emails")
        self.assertEqual(emails[0]["threadId"], emails[1]["threadId"])
        thread = emails[0]["threadId"]
        answer = self.ok("Thread/get", {"ids": [thread]})
        by_subject = {e["subject"]: e["id"] for e in emails}
        self.assertEqual(answer["list"], [{"id": thread, "emailIds": [
            by_subject["hello"], by_subject["re hello"]]}])
        changes = self.ok("Thread/changes", {"sinceState": "0"})
        self.assertEqual(changes["created"], [thread])

    # --- Identity and VacationResponse, pushed.

    def test_identity_and_vacation_response_changes_are_pushed(self):
        events = self.open_events("Identity,VacationResponse")
        first = self.next_state(events)["changed"][self.account()]
        self.assertEqual(set(first), {"Identity", "VacationResponse"})
        identities = self.ok("Identity/get", {})["list"]
        self.assertEqual([(i["email"], i["mayDelete"]) for i in identities], [(ALICE, False)])
        answer = self.ok("Identity/set", {"create": {"w": {
            "name": "Alice at work", "email": ALICE, "textSignature": "-- \nA"}}})
        made = answer["created"]["w"]["id"]
        change = self.next_state(events)["changed"][self.account()]
        self.assertEqual(set(change), {"Identity"})
        self.assertEqual(change["Identity"], answer["newState"])
        answer = self.ok("Identity/set", {"create": {"x": {"email": BOB}}})
        self.assertEqual(answer["notCreated"]["x"]["type"], "forbiddenFrom")
        changes = self.ok("Identity/changes", {"sinceState": first["Identity"]})
        self.assertEqual(changes["created"], [made])
        answer = self.ok("VacationResponse/set", {"update": {"singleton": {
            "isEnabled": True, "subject": "Away", "textBody": "Back on Monday",
            "toDate": "2099-01-01T00:00:00Z"}}})
        self.assertIn("singleton", answer["updated"])
        change = self.next_state(events)["changed"][self.account()]
        self.assertEqual(change, {"VacationResponse": answer["newState"]})
        got = self.ok("VacationResponse/get", {})["list"][0]
        self.assertEqual((got["isEnabled"], got["subject"], got["toDate"]),
                         (True, "Away", "2099-01-01T00:00:00Z"))

    def test_vacation_response_answers_local_senders_once_and_logs_remote_ones(self):
        self.ok("VacationResponse/set", {"update": {"singleton": {
            "isEnabled": True, "subject": "Out of office", "textBody": "Back soon"}}})
        bob_events = self.open_events("Email", user=BOB)
        self.next_state(bob_events)
        self.deliver("are you there", sender=BOB)
        self.next_state(bob_events)  # the auto-reply, pushed to Bob
        replies = self.emails(BOB, ("subject", "from", "inReplyTo"))
        self.assertEqual([(r["subject"], r["from"][0]["email"], r["inReplyTo"])
                          for r in replies], [("Out of office", ALICE, ["are.you.there@test"])])
        # Once per sender: the second message gets no second reply. Lists and remote senders
        # get none; for a remote one, the log says why.
        self.deliver("still there", sender=BOB)
        self.deliver("list mail", sender=BOB, headers="List-Id: <dev.example.test>\r\n")
        self.deliver("from afar", sender="carol@elsewhere.test")
        self.wait_for(lambda: len(self.emails()) == 4, "four emails for alice")
        self.wait_for(lambda: "no outbound relay" in self.server.log(), "the log line")
        self.assertEqual(len(self.emails(BOB)), 1)

    # --- EmailSubmission.

    def draft(self, to=BOB, sender=ALICE, extra=""):
        """Appends a draft to Alice's Drafts over IMAP; returns its JMAP id."""
        imap = self.imap()
        message = (f"From: Alice <{sender}>\r\nTo: {to}\r\n{extra}Subject: lunch?\r\n"
                   f"Message-ID: <draft-{time.monotonic_ns()}@{DOMAIN}>\r\n\r\nAt noon?\r\n")
        status, _ = imap.append("Drafts", r"(\Draft \Seen)", None, message.encode())
        self.assertEqual(status, "OK")
        emails = self.emails(ALICE, ("subject", "mailboxIds"))
        drafts = self.mailbox_ids()["Drafts"]
        return [e["id"] for e in emails if drafts in e["mailboxIds"]][-1]

    def identity(self, user=ALICE):
        return self.ok("Identity/get", {}, user)["list"][0]["id"]

    def test_submission_delivers_locally_pushes_and_moves_the_draft_to_sent(self):
        email = self.draft(extra=f"Bcc: {ALICE}\r\n")
        ids = self.mailbox_ids()
        bob_events = self.open_events("Email", user=BOB)
        self.next_state(bob_events)
        alice_events = self.open_events("EmailSubmission")
        self.next_state(alice_events)
        responses = self.api([["EmailSubmission/set", {
            "accountId": self.account(),
            "create": {"send": {"identityId": self.identity(), "emailId": email}},
            "onSuccessUpdateEmail": {"#send": {
                f"mailboxIds/{ids['Drafts']}": None, f"mailboxIds/{ids['Sent']}": True,
                "keywords/$draft": None}}}, "s"]])
        self.assertEqual([r[0] for r in responses], ["EmailSubmission/set", "Email/set"])
        created = responses[0][1]["created"]["send"]
        self.assertEqual(created["undoStatus"], "final")
        self.assertEqual(set(created["deliveryStatus"]), {BOB, ALICE})
        self.assertIn(email, responses[1][1]["updated"])
        # Bob is pushed the moment it lands, and has it; so has Alice (Bcc), without a Bcc.
        self.assertIn("Email", self.next_state(bob_events)["changed"][self.account(BOB)])
        received = self.emails(BOB, ("subject", "from", "bcc"))
        self.assertEqual([(e["subject"], e["from"][0]["email"], e["bcc"]) for e in received],
                         [("lunch?", ALICE, None)])
        self.assertIn("EmailSubmission",
                      self.next_state(alice_events)["changed"][self.account()])
        mine = {e["id"]: e for e in self.emails()}
        self.assertEqual(mine[email]["mailboxIds"], {ids["Sent"]: True})
        self.assertEqual(mine[email]["keywords"], {"$seen": True})
        # IMAP sees the move too.
        imap = self.imap()
        imap.select("Drafts", readonly=True)
        self.assertEqual(imap.search(None, "ALL")[1], [b""])
        submission = created["id"]
        self.assertEqual(self.ok("EmailSubmission/get", {"ids": [submission]})["list"][0]
                         ["emailId"], email)
        self.assertEqual(self.ok("EmailSubmission/query", {"filter": {"emailIds": [email]}})
                         ["ids"], [submission])
        self.assertEqual(self.ok("EmailSubmission/changes", {"sinceState": "0"})["created"],
                         [submission])
        answer = self.ok("EmailSubmission/set", {"update": {
            submission: {"undoStatus": "canceled"}}})
        self.assertEqual(answer["notUpdated"][submission]["type"], "cannotUnsend")

    def test_submission_refuses_remote_and_unknown_recipients_and_sends_nothing(self):
        email = self.draft(to=f"{BOB}, someone@elsewhere.test")
        answer = self.ok("EmailSubmission/set", {"create": {"s": {
            "identityId": self.identity(), "emailId": email}}})
        error = answer["notCreated"]["s"]
        self.assertEqual(error["type"], "invalidRecipients")
        self.assertEqual(error["invalidRecipients"], ["someone@elsewhere.test"])
        self.assertIn("no outbound relay", error["description"])
        email = self.draft(to=f"nobody@{DOMAIN}")
        answer = self.ok("EmailSubmission/set", {"create": {"s": {
            "identityId": self.identity(), "emailId": email}}})
        self.assertEqual(answer["notCreated"]["s"]["invalidRecipients"], [f"nobody@{DOMAIN}"])
        email = self.draft(sender=BOB)
        answer = self.ok("EmailSubmission/set", {"create": {"s": {
            "identityId": self.identity(), "emailId": email}}})
        self.assertEqual(answer["notCreated"]["s"]["type"], "forbiddenMailFrom")
        self.assertEqual(self.emails(BOB), [])

    # --- Two accounts: every method, both ways of reaching the other's data.

    def test_every_method_keeps_to_its_account(self):
        self.deliver("private")
        alice, bob = self.account(), self.account(BOB)
        email = self.draft()
        sent = self.ok("EmailSubmission/set", {"create": {"s": {
            "identityId": self.identity(), "emailId": email}}})["created"]["s"]["id"]
        thread = self.emails()[0]["threadId"]
        inbox = self.mailbox_ids()["INBOX"]
        identity = self.identity()
        calls = [
            ("Mailbox/get", {}), ("Mailbox/changes", {"sinceState": "0"}),
            ("Mailbox/query", {}), ("Mailbox/queryChanges", {"sinceQueryState": "0"}),
            ("Mailbox/set", {"destroy": [inbox]}),
            ("Thread/get", {"ids": [thread]}), ("Thread/changes", {"sinceState": "0"}),
            ("Identity/get", {}), ("Identity/changes", {"sinceState": "0"}),
            ("Identity/set", {"update": {identity: {"name": "x"}}}),
            ("VacationResponse/get", {}),
            ("VacationResponse/set", {"update": {"singleton": {"isEnabled": True}}}),
            ("EmailSubmission/get", {}), ("EmailSubmission/changes", {"sinceState": "0"}),
            ("EmailSubmission/query", {}),
            ("EmailSubmission/queryChanges", {"sinceQueryState": "0"}),
            ("EmailSubmission/set", {"destroy": [sent]}),
        ]
        for method, args in calls:
            name, answer = self.call(method, args, user=BOB, account=alice)
            self.assertEqual((name, answer["type"]), ("error", "accountNotFound"), method)
        # With his own account, Alice's ids are simply not there.
        def own(method, args):
            return self.ok(method, args, user=BOB)
        self.assertEqual(own("Mailbox/set", {"destroy": [inbox]})["notDestroyed"][inbox]["type"],
                         "notFound")
        self.assertEqual(own("Mailbox/get", {"ids": [inbox]})["notFound"], [inbox])
        self.assertNotIn(inbox, own("Mailbox/query", {})["ids"])
        self.assertEqual(own("Thread/get", {"ids": [thread]})["notFound"], [thread])
        self.assertNotIn(thread, own("Thread/changes", {"sinceState": "0"})["created"])
        self.assertEqual(own("Identity/get", {"ids": [identity]})["notFound"], [identity])
        self.assertEqual(own("Identity/set", {"update": {identity: {"name": "x"}}})
                         ["notUpdated"][identity]["type"], "notFound")
        self.assertNotIn(identity, own("Identity/changes", {"sinceState": "0"})["created"])
        self.assertEqual(own("EmailSubmission/get", {"ids": [sent]})["notFound"], [sent])
        self.assertEqual(own("EmailSubmission/query", {})["ids"], [])
        self.assertEqual(own("EmailSubmission/changes", {"sinceState": "0"})["created"], [])
        self.assertEqual(own("EmailSubmission/queryChanges", {"sinceQueryState": "0"})["added"],
                         [])
        self.assertEqual(own("EmailSubmission/set", {"destroy": [sent]})["notDestroyed"][sent]
                         ["type"], "notFound")
        answer = own("EmailSubmission/set", {"create": {"s": {
            "identityId": self.identity(BOB), "emailId": email}}})
        self.assertEqual(answer["notCreated"]["s"]["properties"], ["emailId"])
        own("VacationResponse/set", {"update": {"singleton": {"isEnabled": True}}})
        self.assertFalse(self.ok("VacationResponse/get", {})["list"][0]["isEnabled"])
        # And nothing of Alice's was touched.
        self.assertIn(inbox, self.mailbox_ids().values())
        self.assertEqual(self.ok("EmailSubmission/get", {})["list"][0]["id"], sent)
        self.assertEqual(bob, self.account(BOB))


if __name__ == "__main__":
    unittest.main()
