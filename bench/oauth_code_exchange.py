#!/usr/bin/env python3
"""Times the OpenID provider's code exchange: POST /oauth/token with an authorization code,
PKCE and client_secret_basic, answered with an access token, a refresh token and a signed ID
token, for each ID token algorithm, beside Sesame's own token login from a session
(`POST /tokens`, EdDSA access token, no ID token) as the baseline of the same run.

Starts `sesame serve` (release) on a fresh database with dynamic registration on, signs one
user in, registers one client per algorithm, consents once, then per round asks
/oauth/authorize for a code (consent remembered: 302 at once) and times the exchange alone,
sequentially on one connection each.

Usage: bench/oauth_code_exchange.py [--rounds N] [--sesame PATH] [--component PATH]
(`bench/run` builds what it needs; or build `sesame-host` for release and the component.)
"""

import base64
import hashlib
import json
import re
import secrets
import tempfile
import urllib.parse

from _common import TARGET, exchange, request, rounds_parser, sesame_serving

EMAIL = "bench@example.com"
PASSWORD = "correct horse battery staple"
REDIRECT = "http://127.0.0.1:8765/cb"


def percentile(samples, share):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def send(port, method, path, headers, fields=None):
    """One request (a form body when `fields` is given); returns (status, headers, body,
    seconds to the whole answer)."""
    if fields is None:
        return exchange(port, method, path, None, headers)
    form = {"content-type": "application/x-www-form-urlencoded", **headers}
    return exchange(port, method, path, urllib.parse.urlencode(fields).encode(), form)


def main():
    parser = rounds_parser(__doc__, 300)
    parser.set_defaults(sesame=str(TARGET / "release" / "sesame"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        env = {"SESAME_OAUTH_DYNAMIC_REGISTRATION": "true",
               "SESAME_THROTTLE_TOKEN_PER_CLIENT": "1000000",
               "SESAME_THROTTLE_LOGIN_PER_IP": "100000",
               "SESAME_THROTTLE_REGISTER_PER_IP": "100000"}
        with sesame_serving(args, f"{work}/sesame.db", env) as port:
            assert request(port, "POST", "/register", {"email": EMAIL, "password": PASSWORD})[0] == 202
            # http.client keeps no cookies: the session token is asked for in the body.
            status, body, _ = request(port, "POST", "/login",
                                      {"email": EMAIL, "password": PASSWORD, "include_token": True})
            assert status == 200, body
            token = json.loads(body)["token"]
            cookie = f"sesame_session={token}"
            csrf = json.loads(body)["csrf_token"]
            results = {}
            for alg in ("RS256", "ES256", "EdDSA"):
                status, body, _ = request(port, "POST", "/oauth/register", {
                    "redirect_uris": [REDIRECT], "client_name": f"bench {alg}",
                    "id_token_signed_response_alg": alg,
                })
                assert status == 201, body
                client = json.loads(body)
                basic = base64.b64encode(
                    f"{client['client_id']}:{client['client_secret']}".encode()).decode()
                samples = []
                for i in range(args.rounds + 1):
                    verifier = secrets.token_urlsafe(48)
                    challenge = base64.urlsafe_b64encode(
                        hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                    params = urllib.parse.urlencode({
                        "response_type": "code", "client_id": client["client_id"],
                        "redirect_uri": REDIRECT, "scope": "openid email offline_access",
                        "state": "s", "nonce": "n", "code_challenge": challenge,
                        "code_challenge_method": "S256"})
                    _, headers, page, _ = send(port, "GET", f"/oauth/authorize?{params}",
                                               {"cookie": cookie, "accept": "text/html"})
                    location = headers.get("location")
                    if location is None:
                        # The first time: the consent page; allow, with its hidden fields.
                        fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page.decode()))
                        fields = {k: v.replace("&amp;", "&") for k, v in fields.items()}
                        fields["decision"] = "allow"
                        fields["csrf_token"] = csrf
                        _, headers, _, _ = send(port, "POST", "/oauth/authorize",
                                                {"cookie": cookie}, fields)
                        location = headers["location"]
                    code = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)["code"][0]
                    status, _, data, elapsed = send(
                        port, "POST", "/oauth/token", {"authorization": f"Basic {basic}"},
                        {"grant_type": "authorization_code", "code": code,
                         "redirect_uri": REDIRECT, "code_verifier": verifier})
                    assert status == 200, data
                    if i > 0:  # the first signs with a key made on first need
                        samples.append(elapsed * 1000)
                results[f"code exchange {alg}"] = samples
            baseline = []
            for _ in range(args.rounds):
                status, _, elapsed = request(port, "POST", "/tokens", None,
                                             {"authorization": f"Bearer {token}"})
                assert status == 200
                baseline.append(elapsed * 1000)
            results["POST /tokens (session)"] = baseline
    print(f"{'':<26} {'p50 ms':>8} {'p99 ms':>8}   ({args.rounds} rounds each)")
    for kind, samples in results.items():
        print(f"{kind:<26} {percentile(samples, 0.5):>8.2f} {percentile(samples, 0.99):>8.2f}")


if __name__ == "__main__":
    main()
