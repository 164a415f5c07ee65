#!/usr/bin/env python3
"""Measures /auth/check with access rules against /auth/check without them, in one run.

Starts `sesame serve` (release) three times on fresh databases, signs one user in, and loads
`GET /auth/check` with wrk while a probe on one more connection times its own requests (see
bench.py's `probe_latency`):

  query   no rules, `/auth/check` as a proxy without rules asks it (the session alone)
  rules   50 rules; the request matches only the last one, so every rule is tried
  regex   the same 50 rules, every one with a path regex instead of a prefix

Usage: bench/forward_auth.py [--seconds N] [--connections N] [--threads N]
                             [--sesame PATH] [--component PATH]
(`bench/run` builds what it needs; or build `sesame-host` for release and the component.)
"""

import argparse
import json
import tempfile
import time

from _common import add_sesame_arguments, request, sesame_serving
from bench import loaded

EMAIL = "bench@example.com"
PASSWORD = "correct horse battery staple"
RULES = 50
CHECKED = {
    "X-Forwarded-Method": "GET",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "app.example.com",
    "X-Forwarded-Uri": "/projects/42/settings?tab=members",
}


def rules(regex):
    """`RULES` rules of which only the last matches the checked request."""
    lines = ['default_policy = "deny"']
    for i in range(RULES - 1):
        matcher = f'path_regex = "^/area{i}/[a-z]+"' if regex else f'path = "/area{i}"'
        lines += ["", "[[rule]]", f'domain = ["app{i}.example.com", "*.zone{i}.example.com"]',
                  matcher, 'method = ["GET", "POST"]',
                  'subject = ["role:staff", "permission:read"]' if i % 3 == 0 else "",
                  f'policy = "{["one_factor", "two_factor", "deny", "bypass"][i % 4]}"']
    lines += ["", "[[rule]]", 'domain = "app.example.com"',
              'path_regex = "^/projects/"' if regex else 'path = "/projects"',
              'policy = "one_factor"']
    return "\n".join(line for line in lines if line is not None) + "\n"


def measure(args, label, env):
    with tempfile.TemporaryDirectory() as tmp:
        env = {"SESAME_TRUSTED_PROXIES": "127.0.0.1",
               "SESAME_THROTTLE_LOGIN_PER_IP": "1000", **env}
        with sesame_serving(args, f"{tmp}/db.sqlite", env) as port:
            request(port, "POST", "/register", {"email": EMAIL, "password": PASSWORD})
            status, body, _ = request(port, "POST", "/login",
                                      {"email": EMAIL, "password": PASSWORD,
                                       "include_token": True})
            assert status == 200, body
            token = json.loads(body)["token"]
            cookie = f"sesame_session={token}"
            headers = {"cookie": cookie, **CHECKED}
            status, body, _ = request(port, "GET", "/auth/check", headers=headers)
            assert status == 200, (label, status, body)
            wrk_headers = [f"{k}: {v}" for k, v in headers.items()]
            url = f"http://127.0.0.1:{port}/auth/check"
            time.sleep(0.5)
            result = loaded(url, port, args, wrk_headers, ("GET", "/auth/check", headers, None))
            result["label"] = label
            return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    add_sesame_arguments(parser, profile="release")
    args = parser.parse_args()
    results = [
        measure(args, "query (no rules)", {}),
        measure(args, f"rules ({RULES}, prefixes)", {"SESAME_ACCESS_RULES": rules(False)}),
        measure(args, f"rules ({RULES}, regexes)", {"SESAME_ACCESS_RULES": rules(True)}),
    ]
    print(f"{'GET /auth/check':<26}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'bad':>6}")
    for r in results:
        print(f"{r['label']:<26}{r['rps']:>10.0f}{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}"
              f"{r['non_2xx_3xx']:>6}")
    base = results[0]["rps"]
    for r in results[1:]:
        print(f"{r['label']}: {r['rps'] / base:.2f}x the requests/s without rules")


if __name__ == "__main__":
    main()
