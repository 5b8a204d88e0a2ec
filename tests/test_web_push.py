"""Web Push (RFC 8620 7.2, RFC 8030, RFC 8291, RFC 8292) against the real server.

A push service written here with http.server listens on 127.0.0.1 (http is allowed for loopback
addresses only). The test subscribes over JMAP with a key pair of its own, decrypts the
PushVerification with python3-cryptography, checks the VAPID JWT's signature against the key
the session resource advertises, sends the code back, and then receives an encrypted
StateChange after an SMTP delivery. 410 deletes a subscription, 503 is retried.
"""
import base64
import hashlib
import hmac
import http.client
import http.server
import json
import os
import queue
import smtplib
import ssl
import threading
import time
import unittest

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from harness import DOMAIN, ServerTest

ALICE = "alice@" + DOMAIN
CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"
VAPID = "urn:ietf:params:jmap:webpush-vapid"
WAIT = 20  # seconds for one push to arrive


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hkdf_expand(prk, info, length):
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()[:length]


class UserAgent:
    """The subscriber's keys (RFC 8291 2) and the decryption of what is pushed to it."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.public = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        self.auth = os.urandom(16)

    def keys(self):
        return {"p256dh": b64url(self.public), "auth": b64url(self.auth)}

    def decrypt(self, body):
        salt, rs, idlen = body[:16], int.from_bytes(body[16:20], "big"), body[20]
        assert rs == 4096 and idlen == 65, (rs, idlen)
        as_public = body[21:86]
        sender = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), as_public)
        ecdh = self.key.exchange(ec.ECDH(), sender)
        prk_key = hmac.new(self.auth, ecdh, hashlib.sha256).digest()
        ikm = hkdf_expand(prk_key, b"WebPush: info\x00" + self.public + as_public, 32)
        prk = hmac.new(salt, ikm, hashlib.sha256).digest()
        cek = hkdf_expand(prk, b"Content-Encoding: aes128gcm\x00", 16)
        nonce = hkdf_expand(prk, b"Content-Encoding: nonce\x00", 12)
        plain = AESGCM(cek).decrypt(nonce, body[86:], b"")
        assert plain.endswith(b"\x02"), plain
        return json.loads(plain[:-1].rstrip(b"\x00"))


class PushService(http.server.ThreadingHTTPServer):
    """Records every POST; answers with the status queued for its path, else 201."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), PushHandler)
        self.received = queue.Queue()
        self.answers = {}  # path -> list of (status, headers) to answer next
        self.delays = {}  # path -> seconds to wait before answering
        self.lock = threading.Lock()

    def answer_for(self, path):
        with self.lock:
            queued = self.answers.get(path)
            return queued.pop(0) if queued else (201, {})

    def handle_error(self, request, client_address):
        pass  # pushmaild closing a kept connection as it stops (the restart) is expected

    @property
    def origin(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


class PushHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so the server can reuse its connection

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        status, extra = self.server.answer_for(self.path)
        time.sleep(self.server.delays.get(self.path, 0))
        self.server.received.put({"path": self.path, "headers": dict(self.headers),
                                  "body": body, "status": status, "at": time.monotonic(),
                                  "peer": self.client_address})
        self.send_response(status)
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class WebPushCase(ServerTest):
    """A server with SMTP and HTTPS, a push service, and JMAP helpers."""
    server_args = {"listeners": ("smtp", "http")}

    def setUp(self):
        super().setUp()
        self.service = PushService()
        threading.Thread(target=self.service.serve_forever, daemon=True).start()
        self.addCleanup(self.service.server_close)
        self.addCleanup(self.service.shutdown)

    # --- JMAP over HTTPS, as test_jmap.py does it.

    def request(self, method, path, body=None):
        context = ssl.create_default_context(cafile=self.server.data + "/tls/cert.pem")
        c = http.client.HTTPSConnection("127.0.0.1", self.port("http"), timeout=15,
                                        context=context)
        auth = base64.b64encode(f"{ALICE}:alice-pw".encode()).decode()
        headers = {"Authorization": "Basic " + auth}
        if body is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(body).encode()
        try:
            c.request(method, path, body=body, headers=headers)
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def call(self, method, args):
        status, body = self.request("POST", "/jmap/api", {"using": [CORE, MAIL],
                                                          "methodCalls": [[method, args, "c"]]})
        self.assertEqual(status, 200, body)
        name, answer, _ = json.loads(body)["methodResponses"][0]
        self.assertEqual(name, method, answer)
        return answer

    def session(self):
        status, body = self.request("GET", "/.well-known/jmap")
        self.assertEqual(status, 200)
        return json.loads(body)

    def subscribe(self, path, keys=None):
        create = {"deviceClientId": "test-" + path, "url": self.service.origin + path}
        if keys:
            create["keys"] = keys
        answer = self.call("PushSubscription/set", {"create": {"s": create}})
        self.assertIn("s", answer["created"] or {}, answer)
        return answer["created"]["s"]["id"]

    def next_push(self, path=None):
        deadline = time.monotonic() + WAIT
        while True:
            left = deadline - time.monotonic()
            self.assertGreater(left, 0, "no push arrived")
            try:
                push = self.service.received.get(timeout=left)
            except queue.Empty:
                self.fail("no push arrived")
            if path is None or push["path"] == path:
                return push

    def deliver(self, subject):
        with smtplib.SMTP("127.0.0.1", self.port("smtp"), timeout=15) as s:
            s.sendmail("carol@example.org", [ALICE],
                       f"From: carol@example.org\r\nTo: {ALICE}\r\nSubject: {subject}\r\n\r\nhi\r\n")

    # --- VAPID (RFC 8292): the JWT is signed by the key the session resource gives.

    def check_vapid(self, headers, server_key):
        scheme, _, params = headers["Authorization"].partition(" ")
        self.assertEqual(scheme, "vapid")
        fields = dict(p.strip().split("=", 1) for p in params.split(","))
        self.assertEqual(fields["k"], server_key)
        header_b64, claims_b64, signature_b64 = fields["t"].split(".")
        self.assertEqual(json.loads(unb64url(header_b64)), {"typ": "JWT", "alg": "ES256"})
        claims = json.loads(unb64url(claims_b64))
        self.assertEqual(claims["aud"], self.service.origin)
        self.assertTrue(claims["sub"].startswith("mailto:"), claims)
        self.assertGreater(claims["exp"], time.time())
        self.assertLessEqual(claims["exp"], time.time() + 24 * 3600)
        signature = unb64url(signature_b64)
        self.assertEqual(len(signature), 64)
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"),
                                   int.from_bytes(signature[32:], "big"))
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(server_key))
        signed = f"{header_b64}.{claims_b64}".encode()
        key.verify(der, signed, ec.ECDSA(hashes.SHA256()))  # raises InvalidSignature
        with self.assertRaises(InvalidSignature):
            key.verify(der, signed + b"x", ec.ECDSA(hashes.SHA256()))


class WebPushTest(WebPushCase):
    def test_verify_then_receive_encrypted_state_changes(self):
        session = self.session()
        server_key = session["capabilities"][VAPID]["applicationServerKey"]
        self.assertEqual(len(unb64url(server_key)), 65)
        account = session["primaryAccounts"][MAIL]
        ua = UserAgent()
        sub_id = self.subscribe("/push/alice", ua.keys())

        push = self.next_push("/push/alice")
        headers = push["headers"]
        self.assertEqual(headers["Content-Encoding"], "aes128gcm")
        self.assertGreater(int(headers["TTL"]), 0)
        self.assertIn(headers["Urgency"], ("very-low", "low", "normal", "high"))
        self.assertLessEqual(len(push["body"]), 4096)
        self.check_vapid(headers, server_key)
        verification = ua.decrypt(push["body"])
        self.assertEqual(verification["@type"], "PushVerification")
        self.assertEqual(verification["pushSubscriptionId"], sub_id)
        code = verification["verificationCode"]

        # Not verified yet: a delivery pushes nothing.
        self.deliver("before verification")
        self.assertTrue(self.service.received.empty())
        got = self.call("PushSubscription/get", {"ids": [sub_id]})["list"][0]
        self.assertIsNone(got["verificationCode"])
        self.assertNotIn("url", got)

        wrong = self.call("PushSubscription/set", {"update": {sub_id: {"verificationCode": "x"}}})
        self.assertEqual(wrong["notUpdated"][sub_id]["type"], "invalidProperties")
        ok = self.call("PushSubscription/set", {"update": {sub_id: {"verificationCode": code}}})
        self.assertIn(sub_id, ok["updated"], ok)
        got = self.call("PushSubscription/get", {"ids": [sub_id]})["list"][0]
        self.assertEqual(got["verificationCode"], code)

        self.deliver("after verification")
        state = self.call("Email/get", {"accountId": account, "ids": []})["state"]
        change_push = self.next_push("/push/alice")
        change = ua.decrypt(change_push["body"])
        self.assertEqual(change["@type"], "StateChange")
        self.assertEqual(change["changed"][account]["Email"], state)
        self.assertIn("Mailbox", change["changed"][account])
        self.assertEqual(change_push["headers"]["Urgency"], "normal")
        self.assertEqual(change_push["headers"]["Topic"], "StateChange")
        self.assertNotIn("Topic", headers)  # not on the verification
        self.check_vapid(change_push["headers"], server_key)
        # The connection to the push service was kept and used again.
        self.assertEqual(change_push["peer"], push["peer"])

        # types narrows what is pushed: an Email-only subscription hears of Email alone.
        self.call("PushSubscription/set", {"update": {sub_id: {"types": ["Email"]}}})
        self.deliver("typed")
        typed = ua.decrypt(self.next_push("/push/alice")["body"])
        self.assertEqual(list(typed["changed"][account]), ["Email"])

        # The subscription is durable: after a restart, pushes go on.
        self.server.stop()
        self.server.start()
        got = self.call("PushSubscription/get", {})["list"]
        self.assertEqual([s["id"] for s in got], [sub_id])
        self.deliver("after restart")
        state = self.call("Email/get", {"accountId": account, "ids": []})["state"]
        after = ua.decrypt(self.next_push("/push/alice")["body"])
        self.assertEqual(after["changed"][account]["Email"], state)

        self.call("PushSubscription/set", {"destroy": [sub_id]})
        self.assertEqual(self.call("PushSubscription/get", {})["list"], [])

    def test_gone_subscription_is_deleted(self):
        self.service.answers["/push/gone"] = [(410, {})]
        ua = UserAgent()
        sub_id = self.subscribe("/push/gone", ua.keys())
        push = self.next_push("/push/gone")
        self.assertEqual(push["status"], 410)
        for _ in range(100):
            answer = self.call("PushSubscription/get", {"ids": [sub_id]})
            if answer["notFound"] == [sub_id]:
                break
            time.sleep(0.1)
        self.assertEqual(answer["notFound"], [sub_id])
        self.assertIn("subscription", self.server.log())

    def test_unavailable_is_retried_and_plain_without_keys(self):
        # 503 with Retry-After: the same verification comes again; no keys: plain JSON.
        self.service.answers["/push/flaky"] = [(503, {"Retry-After": "1"})]
        sub_id = self.subscribe("/push/flaky")
        first = self.next_push("/push/flaky")
        self.assertEqual(first["status"], 503)
        second = self.next_push("/push/flaky")
        self.assertEqual(second["status"], 201)
        self.assertNotIn("Content-Encoding", second["headers"])
        self.assertEqual(second["headers"]["Content-Type"], "application/json")
        verification = json.loads(second["body"])
        self.assertEqual(verification["pushSubscriptionId"], sub_id)
        self.assertEqual(json.loads(first["body"]), verification)

    def test_https_to_a_private_address_is_not_sent(self):
        # "localhost" passes as an https URL, but resolves to loopback only: no request goes
        # out (allow_private_addresses is off), and it is not retried.
        port = self.service.server_address[1]
        answer = self.call("PushSubscription/set", {"create": {"s": {
            "deviceClientId": "d", "url": f"https://localhost:{port}/private"}}})
        self.assertIn("s", answer["created"], answer)
        for _ in range(100):
            if "resolves to no public address" in self.server.log():
                break
            time.sleep(0.1)
        self.assertIn("resolves to no public address", self.server.log())
        self.assertTrue(self.service.received.empty())

    def test_bad_urls_are_refused(self):
        for url in ("http://push.example.net/x", "http://192.0.2.1/x", "ftp://127.0.0.1/x",
                    "https://user:pw@push.example.net/x"):
            answer = self.call("PushSubscription/set", {"create": {
                "s": {"deviceClientId": "d", "url": url}}})
            self.assertEqual(answer["notCreated"]["s"]["properties"], ["url"], url)


class OneConnectionPerOriginTest(WebPushCase):
    server_args = {"listeners": ("smtp", "http"), "config": "[webpush]\nmax_connections = 1\n"}

    def test_requests_to_one_origin_wait_for_the_connection(self):
        # Two verifications at once to a slow push service: with one request in flight per
        # origin, the second waits and goes over the connection the first leaves.
        for path in ("/slow/1", "/slow/2"):
            self.service.delays[path] = 0.3
        answer = self.call("PushSubscription/set", {"create": {
            name: {"deviceClientId": name, "url": self.service.origin + "/slow/" + name}
            for name in ("1", "2")}})
        self.assertEqual(len(answer["created"]), 2, answer)
        first, second = self.next_push(), self.next_push()
        self.assertEqual({first["path"], second["path"]}, {"/slow/1", "/slow/2"})
        self.assertEqual(first["peer"], second["peer"])


if __name__ == "__main__":
    unittest.main()
