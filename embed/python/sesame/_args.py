"""Arguments checked before they reach the component: a value of the wrong type is a
programming error (`TypeError`); text that is not valid Unicode is bad input
(`InvalidEncoding`). Records are built under their WIT field names."""

from __future__ import annotations

from typing import Any, Iterable, List, Optional

from wasmtime import component as wc

from .errors import InvalidEncoding


def _record(**fields: Any) -> wc.Record:
    # wasmtime lowers records by attribute, under the WIT (kebab-case) field names.
    r = wc.Record()
    for name, value in fields.items():
        setattr(r, name.replace("_", "-"), value)
    return r


def _text(name: str, value: Any) -> str:
    """A string argument, checked before it reaches the component: not a str is a programming
    error; a str that is not valid Unicode text (lone surrogates) is bad input."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidEncoding(f"{name} is not valid Unicode text") from None
    return value


def _opt_text(name: str, value: Any) -> Optional[str]:
    return None if value is None else _text(name, value)


def _texts(name: str, values: Iterable[Any]) -> List[str]:
    if isinstance(values, str):
        raise TypeError(f"{name} must be a list of str, not a str")
    return [_text(name, v) for v in values]


def _new_user(email: Any, password: Any, username: Any, roles: Iterable[Any]) -> wc.Record:
    """The WIT `new-user` record, every field checked."""
    return _record(
        email=_text("email", email),
        password=_text("password", password),
        username=_opt_text("username", username),
        roles=_texts("roles", roles),
    )


def _client(address: Optional[str], user_agent: Optional[str]) -> wc.Record:
    """The WIT `client-info` record: the asking client's address and user agent, if known."""
    return _record(
        address=_opt_text("address", address), user_agent=_opt_text("user_agent", user_agent)
    )
