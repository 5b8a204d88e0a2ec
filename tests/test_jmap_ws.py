"""JMAP over WebSocket (RFC 8887), Bearer tokens and signed EventSource URLs, against the real
pushmaild. The WebSocket client is written here on python3's socket and ssl, so that the test
can also send the frames a correct client never would."""
import base64
import hashlib
import http.client
import json
import os
import smtplib
import socket
import ssl
import struct
import unittest
import zlib

from harness import DOMAIN, ServerTest

ALICE = "alice@" + DOMAIN
BOB = "bob@" + DOMAIN
CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"
WS = "urn:ietf:params:jmap:websocket"
DEFLATE_TAIL = b"\x00\x00\xff\xff"


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Closed(Exception):
    """The server closed the WebSocket; `code` is its close code (None without a Close frame)."""

    def __init__(self, code):
        super().__init__(f"closed with {code}")
        self.code = code


class WsClient:
    def __init__(self, port, cafile, authorization=None, protocol="jmap", extensions=None,
                 timeout=15):
        context = ssl.create_default_context(cafile=cafile)
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock = context.wrap_socket(raw, server_hostname="127.0.0.1")
        self.buffer = b""
        self.deflate = False
        key = base64.b64encode(os.urandom(16)).decode()
        lines = ["GET /jmap/ws HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        if protocol:
            lines.append(f"Sec-WebSocket-Protocol: {protocol}")
        if extensions:
            lines.append(f"Sec-WebSocket-Extensions: {extensions}")
        if authorization:
            lines.append(f"Authorization: {authorization}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status_line, *fields = head.decode().split("\r\n")
        self.status = int(status_line.split()[1])
        self.headers = {}
        for f in fields:
            name, _, value = f.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        if self.status == 101:
            expected = base64.b64encode(hashlib.sha1(
                (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
            assert self.headers["sec-websocket-accept"] == expected
            self.deflate = "permessage-deflate" in self.headers.get("sec-websocket-extensions", "")

    def close(self):
        self.sock.close()

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise Closed(None)
        self.buffer += chunk

    def _take(self, n):
        while len(self.buffer) < n:
            self._fill()
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def send_frame(self, opcode, payload, fin=True, rsv1=False, mask=True, raw_first=None):
        first = raw_first if raw_first is not None else (
            (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode)
        n = len(payload)
        m = 0x80 if mask else 0
        if n < 126:
            head = bytes([first, m | n])
        elif n < 65536:
            head = bytes([first, m | 126]) + struct.pack("!H", n)
        else:
            head = bytes([first, m | 127]) + struct.pack("!Q", n)
        if mask:
            key = os.urandom(4)
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
            head += key
        self.sock.sendall(head + payload)

    def recv_frame(self):
        b0, b1 = self._take(2)
        assert not b1 & 0x80, "a server frame must not be masked"
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._take(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._take(8))[0]
        return bool(b0 & 0x80), bool(b0 & 0x40), b0 & 0x0F, self._take(n)

    def recv_message(self, answer_pings=True):
        """The next data message as (text, compressed); raises Closed at a Close frame."""
        data, compressed = b"", False
        for _ in range(1000):
            fin, rsv1, opcode, payload = self.recv_frame()
            if opcode == 0x8:
                raise Closed(struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None)
            if opcode == 0x9:
                if answer_pings:
                    self.send_frame(0xA, payload)
                continue
            if opcode == 0xA:
                continue
            if opcode != 0x0:
                compressed = rsv1
            data += payload
            if fin:
                break
        if compressed:
            data = zlib.decompressobj(-15).decompress(data + DEFLATE_TAIL)
        return data.decode(), compressed

    def send_json(self, obj, compress=False):
        data = json.dumps(obj).encode()
        if compress:
            c = zlib.compressobj(wbits=-15)
            data = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
            assert data.endswith(DEFLATE_TAIL)
            data = data[:-4]
        self.send_frame(0x1, data, rsv1=compress)

    def recv_json(self):
        return json.loads(self.recv_message()[0])

    def request(self, calls, rid="r1", using=(CORE, MAIL)):
        self.send_json({"@type": "Request", "id": rid, "using": list(using), "methodCalls": calls})
        reply = self.recv_json()
        assert reply["@type"] == "Response", reply
        assert reply["requestId"] == rid, reply
        return reply["methodResponses"]

    def expect_close(self):
        """Reads until the server's Close frame; returns its code."""
        try:
            for _ in range(100):
                self.recv_message()
        except Closed as e:
            return e.code
        raise AssertionError("the server did not close")


class WsServerTest(ServerTest):
    """The helpers; no tests of its own."""
    server_args = {"listeners": ("smtp", "http")}

    def cafile(self):
        return self.server.data + "/tls/cert.pem"

    def https(self):
        context = ssl.create_default_context(cafile=self.cafile())
        c = http.client.HTTPSConnection("127.0.0.1", self.port("http"), timeout=15,
                                        context=context)
        self.addCleanup(c.close)
        return c

    def call(self, method, path, body=None, authorization=None):
        c = self.https()
        headers = {"Authorization": authorization} if authorization else {}
        if body is not None:
            body = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        return r.status, r, r.read()

    def login(self, user=ALICE, password="alice-pw"):
        status, _, body = self.call("POST", "/jmap/login", {"username": user, "password": password})
        self.assertEqual(status, 200, body)
        reply = json.loads(body)
        self.assertEqual(reply["tokenType"], "Bearer")
        self.assertTrue(reply["expires"].endswith("Z"))
        return reply["accessToken"]

    def ws(self, authorization=None, **kw):
        c = WsClient(self.port("http"), self.cafile(), authorization, **kw)
        self.addCleanup(c.close)
        return c

    def open_ws(self, user=ALICE, password="alice-pw", **kw):
        c = self.ws("Bearer " + self.login(user, password), **kw)
        self.assertEqual(c.status, 101)
        self.assertEqual(c.headers["sec-websocket-protocol"], "jmap")
        return c

    def deliver(self, subject, to=ALICE):
        msg = (f"From: Carol <carol@elsewhere.test>\r\nTo: {to}\r\nSubject: {subject}\r\n"
               f"Message-ID: <{subject.replace(' ', '.')}@test>\r\n\r\nbody of {subject}\r\n")
        with smtplib.SMTP("127.0.0.1", self.port("smtp"), timeout=15) as c:
            c.sendmail("carol@elsewhere.test", [to], msg.encode())

    def metrics(self):
        status, _, body = self.call("GET", "/metrics")
        self.assertEqual(status, 200)
        return body.decode()


class WebSocketTest(WsServerTest):

    def test_session_resource_advertises_the_websocket(self):
        status, _, body = self.call("GET", "/.well-known/jmap",
                                    authorization="Bearer " + self.login())
        self.assertEqual(status, 200, body)
        capability = json.loads(body)["capabilities"][WS]
        self.assertTrue(capability["supportsPush"])
        self.assertEqual(capability["url"], f"wss://127.0.0.1:{self.port('http')}/jmap/ws")

    def test_push_after_smtp_then_changes_and_get_fetch_the_new_email(self):
        c = self.open_ws()
        account = c.request([["Core/echo", {"x": 1}, "0"]])
        self.assertEqual(account[0], ["Core/echo", {"x": 1}, "0"])
        got = c.request([["Email/get", {"accountId": "A1", "ids": []}, "0"]], rid="g")
        since = got[0][1]["state"]
        c.send_json({"@type": "WebSocketPushEnable", "dataTypes": None})
        self.deliver("over the websocket")
        change = c.recv_json()
        self.assertEqual(change["@type"], "StateChange")
        account_id = next(iter(change["changed"]))
        self.assertEqual(account_id, "A1")
        self.assertIn("Email", change["changed"][account_id])
        self.assertGreater(change["pushSeq"][account_id], 0)
        self.assertTrue(change["pushState"])
        replies = c.request([
            ["Email/changes", {"accountId": account_id, "sinceState": since}, "c"],
            ["Email/get", {"accountId": account_id, "properties": ["subject"],
                           "#ids": {"resultOf": "c", "name": "Email/changes",
                                    "path": "/created"}}, "g"],
        ], rid="fetch")
        self.assertEqual(len(replies[0][1]["created"]), 1)
        self.assertEqual(replies[1][1]["list"][0]["subject"], "over the websocket")
        self.assertEqual(replies[0][1]["newState"], change["changed"][account_id]["Email"])
        m = self.metrics()
        self.assertIn('pushmail_connections{kind="websocket"} 1\n', m)
        self.assertIn("pushmail_websocket_pushes_total 1\n", m)
        # Disabled: the next delivery is not pushed, so the next message is the response.
        c.send_json({"@type": "WebSocketPushDisable"})
        self.deliver("not pushed")
        self.assertEqual(c.request([["Core/echo", {}, "e"]], rid="after")[0][0], "Core/echo")

    def test_push_state_brings_missed_changes_at_once(self):
        c = self.open_ws()
        c.send_json({"@type": "WebSocketPushEnable", "dataTypes": ["Email"]})
        self.deliver("first")
        state = c.recv_json()["pushState"]
        c.close()
        self.deliver("while away")
        c = self.open_ws()
        c.send_json({"@type": "WebSocketPushEnable", "dataTypes": ["Email"], "pushState": state})
        change = c.recv_json()
        self.assertEqual(change["@type"], "StateChange")
        self.assertIn("Email", change["changed"]["A1"])
        self.assertNotEqual(change["pushState"], state)
        # With the current pushState nothing is missed: the next message is the response.
        c2 = self.open_ws()
        c2.send_json({"@type": "WebSocketPushEnable", "pushState": change["pushState"]})
        self.assertEqual(c2.request([["Core/echo", {}, "e"]], rid="x")[0][0], "Core/echo")

    def test_request_errors_keep_the_connection(self):
        c = self.open_ws()
        c.send_frame(0x1, b"not json")
        e = c.recv_json()
        self.assertEqual(e["@type"], "RequestError")
        self.assertEqual(e["type"], "urn:ietf:params:jmap:error:notJSON")
        c.send_json({"@type": "Request", "id": "u", "using": ["urn:nope"], "methodCalls": []})
        e = c.recv_json()
        self.assertEqual(e["@type"], "RequestError")
        self.assertEqual(e["requestId"], "u")
        self.assertEqual(e["type"], "urn:ietf:params:jmap:error:unknownCapability")
        c.send_json({"@type": "Surprise", "id": "s"})
        self.assertEqual(c.recv_json()["requestId"], "s")
        # Fragmented, with a ping between the fragments: answered with a pong, then the response.
        body = json.dumps({"@type": "Request", "id": "f", "using": [CORE],
                           "methodCalls": [["Core/echo", {"a": "b"}, "0"]]}).encode()
        c.send_frame(0x1, body[:10], fin=False)
        c.send_frame(0x9, b"hi")
        c.send_frame(0x0, body[10:20], fin=False)
        c.send_frame(0x0, body[20:])
        fin, _, opcode, payload = c.recv_frame()
        self.assertEqual((opcode, payload), (0xA, b"hi"))
        self.assertEqual(c.recv_json()["requestId"], "f")

    def test_bad_frames_get_their_close_code_and_the_server_goes_on(self):
        cases = [
            ("unmasked", lambda c: c.send_frame(0x1, b"{}", mask=False), 1002),
            ("reserved opcode", lambda c: c.send_frame(0x3, b""), 1002),
            ("rsv1 without deflate", lambda c: c.send_frame(0x1, b"{}", rsv1=True), 1002),
            ("continuation first", lambda c: c.send_frame(0x0, b"{}"), 1002),
            ("fragmented ping", lambda c: c.send_frame(0x9, b"", fin=False), 1002),
            ("bad utf-8", lambda c: c.send_frame(0x1, b"\xc3\x28"), 1007),
            ("binary", lambda c: c.send_frame(0x2, b"\x00\x01"), 1003),
            ("bad close code", lambda c: c.send_frame(0x8, struct.pack("!H", 1005)), 1002),
            ("over maxSizeRequest",
             lambda c: c.sock.sendall(b"\x81\xff" + struct.pack("!Q", 64 << 20) + b"abcd"), 1009),
            ("client close", lambda c: c.send_frame(0x8, struct.pack("!H", 1000)), 1000),
        ]
        token = self.login()
        for name, send, code in cases:
            with self.subTest(name):
                c = self.ws("Bearer " + token)
                self.assertEqual(c.status, 101)
                send(c)
                self.assertEqual(c.expect_close(), code)
        c = self.ws("Bearer " + token)
        self.assertEqual(c.request([["Core/echo", {}, "0"]], rid="alive")[0][0], "Core/echo")
        self.assertIn("pushmail_websocket_failures_total 8\n", self.metrics())

    def test_bad_upgrades(self):
        token = "Bearer " + self.login()
        self.assertEqual(self.ws(token, protocol=None).status, 400)
        self.assertEqual(self.ws(None).status, 401)
        self.assertEqual(self.ws("Bearer " + "A" * 43).status, 401)
        status, _, _ = self.call("GET", "/jmap/ws", authorization=token)
        self.assertEqual(status, 426)

    def test_permessage_deflate_without_context_takeover(self):
        c = self.open_ws(extensions="permessage-deflate; client_max_window_bits")
        self.assertEqual(c.headers["sec-websocket-extensions"],
                         "permessage-deflate; server_no_context_takeover; "
                         "client_no_context_takeover")
        big = "compress me " * 200
        for rid in ("z1", "z2"):  # each message inflates on its own: no context carried over
            c.send_json({"@type": "Request", "id": rid, "using": [CORE],
                         "methodCalls": [["Core/echo", {"big": big}, "0"]]}, compress=True)
            text, compressed = c.recv_message()
            self.assertTrue(compressed)
            reply = json.loads(text)
            self.assertEqual(reply["requestId"], rid)
            self.assertEqual(reply["methodResponses"][0][1]["big"], big)
        # Small answers go uncompressed.
        c.send_json({"@type": "Request", "id": "s", "using": [CORE],
                     "methodCalls": [["Core/echo", {}, "0"]]}, compress=True)
        text, compressed = c.recv_message()
        self.assertFalse(compressed)
        self.assertEqual(json.loads(text)["requestId"], "s")
        # A compressed message that does not inflate.
        c.send_frame(0x1, b"\xff\xff\xff\xff not deflate", rsv1=True)
        self.assertEqual(c.expect_close(), 1007)

    def test_two_accounts_see_only_their_own_changes(self):
        a = self.open_ws()
        b = self.open_ws(BOB, "bob-pw")
        a.send_json({"@type": "WebSocketPushEnable"})
        b.send_json({"@type": "WebSocketPushEnable"})
        b.request([["Core/echo", {}, "0"]], rid="sync")  # the enable is handled by now
        a.request([["Core/echo", {}, "0"]], rid="sync")
        self.deliver("for bob", to=BOB)
        change = b.recv_json()
        self.assertEqual(list(change["changed"]), ["A2"])
        self.deliver("for alice", to=ALICE)
        change = a.recv_json()  # the first thing alice hears is her own change, not bob's
        self.assertEqual(list(change["changed"]), ["A1"])
        refused = a.request([["Email/get", {"accountId": "A2", "ids": []}, "0"]], rid="peek")
        self.assertEqual(refused[0][0], "error")
        self.assertEqual(refused[0][1]["type"], "accountNotFound")

    def test_token_revoke_then_401(self):
        token = self.login()
        auth = "Bearer " + token
        self.assertEqual(self.call("GET", "/.well-known/jmap", authorization=auth)[0], 200)
        status, _, _ = self.call("POST", "/jmap/logout", authorization=auth)
        self.assertEqual(status, 204)
        status, r, _ = self.call("GET", "/.well-known/jmap", authorization=auth)
        self.assertEqual(status, 401)
        self.assertIn("Bearer", r.getheader("WWW-Authenticate"))
        self.assertEqual(self.ws(auth).status, 401)
        self.assertEqual(self.call("POST", "/jmap/logout", authorization=auth)[0], 401)
        status, _, _ = self.call("POST", "/jmap/login", {"username": ALICE, "password": "nope"})
        self.assertEqual(status, 401)
        self.assertEqual(self.call("POST", "/jmap/login", {"username": ALICE})[0], 400)
        # Another login is unaffected by the revoke, and a password change revokes it.
        other = "Bearer " + self.login()
        self.assertEqual(self.call("GET", "/.well-known/jmap", authorization=other)[0], 200)
        self.server.admin("user", "passwd", ALICE, "--password-stdin", input=b"new-pw\n")
        self.assertEqual(self.call("GET", "/.well-known/jmap", authorization=other)[0], 401)
        self.assertEqual(self.call("GET", "/.well-known/jmap",
                                   authorization=basic(ALICE, "alice-pw"))[0], 401)
        self.assertEqual(self.call("GET", "/.well-known/jmap",
                                   authorization=basic(ALICE, "new-pw"))[0], 200)

    def test_signed_eventsource_url(self):
        status, _, body = self.call("POST", "/jmap/eventsource/token",
                                    authorization=basic(ALICE, "alice-pw"))
        self.assertEqual(status, 200, body)
        reply = json.loads(body)
        url = reply["eventSourceUrl"].replace("{types}", "*").replace(
            "{closeafter}", "no").replace("{ping}", "0")
        c = self.https()
        c.request("GET", url)  # no Authorization: the token in the URL is the credential
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("Content-Type"), "text/event-stream")
        r.close()
        token = reply["token"]
        tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
        status, _, _ = self.call("GET", "/jmap/eventsource/?types=*&closeafter=no&ping=0&token="
                                 + tampered)
        self.assertEqual(status, 401)
        # Only the event source takes it.
        status, _, _ = self.call("GET", "/.well-known/jmap?token=" + token)
        self.assertEqual(status, 401)
        status, _, _ = self.call("GET", "/.well-known/jmap", authorization="Bearer " + token)
        self.assertEqual(status, 401)
        key = os.stat(self.server.data + "/eventsource.key")
        self.assertEqual(key.st_mode & 0o777, 0o600)

    def test_session_resource_gives_a_bearer_client_a_signed_eventsource_url(self):
        """A browser client fetches the session with its Bearer token, then opens
        eventSourceUrl as it is: its EventSource sends no Authorization."""
        auth = "Bearer " + self.login()
        status, r, body = self.call("GET", "/.well-known/jmap", authorization=auth)
        self.assertEqual(status, 200, body)
        self.assertEqual(r.getheader("Cache-Control"), "no-store")
        template = json.loads(body)["eventSourceUrl"]
        self.assertIn("&token=", template)
        url = template.replace("{types}", "*").replace("{closeafter}", "no").replace(
            "{ping}", "0")
        c = self.https()
        c.request("GET", url[url.index("/jmap/"):], headers={"Accept": "text/event-stream"})
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("Content-Type"), "text/event-stream")
        r.close()
        # A stale token in the URL does not lock out a client that also sends Authorization.
        stale = "/jmap/eventsource/?types=*&closeafter=no&ping=0&token=A1.1.AAAA"
        self.assertEqual(self.call("GET", stale)[0], 401)
        c = self.https()
        c.request("GET", stale, headers={"Authorization": auth})
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        r.close()
        # Basic: the browser sends the credentials itself; the URL stays plain.
        status, _, body = self.call("GET", "/.well-known/jmap",
                                    authorization=basic(ALICE, "alice-pw"))
        self.assertEqual(status, 200)
        self.assertNotIn("token=", json.loads(body)["eventSourceUrl"])


class WebSocketPingTest(ServerTest):
    server_args = {"listeners": ("http",),
                   "config": "[http]\nwebsocket_ping_s = 1\nmetrics_auth = true\n"}

    def test_silent_client_is_pinged_then_closed(self):
        cafile = self.server.data + "/tls/cert.pem"
        c = WsClient(self.port("http"), cafile, basic(ALICE, "alice-pw"))
        self.addCleanup(c.close)
        self.assertEqual(c.status, 101)
        _, _, opcode, _ = c.recv_frame()
        self.assertEqual(opcode, 0x9)
        # No pong: the next interval ends the connection with "going away".
        self.assertEqual(self._close_code(c), 1001)

    @staticmethod
    def _close_code(c):
        """Reads frames without answering pings until the Close frame; returns its code."""
        for _ in range(10):
            _, _, opcode, payload = c.recv_frame()
            if opcode == 0x8:
                return struct.unpack("!H", payload[:2])[0]
        return None

    def test_metrics_need_auth_when_configured(self):
        context = ssl.create_default_context(cafile=self.server.data + "/tls/cert.pem")
        c = http.client.HTTPSConnection("127.0.0.1", self.port("http"), timeout=15,
                                        context=context)
        self.addCleanup(c.close)
        c.request("GET", "/metrics")
        r = c.getresponse()
        r.read()
        self.assertEqual(r.status, 401)
        c.request("GET", "/metrics", headers={"Authorization": basic(ALICE, "alice-pw")})
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        self.assertIn(b"pushmail_websocket_pushes_total", r.read())


if __name__ == "__main__":
    unittest.main()


class SharedPushTextTest(WsServerTest):
    """One worker, so every stream below is on it: the server makes each StateChange text once
    per event and kind of stream and wanted types, and shares it. Each stream must still get
    exactly its own types, the account's push sequence, and (WebSocket) the pushState."""
    server_args = {"listeners": ("smtp", "http"), "extra": ("--workers", "1")}

    def open_events(self, types):
        c = self.https()
        c.request("GET", f"/jmap/eventsource/?types={types}&closeafter=no&ping=0",
                  headers={"Authorization": basic(ALICE, "alice-pw")})
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        return r

    def test_each_stream_gets_its_own_types_from_the_shared_text(self):
        mail = {"Email", "Mailbox", "Thread"}
        es_wanted = {"*": mail, "Email": {"Email"}, "Thread": {"Thread"},
                     "Thread,Email": {"Thread", "Email"}, "Nope": None}
        ws_wanted = {"null": (None, mail), "Mailbox": (["Mailbox"], {"Mailbox"}),
                     "none": ([], None)}
        streams, sockets = [], []
        for _ in range(2):  # two of each, so that equal ones share
            for types, want in es_wanted.items():
                r = self.open_events(types)
                first = self.next_state(r) if want else None
                streams.append((types, want, r, first))
            for name, (types, want) in ws_wanted.items():
                c = self.open_ws()
                c.send_json({"@type": "WebSocketPushEnable", "dataTypes": types})
                c.request([["Core/echo", {}, "0"]], rid="sync")  # enabled by now
                sockets.append((name, want, c))
        seq = None
        for n in range(2):
            self.deliver(f"shared {n}")
            for types, want, r, first in streams:
                if want is None:
                    continue
                change = self.next_state(r)
                self.assertEqual(set(change["changed"]["A1"]), want, types)
                seq = seq or change["pushSeq"]["A1"]
                self.assertEqual(change["pushSeq"]["A1"], seq + n, types)
                self.assertGreater(change["pushSeq"]["A1"], first["pushSeq"]["A1"], types)
                self.assertNotIn("pushState", change)
            for name, want, c in sockets:
                if want is None:
                    continue
                change = c.recv_json()
                self.assertEqual(change["@type"], "StateChange")
                self.assertEqual(set(change["changed"]["A1"]), want, name)
                self.assertEqual(change["pushSeq"]["A1"], seq + n, name)
                self.assertTrue(change["pushState"].startswith(f"{seq + n}."), name)
        # A WebSocket that wants no type heard nothing: its next message is the answer to a
        # request.
        for name, want, c in sockets:
            if want is None:
                self.assertEqual(c.request([["Core/echo", {}, "e"]], rid="after")[0][0],
                                 "Core/echo")
