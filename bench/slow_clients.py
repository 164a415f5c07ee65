#!/usr/bin/env python3
"""Measures whether stalled connections slow Sesame down.

Starts `sesame serve` on a free loopback port with a fresh database and one account, opens
5,000 connections from 250 loopback addresses (20 each, under the default per-address cap)
that each send part of a request and then nothing, and while they are held measures the
latency of `GET /healthz` and of a sign-in from yet another address (median, p90, max).
The read deadline is raised for the run so the stalled connections stay open throughout.

Usage: bench/slow_clients.py [--connections N] [--rounds N] [--sesame PATH] [--component PATH]
"""

import resource
import socket
import statistics
import sys
import tempfile
import time

from _common import p90, request, rounds_parser, sesame_serving


def summary(samples):
    samples = sorted(s * 1000 for s in samples)
    return (f"median {statistics.median(samples):7.2f} ms  p90 {p90(samples):7.2f} ms"
            f"  max {samples[-1]:7.2f} ms  (n={len(samples)})")


def main():
    parser = rounds_parser(__doc__, 50)
    parser.add_argument("--connections", type=int, default=5000)
    args = parser.parse_args()

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    env = dict(SESAME_REQUEST_READ_TIMEOUT_MS="600000",
               SESAME_THROTTLE_LOGIN_PER_IP="100000",
               SESAME_THROTTLE_LOGIN_PER_ACCOUNT="100000")
    # Started with the soft open-file limit many servers get; Sesame raises it itself.
    ulimit = ["sh", "-c", 'ulimit -Sn 1024 && exec "$0" "$@"']
    with tempfile.TemporaryDirectory() as tmp, \
            sesame_serving(args, f"{tmp}/sesame.db", env, prefix=ulimit) as port:
        held = []
        try:
            login = {"email": "ada@example.com", "password": "the right password"}
            assert request(port, "POST", "/register", login)[0] == 202
            for _ in range(5):
                request(port, "GET", "/healthz")
                request(port, "POST", "/login", login)
            quiet = [request(port, "GET", "/healthz")[2] for _ in range(args.rounds)]

            started = time.perf_counter()
            for n in range(args.connections):
                source = f"127.2.{n // 20 // 250}.{n // 20 % 250 + 1}"
                s = socket.socket()
                s.bind((source, 0))
                s.connect(("127.0.0.1", port))
                if n % 2 == 0:
                    s.sendall(b"POST /login HTTP/1.1\r\nHost: bench\r\n")
                else:
                    s.sendall(b"POST /login HTTP/1.1\r\nHost: bench\r\n"
                              b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
                held.append(s)
            opened = time.perf_counter() - started
            time.sleep(1)

            healthz, logins = [], []
            for _ in range(args.rounds):
                status, _, elapsed = request(port, "GET", "/healthz")
                assert status == 200, status
                healthz.append(elapsed)
            for _ in range(max(args.rounds // 5, 5)):
                status, _, elapsed = request(port, "POST", "/login", login)
                assert status == 200, status
                logins.append(elapsed)
            # Still held, not refused or closed.
            alive = 0
            for s in held:
                s.setblocking(False)
                try:
                    alive += s.recv(1) != b""
                except BlockingIOError:
                    alive += 1
            print(f"{args.connections} stalled connections from {args.connections // 20} addresses "
                  f"opened in {opened:.1f} s; {alive} still open at the end")
            print(f"/healthz, no stalled connections:   {summary(quiet)}")
            print(f"/healthz, with them held:           {summary(healthz)}")
            print(f"POST /login (argon2id), held:       {summary(logins)}")
        finally:
            for s in held:
                s.close()


if __name__ == "__main__":
    sys.exit(main())
