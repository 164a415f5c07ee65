"""The WIT 1.0 additions through the Python API against the real component: signing in with a
mailed code or link on an account without a password, email as the second factor, and
changing the address and recovering the username. Codes and links are read from the mails the
outbox received, as a person would read them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List

import pytest

import sesame
from sesame import MemoryOutbox, Sesame

from .conftest import load_cases

PASSWORD = "analytical engine"


def deployment(component: str, tmp_path: Path, methods: str) -> Sesame:
    """A Sesame over a fresh SQLite file offering the sign-in `methods` (`SESAME_US_METHODS`)."""
    config: Dict[str, str] = dict(load_cases()["config"], SESAME_US_METHODS=methods)
    return Sesame(
        component, database=str(tmp_path / "auth.db"), config=config, outbox=MemoryOutbox()
    )


def mails_to(auth: Sesame, to: str) -> List[sesame.Mail]:
    outbox = auth.outbox
    assert isinstance(outbox, MemoryOutbox)
    return [m for m in outbox.mails if m.to == to]


def mailed_code(auth: Sesame, to: str) -> str:
    """The 8-digit code of the last mail to `to`."""
    text = mails_to(auth, to)[-1].text
    match = re.search(r"\b(\d{8})\b", text)
    assert match, text
    return match.group(1)


def mailed_link_token(auth: Sesame, to: str, path: str) -> str:
    """The `token` parameter of the link to `path` in the last mail to `to` that has one."""
    for mail in reversed(mails_to(auth, to)):
        match = re.search(re.escape(path) + r"\?token=([\w.~-]+)", mail.text)
        if match:
            return match.group(1)
    raise AssertionError(f"no {path} link mailed to {to}")


def wrong(code: str) -> str:
    """Another code of the same shape."""
    return "".join(str((int(c) + 1) % 10) for c in code)


def test_a_passwordless_account_signs_in_with_the_mailed_code_or_link(
    component: str, tmp_path: Path
) -> None:
    auth = deployment(component, tmp_path, "password,email")
    assert auth.sign_in_methods() == ("password", "email")
    auth.register_without_password("ada@example.com", "ada")
    user = auth.list_users()[0]
    assert user.email == "ada@example.com"
    assert auth.active_sign_in_methods(user.id) == ("email",)
    with pytest.raises(sesame.InvalidCredentials):
        auth.login("ada@example.com", "")

    sent = auth.send_code("ada", address="192.0.2.7")
    assert isinstance(sent, sesame.CodeSent) and len(sent.device_code) == 6
    assert sent.token not in repr(sent) and sent.device_code not in repr(sent)
    code = mailed_code(auth, "ada@example.com")
    with pytest.raises(sesame.InvalidCode) as err:
        auth.sign_in_with_code(sent.token, wrong(code))
    assert err.value.code == "invalid-code"
    # The code works only together with the asking client's token.
    with pytest.raises(sesame.Unauthenticated):
        auth.sign_in_with_code("not-the-token", code)
    signed_in = auth.sign_in_with_code(sent.token, code, address="192.0.2.7")
    assert isinstance(signed_in, sesame.IssuedSession)
    assert auth.validate(signed_in.token).user.id == user.id
    with pytest.raises(sesame.Unauthenticated):
        auth.sign_in_with_code(sent.token, code)

    # The link, opened on another device: nothing happens without the device code.
    sent = auth.send_code("ada@example.com")
    link = mailed_link_token(auth, "ada@example.com", "/us-verify-link")
    assert isinstance(auth.open_link(link), sesame.DeviceCodeNeeded)
    with pytest.raises(sesame.InvalidCode):
        auth.open_link(link, device_code=wrong(sent.device_code))
    opened = auth.open_link(link, device_code=sent.device_code)
    assert isinstance(opened, sesame.IssuedSession) and opened.user.id == user.id
    with pytest.raises(sesame.InvalidToken):
        auth.open_link(link, token=sent.token)
    with pytest.raises(sesame.InvalidToken):
        auth.open_link("forged.link.value")


def test_asking_for_a_code_answers_the_same_for_an_unknown_account(
    component: str, tmp_path: Path
) -> None:
    auth = deployment(component, tmp_path, "password,email")
    auth.register_without_password("ada@example.com")
    mails = len(auth.outbox.mails)  # type: ignore[attr-defined]
    sent = auth.send_code("nobody@example.com")
    assert len(sent.token) == 43 and len(sent.device_code) == 6
    assert len(auth.outbox.mails) == mails  # type: ignore[attr-defined]
    with pytest.raises(sesame.InvalidCode):
        auth.sign_in_with_code(sent.token, "12345678")


def test_mailed_codes_are_refused_where_the_deployment_does_not_offer_them(auth: Sesame) -> None:
    assert auth.sign_in_methods() == ("password", "passkey")
    with pytest.raises(sesame.Forbidden):
        auth.send_code("ada@example.com")
    with pytest.raises(sesame.InvalidRequest):
        auth.register_without_password("ada@example.com")
    with pytest.raises(sesame.Forbidden):
        auth.sign_in_with_authenticator("ada@example.com", "123456")


def test_email_as_the_second_factor(auth: Sesame) -> None:
    auth.create_user("ada@example.com", PASSWORD)
    session = auth.login("ada@example.com", PASSWORD)
    assert auth.two_factor_status(session.token).email_enabled is False
    auth.start_email_two_factor(session.token)
    code = mailed_code(auth, "ada@example.com")
    with pytest.raises(sesame.InvalidCode):
        auth.confirm_email_two_factor(session.token, wrong(code))
    auth.confirm_email_two_factor(session.token, code)
    assert auth.two_factor_status(session.token).email_enabled is True
    assert auth.two_factor_required(session.user.id) is True
    with pytest.raises(sesame.AlreadyExists):
        auth.start_email_two_factor(session.token)

    pending = auth.begin_login("ada@example.com", PASSWORD)
    assert isinstance(pending, sesame.PendingLogin) and "email" in pending.methods
    auth.send_email_code(pending.token)
    code = mailed_code(auth, "ada@example.com")
    with pytest.raises(sesame.InvalidCode):
        auth.complete_email(pending.token, wrong(code))
    signed_in = auth.complete_email(pending.token, code, address="192.0.2.8")
    assert signed_in.user.email == "ada@example.com"
    with pytest.raises(sesame.Unauthenticated):
        auth.complete_email(pending.token, code)


def test_changing_the_address_and_recovering_the_username(auth: Sesame) -> None:
    outbox = auth.outbox
    assert isinstance(outbox, MemoryOutbox)
    auth.create_user("ada@example.com", PASSWORD, username="ada")
    session = auth.login("ada", PASSWORD)

    auth.request_email_change(session.token, "lovelace@example.com")
    assert mails_to(auth, "ada@example.com"), "the old address is told"
    link = mailed_link_token(auth, "lovelace@example.com", "/change-email/confirm")
    with pytest.raises(sesame.InvalidToken):
        auth.confirm_email_change(link + "x")
    changed = auth.confirm_email_change(link)
    assert changed.email == "lovelace@example.com" and changed.confirmed_at_ms is not None
    with pytest.raises(sesame.InvalidToken):
        auth.confirm_email_change(link)
    assert "email-changed" in [e.kind for e in outbox.events]

    renamed = auth.change_username(session.token, "countess")
    assert renamed.username == "countess"
    assert "username-changed" in [e.kind for e in outbox.events]
    with pytest.raises(sesame.InvalidUsername):
        auth.change_username(session.token, "no spaces")

    auth.recover_username("lovelace@example.com")
    assert "countess" in mails_to(auth, "lovelace@example.com")[-1].text
    mails = len(outbox.mails)
    auth.recover_username("nobody@example.com")
    assert len(outbox.mails) == mails


def test_undoing_an_address_change_from_the_old_address_ends_every_session(auth: Sesame) -> None:
    auth.create_user("ada@example.com", PASSWORD)
    session = auth.login("ada@example.com", PASSWORD)
    auth.request_email_change(session.token, "lovelace@example.com")
    auth.confirm_email_change(
        mailed_link_token(auth, "lovelace@example.com", "/change-email/confirm")
    )
    undo = mailed_link_token(auth, "ada@example.com", "/change-email/restore")
    auth.restore_email(undo)
    with pytest.raises(sesame.Unauthenticated):
        auth.validate(session.token)
    assert [u.email for u in auth.list_users()] == ["ada@example.com"]
    with pytest.raises(sesame.InvalidToken):
        auth.restore_email(undo)


def test_a_code_sign_in_ends_after_five_wrong_codes(component: str, tmp_path: Path) -> None:
    auth = deployment(component, tmp_path, "password,email")
    auth.register_without_password("ada@example.com")
    sent = auth.send_code("ada@example.com")
    code = mailed_code(auth, "ada@example.com")
    for _ in range(5):
        with pytest.raises(sesame.InvalidCode):
            auth.sign_in_with_code(sent.token, wrong(code))
    with pytest.raises(sesame.Unauthenticated):
        auth.sign_in_with_code(sent.token, code)


def test_moving_to_an_address_another_account_uses_answers_the_same(auth: Sesame) -> None:
    auth.create_user("ada@example.com", PASSWORD)
    auth.create_user("bob@example.com", PASSWORD)
    session = auth.login("ada@example.com", PASSWORD)
    auth.request_email_change(session.token, "bob@example.com")
    # Bob is told; no link that would move Ada onto his address is mailed anywhere.
    assert mails_to(auth, "bob@example.com")
    with pytest.raises(AssertionError):
        mailed_link_token(auth, "bob@example.com", "/change-email/confirm")
    assert auth.validate(session.token).user.email == "ada@example.com"


def test_new_calls_check_their_arguments_before_the_component(auth: Sesame) -> None:
    with pytest.raises(TypeError):
        auth.send_code(b"ada@example.com")  # type: ignore[arg-type]
    with pytest.raises(sesame.InvalidEncoding):
        auth.recover_username("ada\udc80@example.com")
    with pytest.raises(TypeError):
        auth.open_link("link", token=1)  # type: ignore[arg-type]
    with pytest.raises(sesame.InvalidEncoding):
        auth.complete_email("pending", "1234\udc80")
    assert auth.list_users() == []
