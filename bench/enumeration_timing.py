#!/usr/bin/env python3
"""Measures whether sign-in timing reveals which accounts exist.

Starts `sesame serve` on a free loopback port with a fresh database, creates one account,
locks a second one, then sends interleaved sign-in attempts for an unknown account, a wrong
password and a locked account, and prints the latency of each (median, p90) and the largest
difference of medians. Interleaving spreads the machine's noise evenly over the three kinds.

Usage: bench/enumeration_timing.py [--rounds N] [--sesame PATH] [--component PATH]
"""

import sys
import tempfile

from _common import print_medians, request, rounds_parser, sesame_serving


def main():
    parser = rounds_parser(__doc__, 60)
    args = parser.parse_args()

    env = dict(SESAME_THROTTLE_LOGIN_PER_IP="100000",
               SESAME_THROTTLE_LOGIN_PER_ACCOUNT="100000",
               SESAME_LOCKOUT_THRESHOLD="3")
    with tempfile.TemporaryDirectory() as tmp, sesame_serving(args, f"{tmp}/sesame.db", env) as port:
        for email in ("real@example.com", "locked@example.com"):
            status, _, _ = request(port, "POST", "/register", {"email": email, "password": "the right password"})
            assert status == 202, status
        for _ in range(3):
            request(port, "POST", "/login", {"email": "locked@example.com", "password": "wrong password!"})
        kinds = {
            "unknown account": {"email": "nobody@example.com", "password": "wrong password!"},
            "wrong password": {"email": "real@example.com", "password": "wrong password!"},
            "locked account": {"email": "locked@example.com", "password": "the right password"},
        }
        times = {k: [] for k in kinds}
        bodies = {k: set() for k in kinds}
        # Warm up compilation caches and connection paths.
        for body in kinds.values():
            request(port, "POST", "/login", body)
        for _ in range(args.rounds):
            for kind, body in kinds.items():
                status, data, elapsed = request(port, "POST", "/login", body)
                assert status == 401, (kind, status, data)
                times[kind].append(elapsed * 1000)
                bodies[kind].add(data)
        all_bodies = set().union(*bodies.values())
        print(f"{'kind':<16} {'median ms':>10} {'p90 ms':>8}  (n={args.rounds} each, interleaved)")
        medians = print_medians(times)
        spread = max(medians.values()) - min(medians.values())
        print(f"largest difference of medians: {spread:.2f} ms "
              f"({100 * spread / min(medians.values()):.1f}% of the fastest)")
        print(f"distinct response bodies across the three kinds: {len(all_bodies)}")


if __name__ == "__main__":
    sys.exit(main())
