"""A webhook receiver for tests/tests/webhooks.rs that checks Sesame's deliveries with an
independent implementation of Standard Webhooks: the `standardwebhooks` library (PyPI).

It listens on 127.0.0.1 (a free port), prints `listening on URL` as its first line, and for
every POST:

- verifies the body and the webhook-id/-timestamp/-signature headers with
  `standardwebhooks.Webhook(secret).verify`, the secret read from --secret-file at each request
  (so it can be written after the receiver started, once `sesame webhook add` printed it);
- checks two negative controls: the same delivery must NOT verify under another random secret,
  nor with one byte added to the body;
- answers 400 when verification fails; 503 while --fail-until's file does not exist or for the
  first --fail-first verified deliveries; 204 otherwise;
- appends one JSON line per request to --log: what it answered, whether it verified, the
  headers and the parsed body.

With --tls-dir it serves https:// with a certificate for 127.0.0.1 from a throw-away CA made
by `trustme`, whose certificate it writes to TLS_DIR/ca.pem.
"""

import argparse
import base64
import json
import os
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--secret-file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--fail-until")
    parser.add_argument("--tls-dir")
    return parser.parse_args()


def main():
    args = parse_args()
    lock = threading.Lock()
    state = {"failed": 0}

    def read_secret():
        try:
            with open(args.secret_file, encoding="utf-8") as f:
                return f.read().strip()
        except FileNotFoundError:
            return None

    def rejects(secret, body, headers):
        """Whether `verify` refuses this delivery (a negative control must be refused)."""
        try:
            Webhook(secret).verify(body, headers)
        except WebhookVerificationError:
            return True
        return False

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            record = {
                "path": self.path,
                "id": headers.get("webhook-id"),
                "timestamp": headers.get("webhook-timestamp"),
                "signature": headers.get("webhook-signature"),
                "content_type": headers.get("content-type"),
                "verified": False,
                "error": None,
                "payload": None,
            }
            secret = read_secret()
            if secret is None:
                record["error"] = "no secret yet"
                self.finish_with(500, record)
                return
            try:
                record["payload"] = Webhook(secret).verify(body, headers)
                record["verified"] = True
            except WebhookVerificationError as e:
                record["error"] = str(e)
            other = "whsec_" + base64.b64encode(os.urandom(24)).decode()
            record["wrong_secret_rejected"] = rejects(other, body, headers)
            record["tampered_rejected"] = rejects(secret, body + b" ", headers)
            if not record["verified"]:
                self.finish_with(400, record)
                return
            with lock:
                failing = args.fail_until is not None and not os.path.exists(args.fail_until)
                if not failing and state["failed"] < args.fail_first:
                    state["failed"] += 1
                    failing = True
            self.finish_with(503 if failing else 204, record)

        def finish_with(self, status, record):
            record["status"] = status
            with lock:
                with open(args.log, "a", encoding="utf-8") as log:
                    log.write(json.dumps(record) + "\n")
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    scheme = "http"
    if args.tls_dir:
        import trustme

        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        ca.cert_pem.write_to_path(os.path.join(args.tls_dir, "ca.pem"))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    print(f"listening on {scheme}://127.0.0.1:{server.server_address[1]}/hooks", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
