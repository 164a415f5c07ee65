"""The shared table of cases (`embed/cases.json`), through the Python API: the same inputs give
the same outcomes as under the Rust host and in Node."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Dict

import pytest

from sesame import Sesame, SesameError

TABLE = json.loads((Path(__file__).resolve().parents[2] / "cases.json").read_text("utf-8"))


def normalise(value: Any) -> Any:
    """A result as JSON-like data with snake_case fields, the table's vocabulary."""
    if dataclasses.is_dataclass(value):
        return {f.name: normalise(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [normalise(v) for v in value]
    return value


def matches(expected: Any, actual: Any) -> bool:
    """The table's subset comparison."""
    if isinstance(expected, dict) and set(expected) == {"$len"}:
        return isinstance(actual, list) and len(actual) == expected["$len"]
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
    }
    return calls[name]()


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
        if "save" in step:
            saved[step["save"]] = result.token

