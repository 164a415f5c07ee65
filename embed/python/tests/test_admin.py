"""The `admin` export through the Python wrapper: every operation, and its refusals for callers
without the right."""

from __future__ import annotations

import pytest

import sesame
from sesame import Sesame


def test_an_operator_runs_every_operation(auth: Sesame) -> None:
    admin = auth.admin()
    grace = admin.create_user("grace@example.com", "compiler pioneer", username="grace")
    with pytest.raises(sesame.AlreadyExists):
        admin.create_user("GRACE@example.com", "compiler pioneer")

    page = admin.list_users(query="GRACE")
    assert [u.id for u in page.users] == [grace.id] and page.next is None
    details = admin.show_user("grace@example.com")
    assert details.user.email == "grace@example.com" and details.has_password

    changed = admin.update_user(grace.id, remove_username=True, confirmed=True)
    assert changed.username is None and changed.confirmed_at_ms is not None
    with pytest.raises(sesame.InvalidRequest):
        admin.update_user(grace.id, username="g2", remove_username=True)

    auth.login("grace@example.com", "compiler pioneer")
    pair = auth.issue_tokens("grace@example.com", "compiler pioneer")
    sessions = admin.list_sessions(grace.id)
    assert len(sessions) == 1
    login_id = auth.verify_access(pair.access_token).login_id
    logins = admin.list_token_logins(grace.id)
    assert [t.id for t in logins] == [login_id]
    admin.revoke_token_login(grace.id, login_id)
    assert admin.revoke_sessions(grace.id, sessions[0].id) == 1
    assert admin.list_sessions(grace.id) == [] and admin.list_token_logins(grace.id) == []

    factors = admin.list_factors(grace.id)
    assert factors.totp_enabled is False and factors.passkeys == ()
    assert admin.reset_totp(grace.id) is False
    with pytest.raises(sesame.NotFound):
        admin.remove_passkey(grace.id, "no such key")

    admin.put_role("editor", "edits", ["write"])
    assert [r.name for r in admin.list_roles()] == ["editor"]
    assert admin.grant_role(grace.id, "editor").roles == ("editor",)
    assert admin.revoke_role(grace.id, "editor").roles == ()
    assert admin.delete_role("editor") is True

    key = admin.create_api_key("ci", ["deploy"])
    assert [k.id for k in admin.list_api_keys()] == [key.info.id]
    admin.revoke_api_key(key.info.id)

    assert admin.list_mail("dead").messages == ()
    with pytest.raises(sesame.NotFound):
        admin.retry_mail("0000000000001-n-1")
    with pytest.raises(sesame.NotFound):
        admin.delete_mail("0000000000001-n-1", "dead")
    with pytest.raises(ValueError):
        admin.list_mail("lost")

    anonymous = admin.delete_user("grace@example.com")
    with pytest.raises(sesame.NotFound):
        admin.show_user(grace.id)
    events = admin.list_events(kind="admin-action", limit=500).events
    actions = [e.action for e in events]
    for expected in ("user.create", "user.update", "user.delete", "role.delete:editor"):
        assert expected in actions
    assert all(e.actor == "operator" for e in events)
    assert not [e for e in admin.list_events(limit=500).events if e.user_id == grace.id]
    assert [e for e in admin.list_events(limit=500).events if e.user_id == anonymous]


def test_keys_and_logins_are_held_to_their_rights(auth: Sesame) -> None:
    operator = auth.admin()
    operator.create_user("ada@example.com", "analytical engine")
    desk = operator.create_api_key("desk", ["admin:users"])
    deploy = operator.create_api_key("deploy", ["deploy"])

    as_desk = auth.admin(api_key=desk.key)
    assert as_desk.show_user("ada@example.com").user.email == "ada@example.com"
    with pytest.raises(sesame.Forbidden):
        as_desk.list_events()
    with pytest.raises(sesame.Forbidden):
        as_desk.create_api_key("mine", ["admin"])
    with pytest.raises(sesame.Forbidden):
        auth.admin(api_key=deploy.key).list_users()
    with pytest.raises(sesame.Unauthenticated):
        auth.admin(api_key="sesame_ak_0000000000000000_" + "x" * 43).list_users()

    session = auth.login("ada@example.com", "analytical engine")
    with pytest.raises(sesame.Forbidden):
        auth.admin(login=session.token).list_users()
    operator.put_role("ops", "", ["admin"])
    operator.grant_role("ada@example.com", "ops")
    assert auth.admin(login=session.token).list_users().users
    with pytest.raises(sesame.Unauthenticated):
        auth.admin(login="not a token").list_users()
    with pytest.raises(TypeError):
        auth.admin(api_key=desk.key, login=session.token)
