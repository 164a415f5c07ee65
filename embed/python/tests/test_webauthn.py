"""WebAuthn through the Python wrapper: the ceremony options a browser needs, and clear errors
for answers that do not check out. (A full sign-in with a real authenticator is tested through
the server and in Chromium; the rules are the same component's.)"""

from __future__ import annotations

import json

import pytest

import sesame
from sesame import Sesame

EMAIL, PASSWORD = "ada@example.com", "analytical engine"


def signed_in(auth: Sesame) -> str:
    auth.create_user(EMAIL, PASSWORD)
    return auth.login(EMAIL, PASSWORD).token


def test_registration_options_name_the_user_by_a_random_handle(auth: Sesame) -> None:
    token = signed_in(auth)
    ceremony = auth.webauthn_register_begin(token, "laptop", "first")
    options = json.loads(ceremony.options_json)
    public_key = options.get("publicKey", options)
    assert public_key["challenge"]
    assert EMAIL not in json.dumps(public_key["user"]["id"])
    assert ceremony.state not in repr(ceremony)
    assert auth.webauthn_credentials(token) == []


def test_answers_that_do_not_check_out_are_refused(auth: Sesame) -> None:
    token = signed_in(auth)
    ceremony = auth.webauthn_register_begin(token, "laptop", "first")
    not_a_credential = json.dumps({"id": "x", "type": "public-key"})
    with pytest.raises(sesame.InvalidRequest, match="PublicKeyCredential"):
        auth.webauthn_register_finish(token, ceremony.state, not_a_credential)
    with pytest.raises(sesame.InvalidRequest):
        auth.webauthn_register_begin(token, "laptop", "sometimes")


def test_unknown_keys_are_clear_errors(auth: Sesame) -> None:
    token = signed_in(auth)
    with pytest.raises(sesame.NotFound):
        auth.webauthn_delete(token, "no such key")
    # Sign-in options for any account, known or not, so they reveal nothing.
    for who in (EMAIL, "nobody@example.com", None):
        ceremony = auth.webauthn_authenticate_begin(who)
        assert json.loads(ceremony.options_json)
