"""JMAP Email (RFC 8621 4) and blobs (RFC 8620 6) against the real binary: upload, import,
get with every property form, query, queryChanges, set, parse, copy, SearchSnippet/get and
download, with python3's http.client; IMAP IDLE and EventSource hear of JMAP's writes; and a
second account that sees none of the first's ids or blobs."""
import base64
import http.client
import json
import smtplib
import socket
import ssl
import unittest
import urllib.parse

from harness import DOMAIN, ServerTest

ALICE = "alice@" + DOMAIN
BOB = "bob@" + DOMAIN
CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"
ERROR = "urn:ietf:params:jmap:error:"

MULTIPART = (
    "From: =?utf-8?q?Zo=C3=AB?= <zoe@elsewhere.test>\r\n"
    "To: Team: ann@x.test, Bo <bo@x.test>;, carl@x.test\r\n"
    "Cc: dee@x.test\r\n"
    "Subject: =?utf-8?q?Quarterly_r=C3=A9port?=\r\n"
    "Date: Thu, 30 Oct 2014 14:12:00 +0800\r\n"
    "Message-ID: <report.1@elsewhere.test>\r\n"
    "List-Unsubscribe: <mailto:leave@x.test>, <https://x.test/leave>\r\n"
    "X-Tag: one\r\n"
    "X-Tag: two\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
    "\r\n"
    "--outer\r\n"
    "Content-Type: multipart/alternative; boundary=\"alt\"\r\n"
    "\r\n"
    "--alt\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Numbers are up: caf=E9 <profits> & more.\r\n"
    "--alt\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "\r\n"
    "<p>Numbers are <b>up</b></p>\r\n"
    "--alt--\r\n"
    "\r\n"
    "--outer\r\n"
    "Content-Type: application/pdf; name=\"r.pdf\"\r\n"
    "Content-Disposition: attachment; filename=\"r.pdf\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    + base64.b64encode(b"%PDF-1.4 binary\x00\x01\x02").decode() + "\r\n"
    "--outer\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "From: inner@x.test\r\n"
    "Subject: The forwarded one\r\n"
    "\r\n"
    "Inner body.\r\n"
    "--outer--\r\n")


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class JmapEmailTest(ServerTest):
    server_args = {"listeners": ("smtp", "http", "imap"),
                   "config": "[http]\nmax_size_upload = 200000\n"}

    # --- Plumbing (as in test_jmap.py).

    def connect(self):
        context = ssl.create_default_context(cafile=self.server.data + "/tls/cert.pem")
        c = http.client.HTTPSConnection("127.0.0.1", self.port("http"), timeout=15,
                                        context=context)
        self.addCleanup(c.close)
        return c

    def request(self, method, path, body=None, user=ALICE, password="alice-pw", headers=None):
        c = self.connect()
        h = dict(headers or {})
        if user:
            h["Authorization"] = basic(user, password)
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        return r.status, r, r.read()

    def api(self, calls, user=ALICE, password="alice-pw", created_ids=None):
        body = {"using": [CORE, MAIL], "methodCalls": calls}
        if created_ids is not None:
            body["createdIds"] = created_ids
        status, _, answer = self.request("POST", "/jmap/api", json.dumps(body).encode(), user,
                                         password, {"Content-Type": "application/json"})
        self.assertEqual(status, 200, answer)
        return json.loads(answer)

    def call(self, name, args, user=ALICE, password="alice-pw"):
        """One method call; returns (response name, arguments)."""
        response = self.api([[name, args, "0"]], user, password)["methodResponses"][0]
        return response[0], response[1]

    def ok(self, name, args, user=ALICE, password="alice-pw"):
        got, result = self.call(name, args, user, password)
        self.assertEqual(got, name, result)
        return result

    def error(self, name, args, user=ALICE, password="alice-pw"):
        got, result = self.call(name, args, user, password)
        self.assertEqual(got, "error", result)
        return result["type"]

    def account(self, user=ALICE, password="alice-pw"):
        status, _, body = self.request("GET", "/.well-known/jmap", user=user, password=password)
        return json.loads(body)["primaryAccounts"][MAIL]

    def mailboxes(self, user=ALICE, password="alice-pw"):
        result = self.ok("Mailbox/get", {"accountId": self.account(user, password)}, user,
                         password)
        return {m["role"]: m["id"] for m in result["list"]}

    def upload(self, data, type_="application/octet-stream", user=ALICE, password="alice-pw",
               account=None):
        account = account or self.account(user, password)
        status, _, body = self.request("POST", f"/jmap/upload/{account}/", data, user, password,
                                       {"Content-Type": type_})
        return status, json.loads(body)

    def deliver(self, subject, body="hello\r\n", to=ALICE, extra=""):
        msg = (f"From: Carol <carol@elsewhere.test>\r\nTo: {to}\r\nSubject: {subject}\r\n"
               f"{extra}Message-ID: <{subject.replace(' ', '.')}@test>\r\n\r\n{body}")
        with smtplib.SMTP("127.0.0.1", self.port("smtp"), timeout=15) as c:
            c.sendmail("carol@elsewhere.test", [to], msg.encode())

    def import_message(self, raw, keywords=None, mailbox="inbox", received="2024-01-02T03:04:05Z"):
        status, up = self.upload(raw.encode(), "message/rfc822")
        self.assertEqual(status, 201, up)
        a = self.account()
        result = self.ok("Email/import", {"accountId": a, "emails": {"k": {
            "blobId": up["blobId"], "mailboxIds": {self.mailboxes()[mailbox]: True},
            "keywords": keywords or {}, "receivedAt": received}}})
        self.assertIsNone(result["notCreated"], result)
        return result["created"]["k"]

    def query_ids(self, **args):
        return self.ok("Email/query", {"accountId": self.account(), **args})["ids"]

    # --- Blobs.

    def test_upload_and_download_belong_to_their_account(self):
        a = self.account()
        status, up = self.upload(b"some \x00 bytes", "application/x-thing")
        self.assertEqual(status, 201)
        self.assertEqual(up["accountId"], a)
        self.assertEqual(up["size"], 12)
        self.assertEqual(up["type"], "application/x-thing")
        name = urllib.parse.quote("résumé 1.bin")
        path = f"/jmap/download/{a}/{up['blobId']}/{name}?accept=application/x-thing"
        status, r, body = self.request("GET", path)
        self.assertEqual(status, 200)
        self.assertEqual(body, b"some \x00 bytes")
        self.assertEqual(r.getheader("Content-Type"), "application/x-thing")
        self.assertIn("filename*=UTF-8''r%C3%A9sum%C3%A9%201.bin",
                      r.getheader("Content-Disposition"))
        self.assertIn("immutable", r.getheader("Cache-Control"))
        etag = r.getheader("ETag")
        status, _, body = self.request("GET", path, headers={"If-None-Match": etag})
        self.assertEqual(status, 304)
        self.assertEqual(self.request("GET", path, user=None)[0], 401)
        # Bob: not in Alice's account, not by his own account id either.
        b = self.account(BOB, "bob-pw")
        self.assertEqual(self.request("GET", path, user=BOB, password="bob-pw")[0], 404)
        self.assertEqual(self.request(
            "GET", f"/jmap/download/{b}/{up['blobId']}/x", user=BOB, password="bob-pw")[0], 404)
        status, _ = self.upload(b"x", user=BOB, password="bob-pw", account=a)
        self.assertEqual(status, 404)
        self.assertEqual(self.request("GET", f"/jmap/download/{a}/Gnope/x")[0], 404)

    def test_upload_limit_is_the_advertised_one(self):
        status, _, body = self.request("GET", "/.well-known/jmap")
        core = json.loads(body)["capabilities"][CORE]
        self.assertEqual(core["maxSizeUpload"], 200000)
        c = self.connect()
        c.putrequest("POST", f"/jmap/upload/{self.account()}/")
        c.putheader("Authorization", basic(ALICE, "alice-pw"))
        c.putheader("Content-Length", "200001")
        c.endheaders()
        r = c.getresponse()
        self.assertEqual(r.status, 413)
        problem = json.loads(r.read())
        self.assertEqual(problem["type"], ERROR + "limit")
        self.assertEqual(problem["limit"], "maxSizeUpload")
        # Larger than maxSizeRequest would allow for the API, within maxSizeUpload: fine.
        status, up = self.upload(b"x" * 150000)
        self.assertEqual(status, 201)

    # --- Email/import, Email/get, Email/parse, part blobs.

    def test_import_then_get_every_form(self):
        created = self.import_message(MULTIPART, {"$seen": True})
        a = self.account()
        email_id = created["id"]
        props = ["subject", "from", "to", "cc", "sentAt", "receivedAt", "hasAttachment",
                 "preview", "keywords", "mailboxIds", "size", "blobId", "messageId", "headers",
                 "header:Subject:asText", "header:To:asGroupedAddresses",
                 "header:List-Unsubscribe:asURLs", "header:Date:asDate",
                 "header:X-Tag:all", "header:x-tag:asText", "header:Message-ID:asMessageIds",
                 "header:X-Missing", "bodyStructure", "textBody", "htmlBody", "attachments",
                 "bodyValues"]
        result = self.ok("Email/get", {"accountId": a, "ids": [email_id], "properties": props,
                                       "fetchAllBodyValues": True, "maxBodyValueBytes": 12})
        e = result["list"][0]
        self.assertEqual(e["subject"], "Quarterly réport")
        self.assertEqual(e["from"], [{"name": "Zoë", "email": "zoe@elsewhere.test"}])
        self.assertEqual([x["email"] for x in e["to"]], ["ann@x.test", "bo@x.test", "carl@x.test"])
        self.assertEqual(e["sentAt"], "2014-10-30T06:12:00Z")
        self.assertEqual(e["receivedAt"], "2024-01-02T03:04:05Z")
        self.assertTrue(e["hasAttachment"])
        self.assertEqual(e["keywords"], {"$seen": True})
        self.assertEqual(e["messageId"], ["report.1@elsewhere.test"])
        self.assertEqual(e["header:Subject:asText"], "Quarterly réport")
        self.assertEqual(e["header:To:asGroupedAddresses"], [
            {"name": "Team", "addresses": [{"name": None, "email": "ann@x.test"},
                                           {"name": "Bo", "email": "bo@x.test"}]},
            {"name": None, "addresses": [{"name": None, "email": "carl@x.test"}]}])
        self.assertEqual(e["header:List-Unsubscribe:asURLs"],
                         ["mailto:leave@x.test", "https://x.test/leave"])
        self.assertEqual(e["header:Date:asDate"], "2014-10-30T14:12:00+08:00")
        self.assertEqual(e["header:X-Tag:all"], [" one", " two"])
        self.assertEqual(e["header:x-tag:asText"], "two")
        self.assertEqual(e["header:Message-ID:asMessageIds"], ["report.1@elsewhere.test"])
        self.assertIsNone(e["header:X-Missing"])
        self.assertEqual(e["headers"][0], {"name": "From",
                                           "value": " =?utf-8?q?Zo=C3=AB?= <zoe@elsewhere.test>"})
        structure = e["bodyStructure"]
        self.assertEqual(structure["type"], "multipart/mixed")
        self.assertIsNone(structure["partId"])
        self.assertEqual([p["type"] for p in structure["subParts"]],
                         ["multipart/alternative", "application/pdf", "message/rfc822"])
        self.assertEqual([p["type"] for p in e["textBody"]], ["text/plain"])
        self.assertEqual([p["type"] for p in e["htmlBody"]], ["text/html"])
        self.assertEqual([p["type"] for p in e["attachments"]],
                         ["application/pdf", "message/rfc822"])
        pdf = e["attachments"][0]
        self.assertEqual(pdf["name"], "r.pdf")
        self.assertEqual(pdf["disposition"], "attachment")
        self.assertEqual(pdf["size"], 18)
        text = e["textBody"][0]
        self.assertEqual(text["charset"], "iso-8859-1")
        value = e["bodyValues"][text["partId"]]
        self.assertEqual(value["value"], "Numbers are ")
        self.assertTrue(value["isTruncated"])
        self.assertFalse(value["isEncodingProblem"])
        # Whole values, text only, and bodyProperties with a header form.
        e = self.ok("Email/get", {"accountId": a, "ids": [email_id],
                                  "properties": ["textBody", "bodyValues"],
                                  "bodyProperties": ["partId", "type", "header:Content-Type"],
                                  "fetchTextBodyValues": True})["list"][0]
        self.assertEqual(e["textBody"][0], {"partId": text["partId"], "type": "text/plain",
                                            "header:Content-Type":
                                                " text/plain; charset=iso-8859-1"})
        self.assertEqual(list(e["bodyValues"].values())[0]["value"],
                         "Numbers are up: café <profits> & more.")  # the CRLF is the delimiter's
        # The attachment's blob is its decoded octets.
        status, r, body = self.request(
            "GET", f"/jmap/download/{a}/{pdf['blobId']}/r.pdf?accept=application/pdf")
        self.assertEqual(status, 200)
        self.assertEqual(body, b"%PDF-1.4 binary\x00\x01\x02")
        # The attached message parses as an Email of its own.
        inner = e = self.ok("Email/get", {"accountId": a, "ids": [email_id],
                                          "properties": ["attachments"]})["list"][0]
        inner_blob = inner["attachments"][1]["blobId"]
        parsed = self.ok("Email/parse", {"accountId": a, "blobIds": [inner_blob, "Gnope"],
                                         "properties": ["subject", "from", "id", "textBody",
                                                        "bodyValues"],
                                         "fetchTextBodyValues": True})
        inner_email = parsed["parsed"][inner_blob]
        self.assertEqual(inner_email["subject"], "The forwarded one")
        self.assertIsNone(inner_email["id"])
        self.assertEqual(list(inner_email["bodyValues"].values())[0]["value"], "Inner body.")
        self.assertEqual(parsed["notFound"], ["Gnope"])
        # Unknown properties and forms a header does not have are invalidArguments.
        for bad in (["nope"], ["header:From:asDate"], ["header:Subject:asAddresses:all"],
                    ["header:X:asWhat"]):
            self.assertEqual(self.error("Email/get", {"accountId": a, "ids": [email_id],
                                                      "properties": bad}), "invalidArguments")

    # --- Email/query and Email/queryChanges.

    def test_query_filters_sorts_windows_and_errors(self):
        a = self.account()
        boxes = self.mailboxes()
        one = self.import_message(MULTIPART, {"$seen": True}, received="2024-01-01T00:00:00Z")
        two = self.import_message(
            "From: amy@x.test\r\nTo: bo@x.test\r\nSubject: Lunch plans\r\n"
            "X-Priority: urgent\r\n\r\nPizza tomorrow?\r\n",
            {"$flagged": True}, received="2024-02-01T00:00:00Z")
        three = self.import_message(
            "From: Bob <bob@x.test>\r\nSubject: Re: Lunch plans\r\n"
            "In-Reply-To: <nothing@x>\r\n\r\nYes to pizza and numbers\r\n",
            received="2024-03-01T00:00:00Z", mailbox="archive")
        ids = [one["id"], two["id"], three["id"]]
        self.assertEqual(self.query_ids(), ids[::-1])
        self.assertEqual(self.query_ids(sort=[{"property": "receivedAt", "isAscending": True}]),
                         ids)
        self.assertEqual(self.query_ids(sort=[{"property": "subject"},
                                              {"property": "receivedAt"}]),
                         [two["id"], three["id"], one["id"]])
        self.assertEqual(self.query_ids(sort=[{"property": "hasKeyword", "keyword": "$flagged",
                                               "isAscending": False}])[0], two["id"])
        cases = [
            ({"inMailbox": boxes["inbox"]}, [two["id"], one["id"]]),
            ({"inMailboxOtherThan": [boxes["inbox"]]}, [three["id"]]),
            ({"after": "2024-01-15T00:00:00Z", "before": "2024-02-15T00:00:00Z"}, [two["id"]]),
            ({"minSize": 500}, [one["id"]]),
            ({"maxSize": 500}, [three["id"], two["id"]]),
            ({"hasKeyword": "$seen"}, [one["id"]]),
            ({"notKeyword": "$seen"}, [three["id"], two["id"]]),
            ({"someInThreadHaveKeyword": "$flagged"}, [two["id"]]),
            ({"allInThreadHaveKeyword": "$seen"}, [one["id"]]),
            ({"noneInThreadHaveKeyword": "$seen"}, [three["id"], two["id"]]),
            ({"hasAttachment": True}, [one["id"]]),
            ({"text": "pizza"}, [three["id"], two["id"]]),
            ({"text": "numb"}, [three["id"], one["id"]]),  # a word's start matches
            ({"from": "amy@x.test"}, [two["id"]]),
            ({"to": "ann"}, [one["id"]]),
            ({"cc": "dee"}, [one["id"]]),
            ({"bcc": "dee"}, []),
            ({"subject": "lunch"}, [three["id"], two["id"]]),
            ({"body": "lunch"}, []),
            ({"body": "\"pizza tomorrow\""}, [two["id"]]),
            ({"header": ["X-Priority"]}, [two["id"]]),
            ({"header": ["x-priority", "URGENT"]}, [two["id"]]),
            ({"header": ["Subject", "urgent"]}, []),
            ({"operator": "OR", "conditions": [{"hasKeyword": "$seen"},
                                               {"hasKeyword": "$flagged"}]},
             [two["id"], one["id"]]),
            ({"operator": "NOT", "conditions": [{"text": "pizza"}]}, [one["id"]]),
            ({"operator": "AND", "conditions": [
                {"text": "pizza"}, {"operator": "NOT", "conditions": [{"inMailbox":
                                                                       boxes["archive"]}]}]},
             [two["id"]]),
        ]
        for f, want in cases:
            self.assertEqual(self.query_ids(filter=f), want, f)
        # Windows: position, negative position, anchor, limit, total.
        r = self.ok("Email/query", {"accountId": a, "position": 1, "limit": 1,
                                    "calculateTotal": True})
        self.assertEqual((r["ids"], r["position"], r["total"]), ([two["id"]], 1, 3))
        r = self.ok("Email/query", {"accountId": a, "position": -1})
        self.assertEqual((r["ids"], r["position"]), ([one["id"]], 2))
        r = self.ok("Email/query", {"accountId": a, "anchor": two["id"], "anchorOffset": -1,
                                    "limit": 2})
        self.assertEqual((r["ids"], r["position"]), ([three["id"], two["id"]], 0))
        self.assertTrue(r["canCalculateChanges"])
        self.assertEqual(self.error("Email/query", {"accountId": a, "anchor": "E999999"}),
                         "anchorNotFound")
        self.assertEqual(self.error("Email/query", {"accountId": a, "filter": {"nope": 1}}),
                         "unsupportedFilter")
        self.assertEqual(self.error("Email/query", {"accountId": a,
                                                    "sort": [{"property": "nope"}]}),
                         "unsupportedSort")
        self.assertEqual(self.error("Email/query", {"accountId": a, "filter": {"before": "x"}}),
                         "invalidArguments")
        deep = {"text": "x"}
        for _ in range(20):
            deep = {"operator": "AND", "conditions": [deep]}
        self.assertEqual(self.error("Email/query", {"accountId": a, "filter": deep}),
                         "unsupportedFilter")
        # collapseThreads: the reply and its original are one thread when threaded together.
        self.deliver("thread start")
        self.deliver("Re: thread start", extra="In-Reply-To: <thread.start@test>\r\n")
        collapsed = self.query_ids(collapseThreads=True)
        self.assertEqual(len(collapsed), len(self.query_ids()) - 1)

    def test_query_changes_follow_keyword_and_mailbox_changes(self):
        a = self.account()
        boxes = self.mailboxes()
        first = self.import_message("Subject: one\r\n\r\nx\r\n", received="2024-01-01T00:00:00Z")
        second = self.import_message("Subject: two\r\n\r\ny\r\n", received="2024-02-01T00:00:00Z")
        unread = {"inMailbox": boxes["inbox"], "notKeyword": "$seen"}
        r = self.ok("Email/query", {"accountId": a, "filter": unread})
        self.assertEqual(r["ids"], [second["id"], first["id"]])
        state = r["queryState"]
        self.ok("Email/set", {"accountId": a, "update": {second["id"]: {"keywords/$seen": True}}})
        third = self.import_message("Subject: three\r\n\r\nz\r\n",
                                    received="2024-03-01T00:00:00Z")
        changes = self.ok("Email/queryChanges", {"accountId": a, "filter": unread,
                                                 "sinceQueryState": state,
                                                 "calculateTotal": True})
        self.assertEqual(changes["oldQueryState"], state)
        self.assertIn(second["id"], changes["removed"])
        self.assertEqual(changes["added"], [{"id": third["id"], "index": 0}])
        self.assertEqual(changes["total"], 2)
        # Applying the changes to the old results gives the new ones.
        ids = [i for i in r["ids"] if i not in changes["removed"]]
        for item in changes["added"]:
            ids.insert(item["index"], item["id"])
        self.assertEqual(ids, self.ok("Email/query", {"accountId": a, "filter": unread})["ids"])
        self.assertEqual(self.error("Email/queryChanges", {"accountId": a, "filter": unread,
                                                           "sinceQueryState": "99999"}),
                         "cannotCalculateChanges")
        self.assertEqual(self.error("Email/queryChanges", {
            "accountId": a, "filter": {"allInThreadHaveKeyword": "$seen"},
            "sinceQueryState": state}), "cannotCalculateChanges")
        self.assertEqual(self.error("Email/queryChanges", {"accountId": a, "filter": unread,
                                                           "sinceQueryState": state,
                                                           "maxChanges": 1}),
                         "tooManyChanges")

    # --- Email/set, with IMAP IDLE and EventSource hearing of it.

    def imap_idle(self):
        s = socket.create_connection(("127.0.0.1", self.port("imap")), timeout=15)
        self.addCleanup(s.close)
        f = s.makefile("rb")

        def until(tag):
            while True:
                line = f.readline()
                self.assertTrue(line, "connection closed")
                if line.startswith(tag):
                    return

        f.readline()
        s.sendall(b"a LOGIN alice@example.test alice-pw\r\nb SELECT INBOX\r\n")
        until(b"b OK")
        s.sendall(b"c IDLE\r\n")
        self.assertTrue(f.readline().startswith(b"+"))
        return f

    def test_set_keywords_mailboxes_destroy_reach_imap_idle_and_eventsource(self):
        a = self.account()
        boxes = self.mailboxes()
        self.deliver("watched")
        email_id = self.query_ids()[0]
        idle = self.imap_idle()
        c = self.connect()
        c.request("GET", "/jmap/eventsource/?types=Email&closeafter=no&ping=0",
                  headers={"Authorization": basic(ALICE, "alice-pw")})
        events = c.getresponse()
        self.assertEqual(events.status, 200)

        def next_state():
            while True:
                line = events.readline().decode()
                self.assertTrue(line, "the stream ended")
                if line.startswith("data: ") and "StateChange" in line:
                    return json.loads(line[6:])

        first = next_state()["changed"][a]["Email"]
        r = self.ok("Email/set", {"accountId": a, "update": {
            email_id: {"keywords/$seen": True, "keywords/$flagged": True}}})
        self.assertEqual(r["updated"], {email_id: None})
        self.assertEqual(r["oldState"], first)
        self.assertRegex(idle.readline(),
                         rb"^\* 1 FETCH \(UID 1 FLAGS \(\\Flagged \\Seen\)\)\r\n$")
        self.assertEqual(next_state()["changed"][a]["Email"], r["newState"])
        # Whole keywords replace; mailboxIds patch moves it out of INBOX.
        r = self.ok("Email/set", {"accountId": a, "ifInState": r["newState"], "update": {
            email_id: {"keywords": {"$answered": True},
                       f"mailboxIds/{boxes['archive']}": True,
                       f"mailboxIds/{boxes['inbox']}": None}}})
        self.assertEqual(r["updated"], {email_id: None}, r)
        self.assertEqual(idle.readline(), b"* 1 EXPUNGE\r\n")
        got = self.ok("Email/get", {"accountId": a, "ids": [email_id],
                                    "properties": ["keywords", "mailboxIds"]})["list"][0]
        self.assertEqual(got["keywords"], {"$answered": True})
        self.assertEqual(got["mailboxIds"], {boxes["archive"]: True})
        self.assertEqual(self.error("Email/set", {"accountId": a, "ifInState": "1", "destroy":
                                                  [email_id]}), "stateMismatch")
        r = self.ok("Email/set", {"accountId": a, "update": {
            email_id: {"mailboxIds": {}},
            "E999999": {"keywords/$seen": True},
            }, "destroy": ["E999998"]})
        self.assertEqual(r["notUpdated"][email_id]["type"], "invalidProperties")
        self.assertEqual(r["notUpdated"][email_id]["properties"], ["mailboxIds"])
        self.assertEqual(r["notUpdated"]["E999999"]["type"], "notFound")
        self.assertEqual(r["notDestroyed"]["E999998"]["type"], "notFound")
        r = self.ok("Email/set", {"accountId": a, "update": {
            email_id: {"subject": "no", "keywords/bad(": True}}})
        self.assertEqual(r["notUpdated"][email_id]["type"], "invalidProperties")
        many = {f"keywords/k{i}": True for i in range(101)}
        r = self.ok("Email/set", {"accountId": a, "update": {email_id: many}})
        self.assertEqual(r["notUpdated"][email_id]["type"], "tooManyKeywords")
        r = self.ok("Email/set", {"accountId": a, "destroy": [email_id]})
        self.assertEqual(r["destroyed"], [email_id])
        self.assertEqual(self.ok("Email/get", {"accountId": a, "ids": [email_id]})["notFound"],
                         [email_id])

    def test_create_draft_with_attachment_and_back_reference(self):
        a = self.account()
        boxes = self.mailboxes()
        status, up = self.upload(b"\x89PNG fake image", "image/png")
        calls = [
            ["Email/set", {"accountId": a, "create": {"d1": {
                "mailboxIds": {boxes["drafts"]: True},
                "keywords": {"$draft": True, "$seen": True},
                "from": [{"name": "Alice Ä", "email": ALICE}],
                "to": [{"name": None, "email": "x@elsewhere.test"}],
                "subject": "Grüße & <tags>",
                "header:X-Mailer:asText": "pushmail test",
                "textBody": [{"partId": "t", "type": "text/plain"}],
                "htmlBody": [{"partId": "h", "type": "text/html"}],
                "attachments": [{"blobId": up["blobId"], "type": "image/png",
                                 "name": "pic.png", "disposition": "attachment"}],
                "bodyValues": {"t": {"value": "Hallo Welt, liebe Grüße\n"},
                               "h": {"value": "<p>Hallo <b>Welt</b></p>"}}},
                "bad": {"mailboxIds": {boxes["drafts"]: True},
                        "attachments": [{"blobId": "G" + "0" * 64}]},
                "worse": {"mailboxIds": {}}, "worst": {"mailboxIds": {boxes["drafts"]: True},
                                                       "id": "E1"}}}, "s"],
            ["Email/get", {"accountId": a, "ids": ["#d1"],
                           "properties": ["subject", "from", "keywords", "mailboxIds",
                                          "header:X-Mailer:asText", "textBody", "htmlBody",
                                          "attachments", "bodyValues", "hasAttachment"],
                           "fetchAllBodyValues": True}, "g"]]
        answer = self.api(calls, created_ids={})
        s = answer["methodResponses"][0][1]
        created = s["created"]["d1"]
        self.assertEqual(answer["createdIds"], {"d1": created["id"]})
        self.assertEqual(s["notCreated"]["bad"]["type"], "blobNotFound")
        self.assertEqual(s["notCreated"]["bad"]["notFound"], ["G" + "0" * 64])
        self.assertEqual(s["notCreated"]["worse"]["properties"], ["mailboxIds"])
        self.assertEqual(s["notCreated"]["worst"]["properties"], ["id"])
        e = answer["methodResponses"][1][1]["list"][0]
        self.assertEqual(e["subject"], "Grüße & <tags>")
        self.assertEqual(e["from"], [{"name": "Alice Ä", "email": ALICE}])
        self.assertEqual(e["keywords"], {"$draft": True, "$seen": True})
        self.assertEqual(e["mailboxIds"], {boxes["drafts"]: True})
        self.assertEqual(e["header:X-Mailer:asText"], "pushmail test")
        self.assertTrue(e["hasAttachment"])
        values = {p["type"]: e["bodyValues"][p["partId"]]["value"]
                  for p in e["textBody"] + e["htmlBody"]}
        self.assertEqual(values["text/plain"].replace("\r\n", "\n"), "Hallo Welt, liebe Grüße\n")
        self.assertEqual(values["text/html"], "<p>Hallo <b>Welt</b></p>")
        pic = e["attachments"][0]
        self.assertEqual((pic["name"], pic["type"], pic["size"]), ("pic.png", "image/png", 15))
        status, _, body = self.request("GET", f"/jmap/download/{a}/{pic['blobId']}/pic.png")
        self.assertEqual(body, b"\x89PNG fake image")
        # The whole message downloads by the email's blobId and is a proper MIME message.
        status, _, raw = self.request("GET", f"/jmap/download/{a}/{created['blobId']}/m.eml")
        self.assertEqual(len(raw), created["size"])
        self.assertIn(b"MIME-Version: 1.0\r\n", raw)
        self.assertIn(b"multipart/alternative", raw)
        # Email/copy: one login, one account; there is nothing to copy between.
        self.assertEqual(self.error("Email/copy", {"fromAccountId": a, "accountId": a,
                                                   "create": {}}), "invalidArguments")
        self.assertEqual(self.error("Email/copy", {"fromAccountId": "A999", "accountId": a,
                                                   "create": {}}), "fromAccountNotFound")

    def test_search_snippets_mark_and_escape(self):
        a = self.account()
        created = self.import_message(MULTIPART)
        r = self.ok("SearchSnippet/get", {"accountId": a, "filter": {"text": "profits quarterly"},
                                          "emailIds": [created["id"], "E999999"]})
        snippet = r["list"][0]
        self.assertEqual(snippet["subject"], "<mark>Quarterly</mark> réport")
        self.assertIn("&lt;<mark>profits</mark>&gt; &amp; more", snippet["preview"])
        self.assertEqual(r["notFound"], ["E999999"])
        r = self.ok("SearchSnippet/get", {"accountId": a, "filter": {"subject": "nomatch"},
                                          "emailIds": [created["id"]]})
        self.assertIsNone(r["list"][0]["subject"])

    # --- Two accounts.

    def test_another_accounts_ids_and_blobs_are_not_found_by_any_method(self):
        created = self.import_message(MULTIPART)
        a = self.account()
        boxes = self.mailboxes()
        e = self.ok("Email/get", {"accountId": a, "ids": [created["id"]],
                                  "properties": ["attachments", "blobId"]})["list"][0]
        part = e["attachments"][0]["blobId"]
        status, up = self.upload(b"alice's upload")
        b = self.account(BOB, "bob-pw")
        bob = {"user": BOB, "password": "bob-pw"}
        # Alice's account id: accountNotFound, for every method.
        for name, args in [("Email/get", {"ids": []}), ("Email/query", {}),
                           ("Email/queryChanges", {"sinceQueryState": "0"}),
                           ("Email/set", {}), ("Email/import", {"emails": {}}),
                           ("Email/parse", {"blobIds": []}),
                           ("SearchSnippet/get", {"emailIds": []}),
                           ("Email/changes", {"sinceState": "0"})]:
            self.assertEqual(self.error(name, {"accountId": a, **args}, **bob), "accountNotFound",
                             name)
        self.assertEqual(self.error("Email/copy", {"fromAccountId": a, "accountId": b,
                                                   "create": {}}, **bob), "fromAccountNotFound")
        # Alice's ids in Bob's account: notFound, or nothing.
        r = self.ok("Email/get", {"accountId": b, "ids": [created["id"]]}, **bob)
        self.assertEqual(r["notFound"], [created["id"]])
        self.assertEqual(self.ok("Email/query", {"accountId": b}, **bob)["ids"], [])
        self.assertEqual(self.ok("Email/query", {"accountId": b, "filter": {
            "inMailbox": boxes["inbox"]}}, **bob)["ids"], [])
        self.assertEqual(self.ok("Email/query", {"accountId": b, "filter": {"text": "report"}},
                                 **bob)["ids"], [])
        r = self.ok("Email/set", {"accountId": b,
                                  "update": {created["id"]: {"keywords/$seen": True}},
                                  "destroy": [created["id"]]}, **bob)
        self.assertEqual(r["notUpdated"][created["id"]]["type"], "notFound")
        self.assertEqual(r["notDestroyed"][created["id"]]["type"], "notFound")
        # Alice's mailbox is no mailbox of Bob's, for a create or an update.
        r = self.ok("Email/set", {"accountId": b, "create": {"x": {
            "mailboxIds": {boxes["inbox"]: True}, "subject": "x"}}}, **bob)
        self.assertEqual(r["notCreated"]["x"]["properties"], ["mailboxIds"])
        for blob in (up["blobId"], created["blobId"], part):
            r = self.ok("Email/import", {"accountId": b, "emails": {"i": {
                "blobId": blob, "mailboxIds": {self.mailboxes(**bob)["inbox"]: True}}}}, **bob)
            self.assertEqual(r["notCreated"]["i"]["type"], "blobNotFound", blob)
            r = self.ok("Email/parse", {"accountId": b, "blobIds": [blob]}, **bob)
            self.assertEqual(r["notFound"], [blob])
            r = self.ok("Email/set", {"accountId": b, "create": {"x": {
                "mailboxIds": {self.mailboxes(**bob)["drafts"]: True},
                "attachments": [{"blobId": blob}]}}}, **bob)
            self.assertEqual(r["notCreated"]["x"]["type"], "blobNotFound")
            self.assertEqual(self.request("GET", f"/jmap/download/{b}/{blob}/x", **bob)[0], 404)
            self.assertEqual(self.request("GET", f"/jmap/download/{a}/{blob}/x", **bob)[0], 404)
        r = self.ok("SearchSnippet/get", {"accountId": b, "filter": {"text": "report"},
                                          "emailIds": [created["id"]]}, **bob)
        self.assertEqual(r["notFound"], [created["id"]])
        # And Alice still has it all.
        self.assertEqual(self.query_ids(filter={"text": "report"}), [created["id"]])
        self.assertEqual(self.request("GET", f"/jmap/download/{a}/{part}/x")[0], 200)


if __name__ == "__main__":
    unittest.main()
