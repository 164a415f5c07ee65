"""Two-factor sign-in, API tokens, API keys and the signer through the Python API against the
real component: the typed exceptions each refusal raises, and the security rules (a code works
once, a recovery code works once, a reused refresh token ends its login)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Tuple

import pytest

import sesame
from sesame import IssuedSession, MemoryOutbox, PendingLogin, Sesame

from .authenticator import now_step, totp_code
from .conftest import load_cases

EMAIL, PASSWORD = "ada@example.com", "analytical engine"


def with_totp(auth: Sesame) -> Tuple[str, str]:
    """Ada, signed in, with TOTP confirmed by the current step's code: (session token, secret)."""
    auth.create_user(EMAIL, PASSWORD)
    token = auth.login(EMAIL, PASSWORD).token
    enrolment = auth.start_totp(token)
    auth.confirm_totp(token, totp_code(enrolment.secret, now_step()))
    return token, enrolment.secret


def pending(auth: Sesame) -> PendingLogin:
    outcome = auth.begin_login(EMAIL, PASSWORD, address="192.0.2.1")
    assert isinstance(outcome, PendingLogin)
    return outcome


def test_enrolment_shows_the_secret_once_as_uri_and_qr_code(auth: Sesame) -> None:
    auth.create_user(EMAIL, PASSWORD)
    token = auth.login(EMAIL, PASSWORD).token
    enrolment = auth.start_totp(token)
    assert enrolment.otpauth_uri.startswith("otpauth://totp/")
    assert f"secret={enrolment.secret}" in enrolment.otpauth_uri
    assert enrolment.qr_svg.startswith("<svg")
    assert enrolment.secret not in repr(enrolment)
    # A new start replaces an unconfirmed enrolment: the old secret no longer confirms.
    again = auth.start_totp(token)
    assert again.secret != enrolment.secret
    with pytest.raises(sesame.InvalidCode):
        auth.confirm_totp(token, totp_code(enrolment.secret, now_step()))
    auth.confirm_totp(token, totp_code(again.secret, now_step()))
    assert auth.two_factor_status(token).totp_enabled


def test_password_alone_gives_no_session_once_totp_is_on(auth: Sesame) -> None:
    _, secret = with_totp(auth)
    with pytest.raises(sesame.SecondFactorRequired):
        auth.login(EMAIL, PASSWORD)
    with pytest.raises(sesame.SecondFactorRequired):
        auth.issue_tokens(EMAIL, PASSWORD)
    with pytest.raises(sesame.InvalidCredentials):
        auth.begin_login(EMAIL, "difference engine")
    p = pending(auth)
    assert p.methods == ("totp",) and p.token not in repr(p)
    session = auth.complete_totp(p.token, totp_code(secret, now_step() + 1))
    assert isinstance(session, IssuedSession)
    assert auth.validate(session.token).user.email == EMAIL
    # The pending sign-in is used up.
    with pytest.raises(sesame.Unauthenticated):
        auth.complete_totp(p.token, totp_code(secret, now_step() + 1))


def test_wrong_replayed_and_malformed_codes(auth: Sesame) -> None:
    _, secret = with_totp(auth)
    confirming = totp_code(secret, now_step())
    p = pending(auth)
    with pytest.raises(sesame.InvalidCode):
        auth.complete_totp(p.token, confirming)  # used at enrolment: a replay
    with pytest.raises(sesame.InvalidCode):
        auth.complete_totp(p.token, totp_code(secret, now_step() + 5))  # outside the window
    with pytest.raises(sesame.InvalidRequest):
        auth.complete_totp(p.token, "12ab56")
    with pytest.raises(sesame.InvalidEncoding):
        auth.complete_totp(p.token, "12345\udc80")
    with pytest.raises(TypeError):
        auth.complete_totp(p.token, 123456)  # type: ignore[arg-type]
    fresh = totp_code(secret, now_step() + 1)
    auth.complete_totp(p.token, fresh)
    # The same code again, on a new pending sign-in: refused.
    with pytest.raises(sesame.InvalidCode):
        auth.complete_totp(pending(auth).token, fresh)


def test_recovery_codes_work_once_and_a_new_set_replaces_the_old(auth: Sesame) -> None:
    token, _ = with_totp(auth)
    old = auth.generate_recovery_codes(token)
    codes = auth.generate_recovery_codes(token)
    assert len(codes) == 10 and len(set(codes)) == 10 and not set(old) & set(codes)
    assert pending(auth).methods == ("totp", "recovery-code")
    with pytest.raises(sesame.InvalidCode):
        auth.complete_recovery(pending(auth).token, old[0])
    auth.complete_recovery(pending(auth).token, codes[0].upper())
    with pytest.raises(sesame.InvalidCode):
        auth.complete_recovery(pending(auth).token, codes[0])
    assert auth.two_factor_status(token).recovery_codes_left == 9


def test_turning_two_factor_off_needs_proof(auth: Sesame) -> None:
    token, _ = with_totp(auth)
    codes = auth.generate_recovery_codes(token)
    with pytest.raises(TypeError):
        auth.disable_two_factor(token)
    with pytest.raises(TypeError):
        auth.disable_two_factor(token, password=PASSWORD, code=codes[0])
    with pytest.raises(sesame.InvalidCredentials):
        auth.disable_two_factor(token, password="difference engine")
    with pytest.raises(sesame.Unauthenticated):
        auth.disable_two_factor("not-a-token", password=PASSWORD)
    auth.disable_two_factor(token, code=codes[0])
    with pytest.raises(sesame.NotFound):
        auth.disable_two_factor(token, password=PASSWORD)
    assert isinstance(auth.begin_login(EMAIL, PASSWORD), IssuedSession)


def test_a_pending_sign_in_expires(component: str, tmp_path: Path) -> None:
    config = {**load_cases()["config"], "SESAME_TWO_FACTOR_PENDING_SECS": "1"}
    auth = Sesame(component, database=str(tmp_path / "auth.db"), config=config)
    _, secret = with_totp(auth)
    p = pending(auth)
    time.sleep(1.2)  # past the pending sign-in's one-second lifetime
    with pytest.raises(sesame.Unauthenticated):
        auth.complete_totp(p.token, totp_code(secret, now_step() + 1))


def test_refresh_rotates_and_a_reused_refresh_token_ends_the_login(auth: Sesame) -> None:
    auth.create_user(EMAIL, PASSWORD, roles=["staff"])
    first = auth.issue_tokens(EMAIL, PASSWORD, address="192.0.2.1")
    claims = auth.verify_access(first.access_token)
    assert claims.user_id == first.user.id and claims.roles == ("staff",)
    assert first.access_token not in repr(first) and first.refresh_token not in repr(first)
    second = auth.refresh_tokens(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    assert second.refresh_expires_at_ms == first.refresh_expires_at_ms  # never grows
    with pytest.raises(sesame.Unauthenticated):
        auth.refresh_tokens(first.refresh_token)  # a copy was used: the family ends
    with pytest.raises(sesame.Unauthenticated):
        auth.refresh_tokens(second.refresh_token)
    assert isinstance(auth.outbox, MemoryOutbox)
    assert "refresh-token-reused" in [e.kind for e in auth.outbox.events]
    for bad in ("", "not-a-refresh-token", first.access_token, "A" * 43):
        with pytest.raises(sesame.Unauthenticated):
            auth.refresh_tokens(bad)
    with pytest.raises(sesame.Unauthenticated):
        auth.verify_access(first.refresh_token)


def test_an_expired_refresh_token_is_refused(component: str, tmp_path: Path) -> None:
    config = {
        **load_cases()["config"],
        "SESAME_ACCESS_TOKEN_SECS": "1",
        "SESAME_REFRESH_ABSOLUTE_SECS": "1",
        "SESAME_REFRESH_IDLE_SECS": "1",
    }
    auth = Sesame(component, database=str(tmp_path / "auth.db"), config=config)
    auth.create_user(EMAIL, PASSWORD)
    pair = auth.issue_tokens(EMAIL, PASSWORD)
    time.sleep(1.2)  # past the login's one-second lifetime
    with pytest.raises(sesame.Unauthenticated):
        auth.refresh_tokens(pair.refresh_token)


def test_revocation_and_session_tokens(auth: Sesame) -> None:
    auth.create_user(EMAIL, PASSWORD)
    session = auth.login(EMAIL, PASSWORD)
    pair = auth.issue_tokens_for_session(session.token)
    assert pair.user.email == EMAIL
    auth.revoke_token(pair.access_token)
    with pytest.raises(sesame.Unauthenticated):
        auth.refresh_tokens(pair.refresh_token)
    with pytest.raises(sesame.Unauthenticated):
        auth.issue_tokens_for_session("not-a-token")
    other = auth.issue_tokens_for_session(session.token)
    auth.set_active(EMAIL, False)
    with pytest.raises(sesame.Unauthenticated):
        auth.refresh_tokens(other.refresh_token)


def test_keys_rotate_and_the_jwks_lists_them(auth: Sesame) -> None:
    auth.create_user(EMAIL, PASSWORD)
    before = auth.issue_tokens(EMAIL, PASSWORD)
    assert [k.number for k in auth.list_keys()] == [1]
    generations = auth.rotate_keys()
    assert [k.number for k in generations] == [1, 2]
    assert generations[0].retired_at_ms is not None and generations[1].retired_at_ms is None
    jwks = json.loads(auth.jwks())
    # Per generation: the EdDSA access-token key and the ES256 ID token key; the RS256 key of
    # the generation rotation made.
    algs = [k["alg"] for k in jwks["keys"]]
    assert algs == ["EdDSA", "ES256", "RS256", "EdDSA", "ES256"], algs
    assert auth.verify_access(before.access_token).user_id == before.user.id


def test_api_keys(auth: Sesame) -> None:
    created = auth.create_api_key("billing", ["invoices:read"])
    assert created.key.startswith("sesame_ak_") and created.key not in repr(created)
    assert auth.verify_api_key(created.key) == created.info
    assert auth.list_api_keys() == [created.info]
    with pytest.raises(sesame.InvalidRequest):
        auth.create_api_key("", ["invoices:read"])
    with pytest.raises(sesame.InvalidRequest):
        auth.create_api_key("reports", ["Not A Scope"])
    with pytest.raises(TypeError):
        auth.create_api_key("reports", "invoices:read")
    with pytest.raises(sesame.NotFound):
        auth.revoke_api_key("no-such-key")
    auth.revoke_api_key(created.info.id)
    with pytest.raises(sesame.Unauthenticated):
        auth.verify_api_key(created.key)


def test_signer(auth: Sesame) -> None:
    token = auth.sign("invite", b"\x00ada\xff")
    verified = auth.verify_signed("invite", token, 3600)
    assert verified.payload == b"\x00ada\xff" and verified.issued_at_secs > 0
    with pytest.raises(sesame.InvalidToken):
        auth.verify_signed("reset", token, 3600)
    with pytest.raises(sesame.InvalidToken):
        auth.verify_signed("invite", token[:-2] + "AA", 3600)
    with pytest.raises(sesame.InvalidRequest):
        auth.sign("Not A Purpose", b"x")
    with pytest.raises(sesame.InvalidRequest):
        auth.verify_signed("invite", token, -1)
    with pytest.raises(TypeError):
        auth.sign("invite", "text")  # type: ignore[arg-type]
