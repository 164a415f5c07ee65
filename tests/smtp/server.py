"""An SMTP server on loopback for Sesame's mail tests: aiosmtpd, with certificates from a
throw-away CA made by trustme.

Modes:
  starttls   plain connection that offers STARTTLS and refuses mail before it
  implicit   TLS from the first byte (smtps)
  plain      no TLS offered at all (a relay an attacker has stripped STARTTLS from)

The CA's certificate is written to --ca-file (with --foreign-ca, the server's certificate is
from another CA than the one written, so a client trusting the file must refuse it). With
--user/--password, AUTH PLAIN and LOGIN are required, and only after TLS. Each accepted message
is appended to --out as one JSON line: envelope, whether it came over TLS, who authenticated,
the raw message, and the message as a mail client reads it (its content type and each leaf
part's type and decoded body). Prints "ready PORT" once listening; stops on SIGTERM or end of stdin.
"""

import argparse
import asyncio
import email
import email.policy
import json
import signal
import socket
import ssl
import sys

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Recorder:
    def __init__(self, out):
        self.out = out

    async def handle_DATA(self, server, session, envelope):
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "auth": session.auth_data if isinstance(session.auth_data, str) else None,
            "data": envelope.content.decode("utf-8", "replace"),
        }
        # Decoded as a mail client would (quoted-printable, base64, charsets), so tests look at
        # what a reader sees rather than at one transfer encoding.
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        record["content_type"] = message.get_content_type()
        record["parts"] = [
            {"content_type": part.get_content_type(), "body": part.get_content()}
            for part in message.walk()
            if not part.is_multipart()
        ]
        with open(self.out, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        return "250 OK"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = auth_data.login.decode() == user and auth_data.password.decode() == password
        return AuthResult(success=ok, auth_data=auth_data.login.decode() if ok else None)

    return check


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["starttls", "implicit", "plain"], required=True)
    parser.add_argument("--ca-file", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--foreign-ca", action="store_true")
    args = parser.parse_args()

    ca = trustme.CA()
    ca.cert_pem.write_to_path(args.ca_file)
    issuer = trustme.CA() if args.foreign_ca else ca
    cert = issuer.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)

    # The controller checks it is up by connecting to its port, so it needs a real one.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    kwargs = dict(hostname="127.0.0.1", port=port, ready_timeout=10)
    if args.user:
        kwargs.update(authenticator=authenticator(args.user, args.password),
                      auth_require_tls=True, auth_required=True)
    else:
        kwargs.update(auth_require_tls=True)
    if args.mode == "starttls":
        kwargs.update(tls_context=context, require_starttls=True)
    elif args.mode == "implicit":
        kwargs.update(ssl_context=context)
    controller = Controller(Recorder(args.out), **kwargs)
    controller.start()
    print(f"ready {port}", flush=True)

    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_reader(sys.stdin.fileno(), lambda: sys.stdin.read(1) or stop.set())
    loop.run_until_complete(stop.wait())
    controller.stop()


if __name__ == "__main__":
    main()
