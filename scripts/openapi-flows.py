"""Walks Sesame's JSON flows end to end against a live server and checks every answer against
the served OpenAPI document: the status is documented for the operation, the content type is
JSON, and the body fits the documented schema. schemathesis (scripts/test-openapi) rarely gets
past the checks of these routes with generated data; this covers their successful answers.

Usage: python openapi-flows.py BASE_URL MAIL_DIR
Needs only the standard library and `jsonschema_rs` (which schemathesis installs).
"""

import base64
import hashlib
import hmac
import http.cookies
import json
import pathlib
import re
import struct
import sys
import time
import urllib.error
import urllib.request

import jsonschema_rs

BASE, MAIL_DIR = sys.argv[1], pathlib.Path(sys.argv[2])
DOC = json.load(urllib.request.urlopen(BASE + "/openapi.json"))
checked = []


def pointer(ref):
    node = DOC
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def check(method, path, status, headers, body):
    operation = DOC["paths"][path][method.lower()]
    response = operation["responses"].get(str(status))
    assert response is not None, f"{method} {path}: {status} is not documented: {body}"
    if "$ref" in response:
        response = pointer(response["$ref"])
    content_type = headers.get("content-type", "")
    assert content_type == "application/json", f"{method} {path}: {content_type}"
    schema = response["content"]["application/json"]["schema"]
    # The document itself resolves the schema's references.
    jsonschema_rs.Draft202012Validator({**DOC, **schema}).validate(json.loads(body))
    checked.append((method, path, status))


class Client:
    """A cookie-keeping client that checks every answer against the document."""

    def __init__(self):
        self.cookies = {}
        self.csrf = None

    def call(self, method, path, body=None, expect=200, headers=None, query=""):
        data = None if body is None else json.dumps(body).encode()
        all_headers = {"accept": "application/json"}
        if data is not None:
            all_headers["content-type"] = "application/json"
        if self.cookies:
            all_headers["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.csrf and method != "GET":
            all_headers["x-csrf-token"] = self.csrf
        all_headers.update(headers or {})
        req = urllib.request.Request(BASE + path + query, data=data, headers=all_headers, method=method)
        try:
            with urllib.request.urlopen(req) as r:
                status, answer_headers, text = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, answer_headers, text = e.code, e.headers, e.read()
        for cookie in answer_headers.get_all("set-cookie") or []:
            jar = http.cookies.SimpleCookie(cookie)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        headers_lower = {k.lower(): v for k, v in answer_headers.items()}
        check(method, path, status, headers_lower, text)
        assert status == expect, f"{method} {path}: {status}, not {expect}: {text!r}"
        answer = json.loads(text)
        if isinstance(answer, dict) and "csrf_token" in answer:
            self.csrf = answer["csrf_token"]
        return answer


def last_mail_token(to):
    """The token in the newest mail to `to`."""
    for _ in range(50):
        mails = sorted(MAIL_DIR.glob("*.txt"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for mail in mails:
            text = mail.read_text()
            if text.startswith(f"To: {to}\n"):
                return re.search(r"token=([A-Za-z0-9_\-.~%]+)", text).group(1)
        time.sleep(0.1)
    raise AssertionError(f"no mail to {to}")


def totp(secret, at=None):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def main():
    stamp = time.time_ns()
    email, username = f"flows{stamp}@example.com", f"flows{stamp}"
    password = "a long and winding road"
    c = Client()
    c.call("GET", "/")
    c.call("GET", "/healthz")
    c.call("GET", "/.well-known/jwks.json")
    c.call("GET", "/openapi.json")
    c.call("POST", "/register", {"email": email, "password": password, "username": username}, expect=202)
    c.call("GET", "/confirm", expect=200, query=f"?token={last_mail_token(email)}")
    c.call("POST", "/confirm", {"token": "not-a-token"}, expect=400)

    # Sessions.
    c.call("POST", "/login", {"email": email, "password": "wrong password!"}, expect=401)
    c.call("POST", "/login", {"username": username, "password": password, "include_token": True})
    c.call("GET", "/me")
    other = Client()
    other.call("POST", "/login", {"email": email, "password": password})
    listed = c.call("GET", "/sessions")
    theirs = next(s["id"] for s in listed["sessions"] if not s["current"])
    c.call("POST", "/sessions/revoke", {"id": theirs})
    other.call("GET", "/me", expect=401)
    c.call("GET", "/auth/check", query="?role=admin", expect=403)
    c.call("GET", "/auth/check", query="?colour=blue", expect=400)
    c.call("GET", "/auth/check")

    # Tokens.
    pair = c.call("POST", "/tokens", {"email": email, "password": password})
    bearer = {"authorization": f"Bearer {pair['access_token']}"}
    anonymous = Client()
    anonymous.call("GET", "/me", headers=bearer)
    again = anonymous.call("POST", "/tokens/refresh", {"refresh_token": pair["refresh_token"]})
    anonymous.call("POST", "/tokens/refresh", {"refresh_token": pair["refresh_token"]}, expect=401)
    pair = c.call("POST", "/tokens")
    anonymous.call("DELETE", "/tokens", {"refresh_token": pair["refresh_token"]})
    anonymous.call("DELETE", "/tokens", expect=401)
    del again

    # Password change and reset.
    c.call("POST", "/change", {"password": "wrong password!", "new_password": "x"}, expect=401)
    password, old = "another long road home", password
    c.call("POST", "/change", {"password": old, "new_password": password})
    c.call("POST", "/change", {"password": password, "new_password": "short"}, expect=422)
    anonymous.call("POST", "/reset", {"email": email}, expect=202)
    password = "a third road, longer still"
    anonymous.call("POST", "/reset", {"token": last_mail_token(email), "password": password})
    c.call("GET", "/me", expect=401)

    # Two-factor.
    c.call("POST", "/login", {"email": email, "password": password})
    c.call("GET", "/tf-setup")
    c.call("GET", "/mf-recovery-codes")
    c.call("POST", "/mf-recovery-codes", expect=400)
    enrolment = c.call("POST", "/tf-setup", {"setup": "authenticator"})
    c.call("POST", "/tf-setup", {"code": totp(enrolment["secret"])})
    codes = c.call("POST", "/mf-recovery-codes")["recovery_codes"]
    c.call("GET", "/mf-recovery-codes")
    c.call("POST", "/logout")
    pending = c.call("POST", "/login", {"email": email, "password": password, "include_token": True})
    assert pending["tf_required"], pending
    c.call("GET", "/tf-select")
    c.call("GET", "/tf-validate")
    c.call("GET", "/mf-recovery")
    c.call("GET", "/wan-signin")
    c.call("POST", "/tf-select", {"method": "recovery-code"})
    c.call("POST", "/tf-select", {"method": "sms"}, expect=400)
    c.call("POST", "/tf-validate", {"code": "000000"}, expect=401)
    c.call("POST", "/mf-recovery", {"code": codes[0]})
    c.call("POST", "/tokens", {"email": email, "password": password}, expect=403)
    c.call("POST", "/tf-setup", {"setup": "disable", "password": password})

    # Passkeys, as far as no authenticator is needed.
    c.call("GET", "/wan-register")
    c.call("POST", "/wan-register", {"name": "laptop", "usage": "first"})
    c.call("POST", "/wan-register-response", {"credential": {"id": "x", "rawId": "x", "type": "public-key", "response": {"clientDataJSON": "e30", "attestationObject": "oA"}}}, expect=400)
    c.call("GET", "/wan-verify")
    c.call("POST", "/wan-verify", expect=400)
    c.call("POST", "/wan-verify-response", {"credential": {"id": "x", "rawId": "x", "type": "public-key", "response": {"clientDataJSON": "e30", "authenticatorData": "AA", "signature": "AA"}}}, expect=400)
    c.call("POST", "/wan-delete", {"name": "laptop"}, expect=404)
    anonymous.call("POST", "/wan-signin", {"identity": email})
    anonymous.call("POST", "/wan-signin-response", {"credential": {"id": "x", "rawId": "x", "type": "public-key", "response": {"clientDataJSON": "e30", "authenticatorData": "AA", "signature": "AA"}}}, expect=400)

    # Leaving.
    c.call("POST", "/logout-everywhere")
    c.call("POST", "/logout")

    print(f"flows: {len(checked)} answers of {len({(m, p) for m, p, _ in checked})} operations fit the document")


main()
