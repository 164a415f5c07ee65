#!/usr/bin/env python3
"""Measures whether asking for a mailed sign-in code reveals which identities have an account.

Starts the SMTP relay of `reset_mail_timing.py` and `sesame serve` with mailed codes on
(`SESAME_US_METHODS=password,email`), creates one account, then sends interleaved
`POST /us-signin/send-code` for that address and for an unknown one, and prints the latency of
each (median, p90), the difference of medians, and the body sizes seen (a code sign-in's answer
always has the same size; only its values differ). Then one wrong code per code sign-in, timed
the same way, for both.

Usage: bench/us_code_timing.py [--rounds N] [--relay-delay-ms MS] [--sesame PATH] [--component PATH]
"""

import json
import sys
import tempfile

from _common import print_medians, request, rounds_parser, sesame_serving
from reset_mail_timing import relay


def main():
    parser = rounds_parser(__doc__, 50)
    parser.add_argument("--relay-delay-ms", type=float, default=0)
    args = parser.parse_args()

    received = []
    smtp_port = relay(args.relay_delay_ms / 1000, received)
    env = dict(SESAME_SMTP=f"smtp://127.0.0.1:{smtp_port}?tls=off",
               SESAME_US_METHODS="password,email",
               SESAME_THROTTLE_REGISTER_PER_IP="100000",
               SESAME_THROTTLE_MAIL_PER_ACCOUNT="100000",
               SESAME_THROTTLE_LOGIN_PER_IP="100000",
               SESAME_LOCKOUT_THRESHOLD="100000")
    with tempfile.TemporaryDirectory() as tmp, sesame_serving(args, f"{tmp}/sesame.db", env) as port:
        status, _, _ = request(port, "POST", "/register",
                               {"email": "ada@example.com", "password": "the right password"})
        assert status == 202, status
        kinds = {"known address": "ada@example.com", "unknown address": "nobody@example.com"}
        send = {k: [] for k in kinds}
        check = {k: [] for k in kinds}
        sizes = set()
        for _ in range(args.rounds + 1):
            for kind, identity in kinds.items():
                status, data, elapsed = request(port, "POST", "/us-signin/send-code",
                                                {"identity": identity, "include_token": True})
                assert status == 200, (kind, status, data)
                send[kind].append(elapsed * 1000)
                sizes.add(len(data))
                token = json.loads(data)["us_token"]
                status, data, elapsed = request(port, "POST", "/us-signin",
                                                {"code": "00000000", "us_token": token})
                assert status == 401, (kind, status, data)
                check[kind].append(elapsed * 1000)
        for times in (send, check):
            for samples in times.values():
                samples.pop(0)  # the first round warms caches
        print(f"{'send-code':<16} {'median ms':>10} {'p90 ms':>8}  (n={args.rounds} each, interleaved,"
              f" relay answering after {args.relay_delay_ms:g} ms)")
        medians = print_medians(send)
        print(f"difference of medians (known - unknown): "
              f"{medians['known address'] - medians['unknown address']:+.2f} ms")
        print(f"{'wrong code':<16} {'median ms':>10} {'p90 ms':>8}")
        medians = print_medians(check)
        print(f"difference of medians (known - unknown): "
              f"{medians['known address'] - medians['unknown address']:+.2f} ms")
        print(f"answer sizes seen: {sorted(sizes)}")


if __name__ == "__main__":
    sys.exit(main())
