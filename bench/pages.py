#!/usr/bin/env python3
"""Measures the pages and the JSON routes they share a component with, for two components in one run.

Starts `sesame serve` (release) once per component on fresh databases, signs one user in,
and loads with wrk (a probe on one more connection times its own requests, see bench.py's
`probe_latency`):

  /me json       `GET /me` with the session, as programs ask it (`Accept-Language: de` too,
                 so the language is negotiated on every request)
  /login html    the sign-in page as a browser asks for it, in English
  /login html de the same in German
  /account html  the account page of the signed-in user (sessions, passkeys, two-factor)

`--component` is the component under measurement, `--baseline` another (an earlier build)
measured the same way; ratios are printed within the run, because the machine is noisy.

Usage: bench/pages.py [--seconds N] [--connections N] [--threads N]
                      [--sesame PATH] [--component PATH] [--baseline PATH]
"""

import argparse
import json
import tempfile
import time

from _common import add_sesame_arguments, request, sesame_serving
from bench import loaded

EMAIL = "bench@example.com"
PASSWORD = "correct horse battery staple"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def measure(args, component):
    """Every target against `component`; a list of results labelled by target."""
    args = argparse.Namespace(**{**vars(args), "component": component})
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {"SESAME_THROTTLE_LOGIN_PER_IP": "1000"}
        with sesame_serving(args, f"{tmp}/db.sqlite", env) as port:
            request(port, "POST", "/register", {"email": EMAIL, "password": PASSWORD})
            status, body, _ = request(port, "POST", "/login",
                                      {"email": EMAIL, "password": PASSWORD,
                                       "include_token": True})
            assert status == 200, body
            cookie = f"sesame_session={json.loads(body)['token']}"
            targets = [
                ("/me json", "/me", {"cookie": cookie, "accept-language": "de-DE,de;q=0.9"}),
                ("/login html", "/login", {"accept": BROWSER, "accept-language": "en-US,en"}),
                ("/login html de", "/login", {"accept": BROWSER,
                                              "accept-language": "de-DE,de;q=0.9,en;q=0.5"}),
                ("/account html", "/account", {"accept": BROWSER, "cookie": cookie}),
            ]
            for label, path, headers in targets:
                status, body, _ = request(port, "GET", path, headers=headers)
                if status != 200:
                    results.append({"label": label, "rps": 0.0, "p50_ms": 0.0,
                                    "p99_ms": 0.0, "non_2xx_3xx": -1})
                    continue
                wrk_headers = [f"{k}: {v}" for k, v in headers.items()]
                url = f"http://127.0.0.1:{port}{path}"
                time.sleep(0.5)
                result = loaded(url, port, args, wrk_headers, ("GET", path, headers, None))
                result["label"] = label
                results.append(result)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--baseline", help="another component to measure the same way")
    add_sesame_arguments(parser, profile="release")
    args = parser.parse_args()
    runs = [("this build", measure(args, args.component))]
    if args.baseline:
        runs.append(("baseline", measure(args, args.baseline)))
    print(f"{'':<12}{'target':<16}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'bad':>6}")
    for name, results in runs:
        for r in results:
            print(f"{name:<12}{r['label']:<16}{r['rps']:>10.0f}{r['p50_ms']:>9.2f}"
                  f"{r['p99_ms']:>9.2f}{r['non_2xx_3xx']:>6}")
    if args.baseline:
        for new, old in zip(runs[0][1], runs[1][1]):
            if old["rps"] > 0:
                print(f"{new['label']}: {new['rps'] / old['rps']:.2f}x the baseline's requests/s")


if __name__ == "__main__":
    main()
