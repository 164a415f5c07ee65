#!/usr/bin/env python3
"""Measures whether the Spin component's mail queue shows, by timing, which accounts exist.

Starts a stand-in mail API (answers 200 to every POST) and the Spin component under
`spin-test-host` with `mail_api_url` pointing at it (a copy of spin.toml that allows it), creates
one account, then sends interleaved `POST /reset` and `POST /us-signin/send-code` for that
address and for an unknown one, and prints the latency of each (median, p90) and the
difference of medians. A request for an existing account causes mail; a request for an unknown
one causes none. The component queues mail only after the answer is written, so the two should
take the same time; queued before the answer, the known address took about 10 ms longer.

Usage: bench/spin_mail_timing.py [--rounds N] [--log-only] [--spin-host PATH] [--component PATH]
"""

import argparse
import http.server
import pathlib
import subprocess
import sys
import tempfile
import threading

from _common import ROOT, TARGET, print_medians, request

SECRET = "c2VzYW1lLWJlbmNoLXNwaW4tc2VjcmV0LTMyLWJ5dGVzIQ"


class Provider(http.server.BaseHTTPRequestHandler):
    """A mail API that accepts everything."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *_):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--log-only", action="store_true",
                        help="no mail API: mail is written to the log, for the baseline")
    parser.add_argument("--spin-host", default=str(TARGET / "debug" / "spin-test-host"))
    parser.add_argument("--component", default=str(TARGET / "wasm32-wasip2" / "release" /
                                                   "sesame_spin.wasm"))
    args = parser.parse_args()

    provider = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    threading.Thread(target=provider.serve_forever, daemon=True).start()
    provider_port = provider.server_address[1]

    with tempfile.TemporaryDirectory() as tmp:
        manifest = pathlib.Path(tmp) / "spin.toml"
        manifest.write_text((ROOT / "spin.toml").read_text().replace(
            "allowed_outbound_hosts = []",
            f'allowed_outbound_hosts = ["http://127.0.0.1:{provider_port}"]', 1))
        cmd = [args.spin_host, "--manifest", str(manifest), "--component", args.component,
               "--listen", "127.0.0.1:0", "--cache-dir", f"{tmp}/cache",
               "--sqlite", f"default={tmp}/sesame.db", "--variable", f"secret={SECRET}",
               "--variable", "cookie_secure=false",
               *([] if args.log_only else
                 ["--variable", f"mail_api_url=http://127.0.0.1:{provider_port}/send"]),
               "--variable", "us_methods=password,email",
               "--variable", "throttle_register_per_ip=100000000",
               "--variable", "throttle_mail_per_account=100000000",
               "--variable", "throttle_mail_per_recipient=100000000",
               "--variable", "outbound_max_per_hour=100000000"]
        log = open(f"{tmp}/spin.log", "w")
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            line = proc.stdout.readline()
            port = int(line.rsplit(":", 1)[1].strip().rstrip("/"))
            status, _, _ = request(port, "POST", "/register",
                                   {"email": "ada@example.com", "password": "the right password"})
            assert status == 202, status
            kinds = {"known address": "ada@example.com", "unknown address": "nobody@example.com"}
            routes = {"/reset": lambda identity: {"email": identity},
                      "/us-signin/send-code": lambda identity: {"identity": identity}}
            times = {route: {k: [] for k in kinds} for route in routes}
            for _ in range(args.rounds + 1):
                for route, body in routes.items():
                    for kind, identity in kinds.items():
                        status, data, elapsed = request(port, "POST", route, body(identity))
                        assert status in (200, 202), (route, kind, status, data)
                        times[route][kind].append(elapsed * 1000)
            for route, by_kind in times.items():
                for samples in by_kind.values():
                    samples.pop(0)  # the first round warms caches
                print(f"{route:<22} {'median ms':>10} {'p90 ms':>8}  (n={args.rounds} each, "
                      f"interleaved)")
                medians = print_medians(by_kind)
                print(f"difference of medians (known - unknown): "
                      f"{medians['known address'] - medians['unknown address']:+.2f} ms")
        finally:
            proc.kill()
            proc.wait()
            provider.shutdown()


if __name__ == "__main__":
    sys.exit(main())
