"""The bridge against a real legacy server: a Dovecot user bridged to a pushmaild account.

Mail delivered to Dovecot over LMTP must reach a JMAP EventSource client as a StateChange and
show in Email/query; what is deleted or flagged on Dovecot must follow; a Dovecot restart must
lose and double nothing.
"""
import base64
import http.client
import imaplib
import json
import os
import ssl
import time
import unittest

from dovecot import DOVECOT, Dovecot
from harness import DOMAIN, Server
import test_jmap  # its event reader; the module, so that its tests are not collected here

ALICE = "alice@" + DOMAIN
BOB = "bob@" + DOMAIN
CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"
WAIT = 60  # the bound of every wait for the bridge; never asserted as a time


@unittest.skipUnless(os.path.exists(DOVECOT), "dovecot is not installed (scripts/install-deps)")
class BridgeTest(unittest.TestCase):
    dovecot_config = ""
    server_config = None
    renames_in_place = True  # NOTIFY's OLDNAME: a mailbox renamed upstream keeps its local id
    tls = False  # the bridge reaches Dovecot over imaps:// (ssl = required), trusting --ca

    def setUp(self):
        self.dovecot = Dovecot({"u1": "secret1", "u2": "secret2"}, self.dovecot_config,
                               tls=self.tls, folders=True).start()
        self.addCleanup(self.dovecot.cleanup)
        self.server = Server(listeners=("http", "imap"), config=self.server_config)
        self.addCleanup(self.server.cleanup)
        self.server.add_user(ALICE, "alice-pw")
        self.server.add_user(BOB, "bob-pw")  # bridged by a test while the server runs
        self.bridge(ALICE, "u1", "secret1")
        self.server.start()
        self.wait_log("in sync")

    def upstream_url(self):
        if self.tls:
            return f"imaps://127.0.0.1:{self.dovecot.imaps_port}"
        return f"imap://127.0.0.1:{self.dovecot.imap_port}"

    def bridge(self, local, user, password, ca=True):
        trust = ["--ca", self.dovecot.cert] if self.tls and ca else []
        self.server.admin("bridge", "add", local, "--upstream", self.upstream_url(), "--user", user,
                          *trust, "--password-stdin", input=(password + "\n").encode())

    def wait_log(self, text, count=1):
        deadline = time.monotonic() + WAIT
        while self.server.log().count(text) < count:
            if time.monotonic() > deadline:
                self.fail(f"no '{text}' in the log:\n{self.server.log()}\n{self.dovecot.log()}")
            time.sleep(0.05)

    # --- JMAP as a client sees it.

    def connect(self):
        context = ssl.create_default_context(cafile=self.server.data + "/tls/cert.pem")
        c = http.client.HTTPSConnection("127.0.0.1", self.server.ports["http"], timeout=WAIT,
                                        context=context)
        self.addCleanup(c.close)
        return c

    def auth(self):
        return "Basic " + base64.b64encode(f"{ALICE}:alice-pw".encode()).decode()

    def api(self, calls):
        c = self.connect()
        c.request("POST", "/jmap/api", body=json.dumps({"using": [CORE, MAIL],
                                                         "methodCalls": calls}),
                  headers={"Authorization": self.auth(), "Content-Type": "application/json"})
        r = c.getresponse()
        body = r.read()
        self.assertEqual(r.status, 200, body)
        return json.loads(body)["methodResponses"]

    def account(self):
        c = self.connect()
        c.request("GET", "/.well-known/jmap", headers={"Authorization": self.auth()})
        return json.loads(c.getresponse().read())["primaryAccounts"][MAIL]

    def subjects(self):
        """Subject of every email of the account, as Email/query and Email/get see them."""
        account = self.account()
        r = self.api([["Email/query", {"accountId": account}, "q"],
                      ["Email/get", {"accountId": account, "properties": ["subject", "keywords"],
                                     "#ids": {"resultOf": "q", "name": "Email/query",
                                              "path": "/ids"}}, "g"]])
        return sorted(e["subject"] for e in r[1][1]["list"])

    def email(self, subject):
        account = self.account()
        r = self.api([["Email/query", {"accountId": account, "filter": {"subject": subject}}, "q"],
                      ["Email/get", {"accountId": account,
                                     "properties": ["subject", "keywords", "mailboxIds"],
                                     "#ids": {"resultOf": "q", "name": "Email/query",
                                              "path": "/ids"}}, "g"]])
        found = r[1][1]["list"]
        return found[0] if found else None

    def open_events(self):
        c = self.connect()
        c.request("GET", "/jmap/eventsource/?types=*&closeafter=no&ping=0",
                  headers={"Authorization": self.auth(), "Accept": "text/event-stream"})
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        return r

    def next_state(self, stream):
        while True:
            event = test_jmap.JmapTest.next_event(stream)
            self.assertIsNotNone(event, "the event stream ended")
            if event[0] == "state":
                return json.loads(event[1])

    def wait_subjects(self, expected, stream=None):
        """Waits (bounded) until the account holds exactly `expected` (a sorted list)."""
        deadline = time.monotonic() + WAIT
        while True:
            got = self.subjects()
            if got == expected or time.monotonic() > deadline:
                return got
            if stream is not None:
                self.next_state(stream)
            else:
                time.sleep(0.05)

    # --- The tests.

    def test_lmtp_delivery_is_pushed_and_queryable(self):
        stream = self.open_events()
        first = self.next_state(stream)
        account = self.account()
        old_email_state = first["changed"][account]["Email"]
        self.dovecot.deliver("u1", "from dovecot")
        change = self.next_state(stream)
        self.assertNotEqual(change["changed"][account]["Email"], old_email_state)
        email = self.email("from dovecot")
        self.assertIsNotNone(email, "Email/query does not find the delivered message")
        self.assertEqual(email["subject"], "from dovecot")
        self.assertIn("bridge " + ALICE, self.server.log())

    def test_delete_and_flags_on_dovecot_follow(self):
        stream = self.open_events()
        self.next_state(stream)
        self.dovecot.deliver("u1", "keep me")
        self.dovecot.deliver("u1", "delete me")
        self.assertEqual(self.wait_subjects(["delete me", "keep me"], stream),
                         ["delete me", "keep me"])
        c = self.dovecot.imap("u1")
        c.select("INBOX")
        _, found = c.uid("SEARCH", None, "SUBJECT", '"delete me"')
        c.uid("STORE", found[0].decode(), "+FLAGS", "(\\Deleted)")
        c.expunge()
        _, found = c.uid("SEARCH", None, "SUBJECT", '"keep me"')
        c.uid("STORE", found[0].decode(), "+FLAGS", "(\\Flagged $Work)")
        c.logout()
        self.assertEqual(self.wait_subjects(["keep me"], stream), ["keep me"])
        deadline = time.monotonic() + WAIT
        keywords = {}
        while time.monotonic() < deadline:
            keywords = self.email("keep me")["keywords"]
            if "$flagged" in keywords:
                break
            self.next_state(stream)
        self.assertEqual(keywords, {"$flagged": True, "$work": True})

    def upstream_flags(self, subject, mailbox="INBOX"):
        c = self.dovecot.imap("u1")
        try:
            c.select(mailbox)
            _, found = c.uid("SEARCH", None, "SUBJECT", f'"{subject}"')
            if not found[0]:
                return None
            _, data = c.uid("FETCH", found[0].decode(), "(FLAGS)")
            return data[0].decode()
        finally:
            c.logout()

    def email_id(self, subject):
        account = self.account()
        r = self.api([["Email/query", {"accountId": account, "filter": {"subject": subject}},
                       "q"]])
        return account, r[0][1]["ids"][0]

    def test_writes_over_jmap_go_to_dovecot_first(self):
        self.dovecot.deliver("u1", "flag me")
        self.dovecot.deliver("u1", "destroy me")
        self.assertEqual(self.wait_subjects(["destroy me", "flag me"]), ["destroy me", "flag me"])
        account, flag_id = self.email_id("flag me")
        r = self.api([["Email/set", {"accountId": account, "update": {
            flag_id: {"keywords/$flagged": True, "keywords/$seen": True}}}, "s"]])
        self.assertIn(flag_id, r[0][1]["updated"], r)
        # Acknowledged only after Dovecot has it and the mirror brought it back.
        flags = self.upstream_flags("flag me")
        self.assertIn("\\Flagged", flags)
        self.assertIn("\\Seen", flags)
        self.assertEqual(self.email("flag me")["keywords"], {"$flagged": True, "$seen": True})
        _, destroy_id = self.email_id("destroy me")
        r = self.api([["Email/set", {"accountId": account, "destroy": [destroy_id]}, "d"]])
        self.assertEqual(r[0][1]["destroyed"], [destroy_id], r)
        self.assertIsNone(self.upstream_flags("destroy me"))
        self.assertEqual(self.subjects(), ["flag me"])

    def test_imap_store_and_expunge_go_to_dovecot_first(self):
        self.dovecot.deliver("u1", "imap flag")
        self.dovecot.deliver("u1", "imap expunge")
        self.assertEqual(self.wait_subjects(["imap expunge", "imap flag"]),
                         ["imap expunge", "imap flag"])
        c = imaplib.IMAP4("127.0.0.1", self.server.ports["imap"], timeout=WAIT)
        c.login(ALICE, "alice-pw")
        c.select("INBOX")
        _, found = c.uid("SEARCH", None, "SUBJECT", '"imap flag"')
        typ, _ = c.uid("STORE", found[0].decode(), "+FLAGS", "(\\Answered)")
        self.assertEqual(typ, "OK")
        self.assertIn("\\Answered", self.upstream_flags("imap flag"))
        _, found = c.uid("SEARCH", None, "SUBJECT", '"imap expunge"')
        c.uid("STORE", found[0].decode(), "+FLAGS", "(\\Deleted)")
        self.assertIn("\\Deleted", self.upstream_flags("imap expunge"))
        typ, _ = c.expunge()
        self.assertEqual(typ, "OK")
        self.assertIsNone(self.upstream_flags("imap expunge"))
        self.assertEqual(self.subjects(), ["imap flag"])
        c.logout()

    def upstream_subjects(self, mailbox):
        """Subject of every message of a Dovecot mailbox, sorted."""
        c = self.dovecot.imap("u1")
        try:
            return self.local_subjects(c, mailbox)
        finally:
            c.logout()

    def local_imap(self):
        c = imaplib.IMAP4("127.0.0.1", self.server.ports["imap"], timeout=WAIT)
        self.addCleanup(lambda: c.state == "LOGOUT" or c.logout())
        c.login(ALICE, "alice-pw")
        return c

    @staticmethod
    def local_subjects(c, mailbox):
        """Subject of every message of `mailbox` as IMAP client `c` sees it, sorted."""
        _, exists = c.select(mailbox)
        if exists[0] == b"0":
            return []
        _, data = c.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        return sorted(part[1].decode().strip()[len("Subject: "):]
                      for part in data if isinstance(part, tuple))

    def mailbox_ids(self):
        account = self.account()
        r = self.api([["Mailbox/get", {"accountId": account, "properties": ["name"]}, "m"]])
        return account, {m["name"]: m["id"] for m in r[0][1]["list"]}

    def test_imap_move_and_copy_go_to_dovecot_first(self):
        self.dovecot.deliver("u1", "move me")
        self.dovecot.deliver("u1", "copy me")
        self.assertEqual(self.wait_subjects(["copy me", "move me"]), ["copy me", "move me"])
        c = self.local_imap()
        c.select("INBOX")
        _, found = c.uid("SEARCH", None, "SUBJECT", '"move me"')
        typ, _ = c.uid("MOVE", found[0].decode(), "Archive")
        self.assertEqual(typ, "OK")
        copyuid = [line for line in c.untagged_responses.get("OK", []) if b"COPYUID" in line]
        self.assertTrue(copyuid, "no COPYUID for the move")
        # Dovecot has it moved before the client hears OK; the mirror has it exactly once.
        self.assertEqual(self.upstream_subjects("INBOX"), ["copy me"])
        self.assertEqual(self.upstream_subjects("Archive"), ["move me"])
        self.assertEqual(self.local_subjects(c, "Archive"), ["move me"])
        self.assertEqual(self.local_subjects(c, "INBOX"), ["copy me"])
        _, found = c.uid("SEARCH", None, "SUBJECT", '"copy me"')
        typ, _ = c.uid("COPY", found[0].decode(), "Archive")
        self.assertEqual(typ, "OK")
        _, copyuid = c.response("COPYUID")
        self.assertIsNotNone(copyuid[0], "no COPYUID for the copy")
        copied = copyuid[0].split()[-1]  # the local UID in Archive of the mirrored copy
        self.assertEqual(self.upstream_subjects("Archive"), ["copy me", "move me"])
        self.assertEqual(self.upstream_subjects("INBOX"), ["copy me"])
        self.assertEqual(self.local_subjects(c, "Archive"), ["copy me", "move me"])
        _, data = c.uid("FETCH", copied.decode(), "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertIn(b"copy me", data[0][1])
        self.assertEqual(self.subjects(), ["copy me", "copy me", "move me"])
        # Into a mailbox upstream does not have: refused, nothing made locally.
        c.select("INBOX")
        typ, _ = c.uid("COPY", found[0].decode(), "Junk")
        self.assertEqual(typ, "NO")
        self.assertEqual(self.local_subjects(c, "Junk"), [])
        c.logout()

    def test_jmap_mailbox_changes_move_on_dovecot_first(self):
        self.dovecot.deliver("u1", "file me")
        self.assertEqual(self.wait_subjects(["file me"]), ["file me"])
        account, boxes = self.mailbox_ids()
        _, email_id = self.email_id("file me")
        r = self.api([["Email/set", {"accountId": account, "update": {
            email_id: {"mailboxIds": {boxes["Archive"]: True}, "keywords/$flagged": True}}},
            "s"]])
        self.assertIn(email_id, r[0][1]["updated"], r)
        self.assertEqual(self.upstream_subjects("INBOX"), [])
        self.assertEqual(self.upstream_subjects("Archive"), ["file me"])
        self.assertIn("\\Flagged", self.upstream_flags("file me", "Archive"))
        email = self.email("file me")
        self.assertEqual(email["mailboxIds"], {boxes["Archive"]: True})
        self.assertEqual(email["keywords"], {"$flagged": True})
        self.assertEqual(self.subjects(), ["file me"])
        r = self.api([["Email/set", {"accountId": account, "update": {
            email["id"]: {"mailboxIds/" + boxes["Junk"]: True}}}, "s"]])
        # Junk is local only: not done anywhere. A /set reports it per object (RFC 8620 5.3).
        self.assertEqual(r[0][0], "Email/set", r)
        self.assertEqual(r[0][1]["notUpdated"][email["id"]]["type"], "serverFail", r)
        self.assertEqual(self.email("file me")["mailboxIds"], {boxes["Archive"]: True})

    def test_append_and_jmap_create_go_to_dovecot_first(self):
        c = self.local_imap()
        message = (b"From: alice@example.test\r\nSubject: appended draft\r\n\r\nbody\r\n")
        typ, data = c.append("Drafts", "(\\Draft \\Seen)",
                             imaplib.Time2Internaldate(1700000000), message)
        self.assertEqual(typ, "OK")
        _, appenduid = c.response("APPENDUID")
        self.assertIsNotNone(appenduid[0], "no APPENDUID")
        self.assertEqual(self.upstream_subjects("Drafts"), ["appended draft"])
        flags = self.upstream_flags("appended draft", "Drafts")
        self.assertIn("\\Draft", flags)
        self.assertIn("\\Seen", flags)
        self.assertEqual(self.local_subjects(c, "Drafts"), ["appended draft"])
        _, uids = c.uid("SEARCH", None, "ALL")
        self.assertEqual(appenduid[0].split()[-1], uids[0])  # the UID of the mirrored message
        c.logout()
        account, boxes = self.mailbox_ids()
        r = self.api([["Email/set", {"accountId": account, "create": {"d": {
            "mailboxIds": {boxes["Drafts"]: True}, "keywords": {"$draft": True},
            "from": [{"email": ALICE}], "subject": "jmap draft",
            "bodyStructure": {"type": "text/plain", "partId": "1"},
            "bodyValues": {"1": {"value": "hi"}}}}}, "c"]])
        created = r[0][1]["created"]
        self.assertIn("d", created, r)
        self.assertEqual(self.upstream_subjects("Drafts"), ["appended draft", "jmap draft"])
        self.assertEqual(self.email("jmap draft")["id"], created["d"]["id"])
        # Sending moves the draft to Sent (EmailSubmission's onSuccessUpdateEmail does this).
        r = self.api([["Email/set", {"accountId": account, "update": {created["d"]["id"]: {
            "mailboxIds": {boxes["Sent"]: True}, "keywords/$draft": None}}}, "u"]])
        self.assertIn(created["d"]["id"], r[0][1]["updated"], r)
        self.assertEqual(self.upstream_subjects("Sent"), ["jmap draft"])
        self.assertEqual(self.upstream_subjects("Drafts"), ["appended draft"])
        self.assertEqual(self.subjects(), ["appended draft", "jmap draft"])

    def wait_mailboxes(self, done):
        """Waits (bounded) until done({name: id}) holds for the local mailboxes; returns them."""
        deadline = time.monotonic() + WAIT
        while True:
            _, boxes = self.mailbox_ids()
            if done(boxes) or time.monotonic() > deadline:
                return boxes
            time.sleep(0.1)

    def test_mailboxes_made_renamed_and_deleted_on_dovecot_follow(self):
        c = self.dovecot.imap("u1")
        self.addCleanup(lambda: c.state == "LOGOUT" or c.logout())
        c.create("Projects")
        c.append("Projects", None, None, b"From: carol@elsewhere.test\r\nSubject: project\r\n\r\n")
        boxes = self.wait_mailboxes(lambda b: "Projects" in b)
        self.assertIn("Projects", boxes)
        self.assertEqual(self.wait_subjects(["project"]), ["project"])
        email = self.email("project")
        self.assertEqual(email["mailboxIds"], {boxes["Projects"]: True})
        c.rename("Projects", "Work")
        renamed = self.wait_mailboxes(lambda b: "Work" in b and "Projects" not in b)
        self.assertNotIn("Projects", renamed)
        self.assertIn("Work", renamed)
        self.assertEqual(self.wait_subjects(["project"]), ["project"])
        if self.renames_in_place:
            self.assertEqual(renamed["Work"], boxes["Projects"])
            self.assertEqual(self.email("project")["id"], email["id"])
        self.assertEqual(self.email("project")["mailboxIds"], {renamed["Work"]: True})
        c.delete("Work")
        gone = self.wait_mailboxes(lambda b: "Work" not in b)
        self.assertNotIn("Work", gone)
        self.assertEqual(self.wait_subjects([]), [])
        c.logout()

    def upstream_mailboxes(self):
        c = self.dovecot.imap("u1")
        try:
            _, lines = c.list()
            return sorted(line.decode().rsplit(" ", 1)[1].strip('"') if not line.endswith(b'"')
                          else line.decode().split('" "', 1)[1].rstrip('"') for line in lines)
        finally:
            c.logout()

    def test_local_mailbox_writes_go_to_dovecot_first(self):
        c = self.local_imap()
        self.assertEqual(c.create("Clients")[0], "OK")
        self.assertIn("Clients", self.upstream_mailboxes())
        self.assertIn("Clients", self.mailbox_ids()[1])
        self.assertEqual(c.rename("Clients", "Customers")[0], "OK")
        upstream = self.upstream_mailboxes()
        self.assertIn("Customers", upstream)
        self.assertNotIn("Clients", upstream)
        boxes = self.mailbox_ids()[1]
        self.assertIn("Customers", boxes)
        self.assertNotIn("Clients", boxes)
        self.assertEqual(c.delete("Customers")[0], "OK")
        self.assertNotIn("Customers", self.upstream_mailboxes())
        self.assertNotIn("Customers", self.mailbox_ids()[1])
        self.assertEqual(c.create("Junk")[0], "NO")  # exists locally: refused before upstream
        c.logout()
        account, _ = self.mailbox_ids()
        r = self.api([["Mailbox/set", {"accountId": account, "create": {
            "m": {"name": "Travel", "sortOrder": 7}}}, "c"]])
        made = r[0][1]["created"]["m"]["id"]
        self.assertIn("Travel", self.upstream_mailboxes())
        self.assertEqual(self.mailbox_ids()[1]["Travel"], made)
        r = self.api([["Mailbox/set", {"accountId": account, "update": {
            made: {"name": "Trips"}}}, "u"]])
        self.assertIn(made, r[0][1]["updated"], r)
        upstream = self.upstream_mailboxes()
        self.assertIn("Trips", upstream)
        self.assertNotIn("Travel", upstream)
        self.assertEqual(self.mailbox_ids()[1].get("Trips"), made)  # our own rename: in place
        r = self.api([["Mailbox/set", {"accountId": account, "destroy": [made]}, "d"]])
        self.assertEqual(r[0][1]["destroyed"], [made], r)
        self.assertNotIn("Trips", self.upstream_mailboxes())
        self.assertNotIn("Trips", self.mailbox_ids()[1])

    def test_failed_upstream_write_is_an_error_for_the_client(self):
        self.dovecot.deliver("u1", "stays unflagged")
        self.assertEqual(self.wait_subjects(["stays unflagged"]), ["stays unflagged"])
        account, email_id = self.email_id("stays unflagged")
        self.dovecot.stop()
        self.wait_log("upstream connection ended")
        r = self.api([["Email/set", {"accountId": account, "update": {
            email_id: {"keywords/$flagged": True}}}, "s"]])
        self.assertEqual(r[0][0], "Email/set", r)
        self.assertEqual(r[0][1]["notUpdated"][email_id]["type"], "serverFail", r)
        self.assertEqual(self.email("stays unflagged")["keywords"], {})
        _, boxes = self.mailbox_ids()
        r = self.api([["Email/set", {"accountId": account, "create": {"d": {
            "mailboxIds": {boxes["Drafts"]: True}, "subject": "never stored",
            "bodyStructure": {"type": "text/plain", "partId": "1"},
            "bodyValues": {"1": {"value": "hi"}}}}}, "c"]])
        self.assertEqual(r[0][1]["notCreated"]["d"]["type"], "serverFail", r)
        r = self.api([["Email/set", {"accountId": account, "update": {
            email_id: {"mailboxIds": {boxes["Archive"]: True}}}}, "u"]])
        self.assertEqual(r[0][0], "Email/set", r)
        self.assertEqual(r[0][1]["notUpdated"][email_id]["type"], "serverFail", r)
        self.assertEqual(self.subjects(), ["stays unflagged"])
        self.assertEqual(list(self.email("stays unflagged")["mailboxIds"]), [boxes["INBOX"]])
        self.dovecot.start()
        self.wait_log("in sync", count=2)
        self.assertNotIn("\\Flagged", self.upstream_flags("stays unflagged"))

    def test_dovecot_restart_loses_and_doubles_nothing(self):
        self.dovecot.deliver("u1", "before restart")
        self.assertEqual(self.wait_subjects(["before restart"]), ["before restart"])
        self.dovecot.stop()
        self.wait_log("upstream connection ended")
        self.dovecot.start()
        self.dovecot.deliver("u1", "after restart 1")
        self.dovecot.deliver("u1", "after restart 2")
        expected = ["after restart 1", "after restart 2", "before restart"]
        self.assertEqual(self.wait_subjects(expected), expected)
        self.wait_log("in sync", count=2)
        # And pushmaild restarted while Dovecot takes mail: it catches up, again exactly once.
        self.assertEqual(self.server.stop(), 0)
        self.dovecot.deliver("u1", "while pushmaild was down")
        self.server.start()
        expected = sorted(expected + ["while pushmaild was down"])
        self.assertEqual(self.wait_subjects(expected), expected)
        self.wait_log("in sync", count=3)
        self.assertEqual(self.subjects(), expected)

    def bridge_state(self, local):
        """The state `bridge list` shows for `local`; None when it is not bridged."""
        for line in self.server.admin("bridge", "list").stdout.decode().splitlines():
            if line.startswith(local + " "):
                return line.split(" ", 3)[3]
        return None

    def wait_state(self, local, prefix):
        deadline = time.monotonic() + WAIT
        while True:
            state = self.bridge_state(local)
            if (state or "").startswith(prefix) or time.monotonic() > deadline:
                return state
            time.sleep(0.1)

    def test_bridge_list_shows_state_and_add_del_apply_live(self):
        self.assertEqual(self.wait_state(ALICE, "running"), "running")
        self.dovecot.deliver("u2", "for bob")
        self.bridge(BOB, "u2", "secret2")  # while the server runs
        self.assertEqual(self.wait_state(BOB, "running"), "running")
        c = imaplib.IMAP4("127.0.0.1", self.server.ports["imap"], timeout=WAIT)
        c.login(BOB, "bob-pw")
        self.assertEqual(self.local_subjects(c, "INBOX"), ["for bob"])
        c.logout()
        self.server.admin("bridge", "del", BOB)
        self.wait_log(f"bridge {BOB} <- {self.upstream_url()}: session ended")
        self.assertIsNone(self.bridge_state(BOB))
        self.dovecot.stop()
        self.assertTrue(self.wait_state(ALICE, "reconnecting: ").startswith("reconnecting: "))
        self.dovecot.start()
        self.assertEqual(self.wait_state(ALICE, "running"), "running")

    def test_rejected_login_marks_the_bridge_failed(self):
        self.server.stop()
        self.server.admin("bridge", "del", ALICE)
        self.bridge(ALICE, "u1", "wrong password")
        out = self.server.admin("bridge", "list").stdout.decode()
        self.assertIn(f"{ALICE} {self.upstream_url()} u1", out)
        self.assertTrue(out.strip().endswith(" stopped"), out)  # as the last server left it
        self.server.start()
        self.wait_log("upstream rejected the login of user 'u1'")
        self.wait_log("bridge failed")
        self.wait_log("session ended (failed)")
        self.assertNotIn("wrong password", self.server.log())
        state = self.wait_state(ALICE, "failed: ")
        self.assertTrue(state.startswith("failed: upstream rejected the login of user 'u1'"), state)
        self.assertNotIn("wrong password", state)

    def test_bridge_add_needs_the_local_account_and_keeps_secrets_private(self):
        r = self.server.admin("bridge", "add", "nobody@" + DOMAIN, "--upstream",
                              "imap://127.0.0.1:1", "--user", "x", "--password-stdin",
                              input=b"pw\n", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"no local account", r.stderr)
        r = self.server.admin("bridge", "add", ALICE, "--upstream", "http://x:1", "--user", "x",
                              "--password-stdin", input=b"pw\n", check=False)
        self.assertNotEqual(r.returncode, 0)
        mode = os.stat(os.path.join(self.server.data, "bridges.json")).st_mode & 0o777
        self.assertEqual(mode, 0o600)


class PlainUpstreamBridgeTest(BridgeTest):
    """The same against an upstream that offers neither NOTIFY nor CONDSTORE nor ESEARCH: the
    bridge watches INBOX with IDLE and diffs UID ranges and all flags."""

    dovecot_config = "imap_capability = IMAP4rev1 LITERAL+ IDLE UIDPLUS\n"
    server_config = "[bridge]\nstatus_round_s = 2\n"  # mailbox changes are seen in that round
    renames_in_place = False  # a rename is seen as a delete and a create

    def test_watches_with_idle_and_diffs_uids(self):
        self.assertIn("watching with IDLE and a STATUS round", self.server.log())
        self.assertNotIn("(CONDSTORE)", self.server.log())


class TlsUpstreamBridgeTest(BridgeTest):
    """The same over imaps:// to a Dovecot that requires TLS, its self-signed certificate
    trusted with bridge add --ca."""

    tls = True

    def test_bridge_speaks_tls_and_checks_the_certificate(self):
        logins = [line for line in self.dovecot.log().splitlines()
                  if "Login: user=<u1>" in line]
        self.assertTrue(logins and all(", TLS," in line for line in logins), logins)
        # Without --ca the self-signed certificate is not trusted: no login, never "running".
        self.bridge(BOB, "u2", "secret2", ca=False)
        state = self.wait_state(BOB, "reconnecting: ")
        self.assertTrue(state.startswith("reconnecting: "), state)
        self.assertIn("certificate verify failed", state)
        self.assertNotIn("user=<u2>", self.dovecot.log())


if __name__ == "__main__":
    unittest.main()
