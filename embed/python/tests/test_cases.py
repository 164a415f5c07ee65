"""The shared table of cases (`embed/cases.json`), through the Python API: the same inputs give
the same outcomes as under the Rust host and in Node."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Dict

import pytest

from sesame import PendingLogin, Sesame, SesameError

from .authenticator import now_step, totp_code

TABLE = json.loads((Path(__file__).resolve().parents[2] / "cases.json").read_text("utf-8"))


def normalise(value: Any) -> Any:
    """A result as JSON-like data with snake_case fields, the table's vocabulary."""
    if dataclasses.is_dataclass(value):
        return {f.name: normalise(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalise(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value


def table_totp_code(a: Dict[str, Any]) -> str:
    """The table's `totp_code` step: the code `offset` steps from now, or with `wrong` the
    lowest code matching no step from two before to two after now."""
    now = now_step()
    if a.get("wrong"):
        near = {totp_code(a["secret"], now + d) for d in range(-2, 3)}
        return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in near)
    return totp_code(a["secret"], now + a["offset"])


def pick(value: Any, path: str) -> Any:
    """The table's field path (dotted; list indexes as numbers; "" for the value itself)."""
    for part in path.split(".") if path else []:
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def matches(expected: Any, actual: Any) -> bool:
    """The table's subset comparison."""
    if isinstance(expected, dict) and set(expected) == {"$len"}:
        return isinstance(actual, list) and len(actual) == expected["$len"]
    if isinstance(expected, dict) and set(expected) == {"$string"}:
        return isinstance(actual, str) and actual != ""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and matches(v, actual[k]) for k, v in expected.items()
        )
    return expected == actual and type(expected) is type(actual)


def call(auth: Sesame, name: str, a: Dict[str, Any]) -> Any:
    """One table call through the Pythonic method of the same name."""
    client = {"address": a.get("address"), "user_agent": a.get("user_agent")}
    calls = {
        "register": lambda: auth.register(a["email"], a["password"], a.get("username")),
        "create_user": lambda: auth.create_user(
            a["email"], a["password"], username=a.get("username"), roles=a["roles"]
        ),
        "import_user": lambda: auth.import_user(
            a["email"],
            a["password_hash"],
            username=a.get("username"),
            roles=a["roles"],
            active=a["active"],
            confirmed=a["confirmed"],
            flask_security_salt=a.get("flask_security_salt"),
        ),
        "get_user": lambda: auth.get_user(a["id"]),
        "list_users": lambda: auth.list_users(a.get("after"), a["limit"]),
        "verify_password": lambda: auth.verify_password(a["token"], a["password"], **client) > 0,
        "change_password": lambda: auth.change_password(
            a["token"], a["current"], a["new"], **client
        ),
        "login": lambda: auth.login(a["identity"], a["password"], **client),
        "validate": lambda: auth.validate(a["token"]),
        "logout": lambda: auth.logout(a["token"]),
        "list_sessions": lambda: auth.list_sessions(a["token"]),
        "revoke": lambda: auth.revoke(a["token"], a["id"]),
        "revoke_all": lambda: auth.revoke_all(a["token"]),
        "put_role": lambda: auth.put_role(a["name"], a["description"], a["permissions"]),
        "delete_role": lambda: auth.delete_role(a["name"]),
        "list_roles": lambda: auth.list_roles(),
        "grant_role": lambda: auth.grant_role(a["email"], a["role"]),
        "revoke_role": lambda: auth.revoke_role(a["email"], a["role"]),
        "set_active": lambda: auth.set_active(a["email"], a["active"]),
        "two_factor_required": lambda: auth.two_factor_required(a["user_id"]),
        "two_factor_status": lambda: auth.two_factor_status(a["token"]),
        "start_totp": lambda: auth.start_totp(a["token"]),
        "confirm_totp": lambda: auth.confirm_totp(a["token"], a["code"]),
        "disable_two_factor": lambda: auth.disable_two_factor(
            a["token"], password=a.get("password"), code=a.get("code")
        ),
        "generate_recovery_codes": lambda: auth.generate_recovery_codes(a["token"]),
        "begin_login": lambda: begin_login(auth, a, client),
        "complete_totp": lambda: auth.complete_totp(a["pending_token"], a["code"], **client),
        "complete_recovery": lambda: auth.complete_recovery(
            a["pending_token"], a["code"], **client
        ),
        "issue_tokens": lambda: auth.issue_tokens(a["identity"], a["password"], **client),
        "issue_tokens_for_session": lambda: auth.issue_tokens_for_session(
            a["session_token"], **client
        ),
        "refresh_tokens": lambda: auth.refresh_tokens(a["refresh_token"]),
        "revoke_token": lambda: auth.revoke_token(a["token"]),
        "verify_access": lambda: auth.verify_access(a["access_token"]),
        "rotate_keys": lambda: auth.rotate_keys(),
        "list_keys": lambda: auth.list_keys(),
        "create_api_key": lambda: auth.create_api_key(a["name"], a["scopes"]),
        "list_api_keys": lambda: auth.list_api_keys(),
        "revoke_api_key": lambda: auth.revoke_api_key(a["id"]),
        "verify_api_key": lambda: auth.verify_api_key(a["key"]),
        "sign": lambda: auth.sign(a["purpose"], a["payload"].encode("utf-8")),
        "verify_signed": lambda: auth.verify_signed(a["purpose"], a["token"], a["max_age_secs"]),
        "totp_code": lambda: table_totp_code(a),
    }
    return calls[name]()


def begin_login(auth: Sesame, a: Dict[str, Any], client: Dict[str, Any]) -> Dict[str, Any]:
    """`begin_login`'s outcome in the table's tagged form."""
    outcome = auth.begin_login(a["identity"], a["password"], **client)
    if isinstance(outcome, PendingLogin):
        return {"second_factor": outcome}
    return {"signed_in": outcome}


@pytest.mark.parametrize("case", TABLE["cases"], ids=[c["name"] for c in TABLE["cases"]])
def test_case(case: Dict[str, Any], auth: Sesame) -> None:
    saved: Dict[str, str] = {}
    for i, step in enumerate(case["steps"]):
        args = {
            k: saved[v[1:]] if isinstance(v, str) and v.startswith("@") else v
            for k, v in step["args"].items()
        }
        where = f"step {i} ({step['call']})"
        try:
            result = call(auth, step["call"], args)
        except SesameError as e:
            assert "error" in step["expect"], f"{where}: unexpected {e!r}"
            assert e.code == step["expect"]["error"], f"{where}: {e!r}"
            assert e.message, f"{where}: an error must carry a message"
            continue
        assert "ok" in step["expect"], f"{where}: expected {step['expect']}, got {result!r}"
        actual = normalise(result)
        assert matches(step["expect"]["ok"], actual), f"{where}: {actual!r}"
        save = step.get("save")
        if isinstance(save, str):
            saved[save] = actual["token"]
        elif save is not None:
            saved.update({name: pick(actual, path) for name, path in save.items()})

