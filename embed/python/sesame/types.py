"""Python forms of the WIT records the API returns and takes. Field names are the WIT ones in
snake_case; times are milliseconds since the Unix epoch, as in the WIT contract."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, List, Optional, Tuple


def _get(record: Any, name: str) -> Any:
    # wasmtime hands records over as objects whose attributes carry the WIT (kebab-case) names.
    return getattr(record, name)


@dataclass(frozen=True)
class Tracking:
    """Sign-in history of a user."""

    login_count: int
    current_login_at_ms: Optional[int]
    current_login_ip: Optional[str]
    last_login_at_ms: Optional[int]
    last_login_ip: Optional[str]

    @classmethod
    def _from_wit(cls, r: Any) -> "Tracking":
        return cls(
            login_count=_get(r, "login-count"),
            current_login_at_ms=_get(r, "current-login-at-ms"),
            current_login_ip=_get(r, "current-login-ip"),
            last_login_at_ms=_get(r, "last-login-at-ms"),
            last_login_ip=_get(r, "last-login-ip"),
        )


@dataclass(frozen=True)
class User:
    """A user account. Holds no secrets."""

    id: str
    email: str
    username: Optional[str]
    roles: Tuple[str, ...]
    active: bool
    created_at_ms: int
    confirmed_at_ms: Optional[int]
    tracking: Tracking

    @classmethod
    def _from_wit(cls, r: Any) -> "User":
        return cls(
            id=_get(r, "id"),
            email=_get(r, "email"),
            username=_get(r, "username"),
            roles=tuple(_get(r, "roles")),
            active=_get(r, "active"),
            created_at_ms=_get(r, "created-at-ms"),
            confirmed_at_ms=_get(r, "confirmed-at-ms"),
            tracking=Tracking._from_wit(_get(r, "tracking")),
        )


@dataclass(frozen=True)
class IssuedSession:
    """A session just created. `token` is the only copy of the secret."""

    token: str = field(repr=False)
    user: User
    csrf_token: str = field(repr=False)
    expires_at_ms: int

    @classmethod
    def _from_wit(cls, r: Any) -> "IssuedSession":
        return cls(
            token=_get(r, "token"),
            user=User._from_wit(_get(r, "user")),
            csrf_token=_get(r, "csrf-token"),
            expires_at_ms=_get(r, "expires-at-ms"),
        )


@dataclass(frozen=True)
class SessionInfo:
    """A live session, as found by `Sesame.validate`."""

    user: User
    csrf_token: str = field(repr=False)
    created_at_ms: int
    expires_at_ms: int

    @classmethod
    def _from_wit(cls, r: Any) -> "SessionInfo":
        return cls(
            user=User._from_wit(_get(r, "user")),
            csrf_token=_get(r, "csrf-token"),
            created_at_ms=_get(r, "created-at-ms"),
            expires_at_ms=_get(r, "expires-at-ms"),
        )


@dataclass(frozen=True)
class SessionSummary:
    """One of a user's sessions, as listed to its owner; `id` revokes it."""

    id: str
    created_at_ms: int
    last_seen_at_ms: int
    expires_at_ms: int
    address: Optional[str]
    user_agent: Optional[str]

    @classmethod
    def _from_wit(cls, r: Any) -> "SessionSummary":
        return cls(
            id=_get(r, "id"),
            created_at_ms=_get(r, "created-at-ms"),
            last_seen_at_ms=_get(r, "last-seen-at-ms"),
            expires_at_ms=_get(r, "expires-at-ms"),
            address=_get(r, "address"),
            user_agent=_get(r, "user-agent"),
        )


@dataclass(frozen=True)
class Role:
    """A role and the permissions it grants."""

    name: str
    description: str = ""
    permissions: Tuple[str, ...] = ()

    @classmethod
    def _from_wit(cls, r: Any) -> "Role":
        return cls(
            name=_get(r, "name"),
            description=_get(r, "description"),
            permissions=tuple(_get(r, "permissions")),
        )


@dataclass(frozen=True)
class Mail:
    """A message the component asks the host to deliver. Its text may hold single-use links."""

    to: str
    subject: str
    text: str = field(repr=False)


@dataclass(frozen=True)
class Event:
    """An account event (ids, never secrets)."""

    kind: str
    user_id: Optional[str]
    address: Optional[str]
    at_ms: int


__all__: List[str] = [
    "Tracking",
    "User",
    "IssuedSession",
    "SessionInfo",
    "SessionSummary",
    "Role",
    "Mail",
    "Event",
]
