"""Sesame's OpenID provider driven by Authlib, unmodified: a confidential client with
client_secret_basic runs the code flow with PKCE, verifies the RS256 ID token against the
JWKS (with joserfc, Authlib's JOSE library), reads userinfo, refreshes and revokes, against the real `sesame` binary on loopback.
The person's part (sign-in form, consent page) is plain HTTP with a cookie jar, as a browser
without scripts would do it.

Needs SESAME_BIN and SESAME_COMPONENT (scripts/test-oidc sets them).
"""

import html.parser
import os
import re
import socket
import subprocess
import sys
import tempfile
import urllib.parse

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

EMAIL = "ada@example.com"
PASSWORD = "analytical engine"
REDIRECT = "http://127.0.0.1:8765/callback"

# The provider runs on plain HTTP on loopback; Authlib refuses that unless told.
os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Forms(html.parser.HTMLParser):
    """The forms of a page: each one's action and its inputs' names and values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action"), "fields": [], "buttons": []})
        elif tag == "input" and self.forms and attrs.get("name"):
            self.forms[-1]["fields"].append((attrs["name"], attrs.get("value", "")))
        elif tag == "button" and self.forms and attrs.get("name"):
            # A browser sends only the button that was pressed.
            self.forms[-1]["buttons"].append((attrs["name"], attrs.get("value", "")))


def browse(session: requests.Session, base: str, url: str) -> str:
    """Follows a browser's way from `url` through sign-in and consent; returns the URL it is
    finally sent to at the application."""
    for _ in range(20):
        if url.startswith(REDIRECT):
            return url
        r = session.get(urllib.parse.urljoin(base, url), allow_redirects=False,
                        headers={"accept": "text/html"})
        if r.status_code in (302, 303):
            url = r.headers["location"]
            continue
        assert r.status_code == 200, (r.status_code, r.text)
        refresh = re.search(r'http-equiv="refresh" content="0;url=([^"]+)"', r.text)
        if refresh:
            url = html.unescape(refresh.group(1))
            continue
        forms = Forms()
        forms.feed(r.text)
        if 'id="password"' in r.text and "/login" in r.url:
            posted = session.post(urllib.parse.urljoin(base, "/login"),
                                  data={"email": EMAIL, "password": PASSWORD},
                                  headers={"accept": "text/html"}, allow_redirects=False)
            assert posted.status_code == 303, (posted.status_code, posted.text)
            url = posted.headers["location"]
            continue
        allow = next(f for f in forms.forms if ("decision", "allow") in f["buttons"])
        pressed = [*allow["fields"], ("decision", "allow")]
        posted = session.post(urllib.parse.urljoin(base, allow["action"]), data=pressed,
                              headers={"accept": "text/html"}, allow_redirects=False)
        assert posted.status_code == 303, (posted.status_code, posted.text)
        url = posted.headers["location"]
    raise AssertionError("the browser never reached the application")


def main() -> None:
    bin_ = os.environ["SESAME_BIN"]
    component = os.environ["SESAME_COMPONENT"]
    with tempfile.TemporaryDirectory() as work:
        common = ["--store", f"{work}/sesame.db", "--component", component,
                  "--cache-dir", f"{work}/cache"]
        out = subprocess.run([bin_, *common, "client", "add", "--name", "Python app",
                              "--redirect-uri", REDIRECT, "--scope", "openid", "--scope", "email",
                              "--scope", "offline_access"],
                             check=True, capture_output=True, text=True).stdout
        fields = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
        client_id, client_secret = fields["client_id"], fields["client_secret"]
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {**os.environ, "SESAME_PUBLIC_URL": base, "RUST_LOG": "warn"}
        server = subprocess.Popen([bin_, *common, "serve", "--listen", f"127.0.0.1:{port}"],
                                  env=env, stdout=subprocess.PIPE, text=True)
        try:
            assert server.stdout is not None
            server.stdout.readline()
            assert requests.post(f"{base}/register",
                                 json={"email": EMAIL, "password": PASSWORD}).status_code == 202
            metadata = requests.get(f"{base}/.well-known/openid-configuration").json()
            assert metadata["issuer"] == base

            oauth = OAuth2Session(client_id, client_secret, scope="openid email offline_access",
                                  redirect_uri=REDIRECT, code_challenge_method="S256",
                                  token_endpoint_auth_method="client_secret_basic")
            verifier = "v" * 20 + os.urandom(24).hex()
            nonce = os.urandom(8).hex()
            uri, state = oauth.create_authorization_url(metadata["authorization_endpoint"],
                                                        code_verifier=verifier, nonce=nonce)
            callback = browse(requests.Session(), base, uri)
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback).query))
            assert query["state"] == state and query["iss"] == base, query
            token = oauth.fetch_token(metadata["token_endpoint"], authorization_response=callback,
                                      code_verifier=verifier)

            # joserfc is Authlib's own JOSE library (authlib.jose's successor).
            jwks = KeySet.import_key_set(requests.get(metadata["jwks_uri"]).json())
            decoded = jwt.decode(token["id_token"], jwks, algorithms=["RS256"])
            jwt.JWTClaimsRegistry(iss={"essential": True, "value": base},
                                  aud={"essential": True, "value": client_id},
                                  nonce={"essential": True, "value": nonce},
                                  exp={"essential": True}).validate(decoded.claims)
            claims = decoded.claims
            assert claims["email"] == EMAIL and claims["amr"] == ["pwd"], claims
            try:
                jwt.decode(token["id_token"], jwks, algorithms=["HS256"])
                raise AssertionError("an HS256 reading of the ID token must fail")
            except JoseError:
                pass

            info = oauth.get(metadata["userinfo_endpoint"]).json()
            assert info["sub"] == claims["sub"] and info["email"] == EMAIL, info

            first_refresh = token["refresh_token"]
            renewed = oauth.refresh_token(metadata["token_endpoint"], refresh_token=first_refresh)
            assert renewed["refresh_token"] != first_refresh
            replay = requests.post(metadata["token_endpoint"], auth=(client_id, client_secret),
                                   data={"grant_type": "refresh_token",
                                         "refresh_token": first_refresh})
            assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"

            wrong = requests.post(metadata["token_endpoint"], auth=(client_id, "sesame_cs_x"),
                                  data={"grant_type": "refresh_token",
                                        "refresh_token": first_refresh})
            assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"

            # A fresh login, revoked with the client's credentials (RFC 7009).
            uri, state = oauth.create_authorization_url(metadata["authorization_endpoint"],
                                                        code_verifier=verifier, nonce=nonce)
            callback = browse(requests.Session(), base, uri)
            second = oauth.fetch_token(metadata["token_endpoint"], authorization_response=callback,
                                       code_verifier=verifier)
            oauth.revoke_token(metadata["revocation_endpoint"], token=second["refresh_token"],
                               token_type_hint="refresh_token")
            gone = requests.post(metadata["introspection_endpoint"], auth=(client_id, client_secret),
                                 data={"token": second["access_token"]}).json()
            assert gone == {"active": False}, gone
            print("authlib: every flow passed")
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    try:
        main()
    except Exception:  # noqa: BLE001 - the test's failure, printed whole
        import traceback

        traceback.print_exc()
        sys.exit(1)
