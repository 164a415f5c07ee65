#!/usr/bin/env python3
"""Measures whether sign-in timing reveals which accounts exist.

Starts `sesame serve` on a free loopback port with a fresh database, creates one account,
locks a second one, then sends interleaved sign-in attempts for an unknown account, a wrong
password and a locked account, and prints the latency of each (median, p90) and the largest
difference of medians. Interleaving spreads the machine's noise evenly over the three kinds.

Usage: bench/enumeration_timing.py [--rounds N] [--sesame PATH] [--component PATH]
"""

import argparse
import http.client
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))


def request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    payload = json.dumps(body).encode() if body is not None else None
    all_headers = {"content-type": "application/json", **(headers or {})}
    started = time.perf_counter()
    conn.request(method, path, body=payload, headers=all_headers)
    response = conn.getresponse()
    data = response.read()
    elapsed = time.perf_counter() - started
    conn.close()
    return response.status, data, elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--sesame", default=str(TARGET / "debug" / "sesame"))
    parser.add_argument("--component", default=str(TARGET / "wasm32-wasip2" / "release" / "sesame_guest.wasm"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ,
                   SESAME_THROTTLE_LOGIN_PER_IP="100000",
                   SESAME_THROTTLE_LOGIN_PER_ACCOUNT="100000",
                   SESAME_LOCKOUT_THRESHOLD="3",
                   RUST_LOG="warn")
        server = subprocess.Popen(
            [args.sesame, "--store", f"{tmp}/sesame.db", "--component", args.component,
             "serve", "--listen", "127.0.0.1:0"],
            stdout=subprocess.PIPE, env=env, text=True)
        try:
            line = server.stdout.readline()
            port = int(line.rsplit(":", 1)[1])
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
            medians = {}
            for kind, samples in times.items():
                samples.sort()
                medians[kind] = statistics.median(samples)
                p90 = samples[int(len(samples) * 0.9) - 1]
                print(f"{kind:<16} {medians[kind]:>10.2f} {p90:>8.2f}")
            spread = max(medians.values()) - min(medians.values())
            print(f"largest difference of medians: {spread:.2f} ms "
                  f"({100 * spread / min(medians.values()):.1f}% of the fastest)")
            print(f"distinct response bodies across the three kinds: {len(all_bodies)}")
        finally:
            server.kill()
            server.wait()


if __name__ == "__main__":
    sys.exit(main())
