"""No acknowledged message is ever lost: SIGKILL the server while 8 sessions deliver."""
import random
import re
import smtplib
import threading
import time
import unittest

from harness import DOMAIN, Server, mbox_messages

ALICE = "alice@" + DOMAIN
SENDERS = 8
ROUNDS = 5
MAX_PER_SENDER = 400  # bounds each round even if the kill never comes


def sender(port, round_no, index, acked, stop, errors):
    """Delivers numbered messages until the server dies; records the ones that got 250."""
    n = 0
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
            while not stop.is_set() and n < MAX_PER_SENDER:
                token = f"r{round_no}-s{index}-m{n}"
                body = (f"Subject: {token}\r\nX-Test-Token: {token}\r\n\r\n" +
                        ("x" * 76 + "\r\n") * 26)
                s.sendmail("load@remote.example", [ALICE], body.encode())
                acked.append(token)  # only after the 250
                n += 1
    except (smtplib.SMTPException, OSError) as e:
        if not stop.is_set():
            errors.append(f"{index}: {e!r}")


class CrashTest(unittest.TestCase):
    def test_kill_during_delivery_loses_nothing_acknowledged(self):
        server = Server(listeners=("smtp",))
        self.addCleanup(server.cleanup)
        server.add_user(ALICE, "pw")
        rng = random.Random(20261123)
        all_acked = []
        for round_no in range(ROUNDS):
            server.start()
            acked, errors, stop = [], [], threading.Event()
            threads = [threading.Thread(target=sender,
                                        args=(server.ports["smtp"], round_no, i, acked, stop,
                                              errors))
                       for i in range(SENDERS)]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.2, 1.2))
            server.kill()  # SIGKILL: no chance to flush anything
            stop.set()
            for t in threads:
                t.join(30)
            all_acked += acked
            self.assertGreater(len(acked), 0, f"nothing acknowledged before the kill: {errors}")

        server.start()
        tokens = []
        for message in mbox_messages(server.export(ALICE)):
            m = re.search(rb"X-Test-Token: (\S+)", message)
            self.assertIsNotNone(m, message[:200])
            tokens.append(m.group(1).decode())
        counts = {}
        for t in tokens:
            counts[t] = counts.get(t, 0) + 1
        missing = [t for t in all_acked if t not in counts]
        doubled = [t for t, c in counts.items() if c > 1]
        self.assertEqual(missing, [], f"{len(missing)} acknowledged messages lost")
        self.assertEqual(doubled, [], "messages stored twice")
        print(f"{len(all_acked)} acknowledged over {ROUNDS} kills, {len(tokens)} stored")
        self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    unittest.main()
