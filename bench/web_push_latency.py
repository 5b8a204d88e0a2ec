#!/usr/bin/env python3
"""Web Push latency: SMTP 250 -> the encrypted StateChange POST arriving at a push service.

Starts the real pushmaild in a temp dir (tests/harness.py), a push service on 127.0.0.1
(tests/test_web_push.py's), one verified subscription with keys, then delivers N messages one at
a time over a raw SMTP session and waits for each push before the next (so none coalesce).
Reports p50/p99/max of push arrival minus the moment the client read the 250, and minus the
moment it sent the end-of-data dot. Never asserts a time.

    python3 bench/web_push_latency.py --server build/bin/pushmaild --messages 200
"""
import argparse
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))

from harness import DOMAIN, RawSmtp, Server  # noqa: E402
import test_web_push as wp  # noqa: E402


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()
    os.environ["PUSHMAILD"] = os.path.abspath(args.server)
    wp.PUSHMAILD = os.environ["PUSHMAILD"]
    import harness
    harness.PUSHMAILD = os.environ["PUSHMAILD"]

    server = Server(listeners=("smtp", "http"))
    server.add_user(wp.ALICE, "alice-pw")
    server.start()
    service = wp.PushService()
    threading.Thread(target=service.serve_forever, daemon=True).start()
    try:
        case = wp.WebPushTest()
        case.server, case.service = server, service
        ua = wp.UserAgent()
        sub = case.subscribe("/push/bench", ua.keys())
        code = ua.decrypt(case.next_push("/push/bench")["body"])["verificationCode"]
        case.call("PushSubscription/set", {"update": {sub: {"verificationCode": code}}})

        smtp = RawSmtp(server.ports["smtp"])
        smtp.reply()
        smtp.cmd("EHLO bench")
        after_250, after_dot = [], []
        last_seq = 0
        for i in range(args.messages):
            smtp.cmd("MAIL FROM:<carol@example.org>")
            smtp.cmd(f"RCPT TO:<{wp.ALICE}>")
            smtp.cmd("DATA")
            smtp.send(f"Subject: {i}\r\n\r\nbody {i}\r\n.\r\n")  # one write: no Nagle wait
            dot = time.monotonic()
            code_250, _ = smtp.reply()
            got_250 = time.monotonic()
            assert code_250 == 250
            push = case.next_push("/push/bench")
            change = ua.decrypt(push["body"])
            seq = list(change["pushSeq"].values())[0]
            assert seq > last_seq, (seq, last_seq)
            last_seq = seq
            after_250.append((push["at"] - got_250) * 1000)
            after_dot.append((push["at"] - dot) * 1000)
        smtp.cmd("QUIT")
        for name, values in (("SMTP 250 -> push POST received", after_250),
                             ("DATA dot -> push POST received", after_dot)):
            print(f"{name}: p50 {statistics.median(values):.3f} ms, "
                  f"p99 {percentile(values, 0.99):.3f} ms, max {max(values):.3f} ms "
                  f"({len(values)} messages, encrypted, VAPID-signed, one kept connection)")
    finally:
        service.shutdown()
        service.server_close()
        server.stop()
        server.cleanup()


if __name__ == "__main__":
    main()
