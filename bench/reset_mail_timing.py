#!/usr/bin/env python3
"""Measures whether `/reset` timing reveals which addresses have an account when mail goes out
through an SMTP relay.

Starts a minimal SMTP relay on a loopback port (real SMTP over TCP) and `sesame serve` pointed at
it, creates one account, then sends interleaved `POST /reset` requests for that address and for
an unknown one and prints the latency of each (median, p90) and the difference of medians; then
waits until every reset mail for the known address has reached the relay. `--relay-delay-ms`
makes the relay slow to answer, as a remote one is: with mail sent inside the request that
delay showed up in the known address's answers only.

Usage: bench/reset_mail_timing.py [--rounds N] [--relay-delay-ms MS] [--sesame PATH] [--component PATH]
"""

import socket
import sys
import tempfile
import threading
import time

from _common import print_medians, request, rounds_parser, sesame_serving


def relay(delay, received):
    """A relay accepting every message; returns its port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)

    def session(conn):
        with conn, conn.makefile("rb") as lines:
            def reply(text):
                time.sleep(delay)
                conn.sendall(text)
            reply(b"220 bench ESMTP\r\n")
            for line in lines:
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    reply(b"250-bench\r\n250 8BITMIME\r\n")
                elif verb == b"DATA":
                    conn.sendall(b"354 go ahead\r\n")
                    message = []
                    for data in lines:
                        if data == b".\r\n":
                            break
                        message.append(data)
                    received.append(b"".join(message))
                    reply(b"250 queued\r\n")
                elif verb == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    reply(b"250 OK\r\n")

    def accept():
        while True:
            conn, _ = listener.accept()
            threading.Thread(target=session, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return listener.getsockname()[1]


def reset(port, email):
    return request(port, "POST", "/reset", {"email": email})


def main():
    parser = rounds_parser(__doc__, 50)
    parser.add_argument("--relay-delay-ms", type=float, default=0)
    args = parser.parse_args()

    received = []
    smtp_port = relay(args.relay_delay_ms / 1000, received)
    env = dict(SESAME_SMTP=f"smtp://127.0.0.1:{smtp_port}?tls=off",
               SESAME_THROTTLE_REGISTER_PER_IP="100000")
    with tempfile.TemporaryDirectory() as tmp, sesame_serving(args, f"{tmp}/sesame.db", env) as port:
        status, _, _ = request(port, "POST", "/register",
                               {"email": "ada@example.com", "password": "the right password"})
        assert status == 202, status
        kinds = {"known address": "ada@example.com", "unknown address": "nobody@example.com"}
        for email in kinds.values():
            reset(port, email)
        times = {k: [] for k in kinds}
        bodies = set()
        for _ in range(args.rounds):
            for kind, email in kinds.items():
                status, data, elapsed = reset(port, email)
                assert status == 202, (kind, status, data)
                times[kind].append(elapsed * 1000)
                bodies.add(data)
        print(f"{'kind':<16} {'median ms':>10} {'p90 ms':>8}  (n={args.rounds} each, interleaved,"
              f" relay answering after {args.relay_delay_ms:g} ms)")
        medians = print_medians(times)
        print(f"difference of medians (known - unknown): "
              f"{medians['known address'] - medians['unknown address']:+.2f} ms")
        print(f"distinct response bodies: {len(bodies)}")
        expected = 1 + 1 + args.rounds  # confirmation, warm-up reset, measured resets
        until = time.monotonic() + 120
        while len(received) < expected and time.monotonic() < until:
            time.sleep(0.05)
        print(f"messages at the relay: {len(received)} of {expected}")


if __name__ == "__main__":
    sys.exit(main())
