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
class TwoFactorStatus:
    """Where a user stands with two-factor authentication."""

    totp_enabled: bool
    enrolment_pending: bool
    recovery_codes_left: int

    @classmethod
    def _from_wit(cls, r: Any) -> "TwoFactorStatus":
        return cls(
            totp_enabled=_get(r, "totp-enabled"),
            enrolment_pending=_get(r, "enrolment-pending"),
            recovery_codes_left=_get(r, "recovery-codes-left"),
        )


@dataclass(frozen=True)
class TotpEnrolment:
    """A TOTP enrolment, shown to the user once: the secret (never log it), the `otpauth://`
    URI and its QR code as an inline `<svg>`."""

    secret: str = field(repr=False)
    otpauth_uri: str = field(repr=False)
    qr_svg: str = field(repr=False)
    algorithm: str
    digits: int
    period_secs: int

    @classmethod
    def _from_wit(cls, r: Any) -> "TotpEnrolment":
        return cls(
            secret=_get(r, "secret"),
            otpauth_uri=_get(r, "otpauth-uri"),
            qr_svg=_get(r, "qr-svg"),
            algorithm=_get(r, "algorithm"),
            digits=_get(r, "digits"),
            period_secs=_get(r, "period-secs"),
        )


@dataclass(frozen=True)
class PendingLogin:
    """A sign-in whose password was right and which waits for a second factor. `token` is a
    single-use secret for `Sesame.complete_totp` / `complete_recovery`, not a session."""

    token: str = field(repr=False)
    methods: Tuple[str, ...]
    expires_at_ms: int

    @classmethod
    def _from_wit(cls, r: Any) -> "PendingLogin":
        return cls(
            token=_get(r, "token"),
            methods=tuple(_get(r, "methods")),
            expires_at_ms=_get(r, "expires-at-ms"),
        )


@dataclass(frozen=True)
class TokenPair:
    """An access token (EdDSA-signed JWT) and the refresh token that replaces it; the only
    copy of both. The refresh token works once."""

    access_token: str = field(repr=False)
    expires_in_secs: int
    refresh_token: str = field(repr=False)
    refresh_expires_at_ms: int
    user: User

    @classmethod
    def _from_wit(cls, r: Any) -> "TokenPair":
        return cls(
            access_token=_get(r, "access-token"),
            expires_in_secs=_get(r, "expires-in-secs"),
            refresh_token=_get(r, "refresh-token"),
            refresh_expires_at_ms=_get(r, "refresh-expires-at-ms"),
            user=User._from_wit(_get(r, "user")),
        )


@dataclass(frozen=True)
class AccessClaims:
    """What a verified access token says; times in seconds since the epoch, as in JWTs."""

    user_id: str
    login_id: str
    roles: Tuple[str, ...]
    issued_at_secs: int
    expires_at_secs: int

    @classmethod
    def _from_wit(cls, r: Any) -> "AccessClaims":
        return cls(
            user_id=_get(r, "user-id"),
            login_id=_get(r, "login-id"),
            roles=tuple(_get(r, "roles")),
            issued_at_secs=_get(r, "issued-at-secs"),
            expires_at_secs=_get(r, "expires-at-secs"),
        )


@dataclass(frozen=True)
class KeyGeneration:
    """One signing-key generation (the keys themselves are derived, never stored)."""

    number: int
    created_at_ms: int
    retired_at_ms: Optional[int]

    @classmethod
    def _from_wit(cls, r: Any) -> "KeyGeneration":
        return cls(
            number=_get(r, "number"),
            created_at_ms=_get(r, "created-at-ms"),
            retired_at_ms=_get(r, "retired-at-ms"),
        )


@dataclass(frozen=True)
class ApiKeyInfo:
    """An API key's public facts; `id` is safe to show and revokes it."""

    id: str
    name: str
    scopes: Tuple[str, ...]
    created_at_ms: int

    @classmethod
    def _from_wit(cls, r: Any) -> "ApiKeyInfo":
        return cls(
            id=_get(r, "id"),
            name=_get(r, "name"),
            scopes=tuple(_get(r, "scopes")),
            created_at_ms=_get(r, "created-at-ms"),
        )


@dataclass(frozen=True)
class CreatedApiKey:
    """A new API key: its facts and the only copy of the key (`sesame_ak_...`)."""

    info: ApiKeyInfo
    key: str = field(repr=False)

    @classmethod
    def _from_wit(cls, r: Any) -> "CreatedApiKey":
        return cls(info=ApiKeyInfo._from_wit(_get(r, "info")), key=_get(r, "key"))


@dataclass(frozen=True)
class Verified:
    """The content of a token verified by `Sesame.verify_signed`."""

    payload: bytes
    issued_at_secs: int

    @classmethod
    def _from_wit(cls, r: Any) -> "Verified":
        return cls(payload=bytes(_get(r, "payload")), issued_at_secs=_get(r, "issued-at-secs"))


@dataclass(frozen=True)
class Ceremony:
    """A WebAuthn ceremony in progress: `options_json` goes to the browser's
    `navigator.credentials.create`/`get`; `state` comes back with its answer (single use, it
    expires at `expires_at_ms`)."""

    state: str = field(repr=False)
    options_json: str
    expires_at_ms: int

    @classmethod
    def _from_wit(cls, r: Any) -> "Ceremony":
        return cls(
            state=_get(r, "state"),
            options_json=_get(r, "options-json"),
            expires_at_ms=_get(r, "expires-at-ms"),
        )


@dataclass(frozen=True)
class CredentialInfo:
    """A registered passkey or security key: `usage` is `first` (passkey sign-in) or
    `secondary` (second factor)."""

    id: str
    name: str
    usage: str
    algorithm: str
    created_at_ms: int
    last_used_at_ms: Optional[int]
    sign_count: int
    discoverable: Optional[bool]
    backed_up: bool

    @classmethod
    def _from_wit(cls, r: Any) -> "CredentialInfo":
        return cls(
            id=_get(r, "id"),
            name=_get(r, "name"),
            usage=str(_get(r, "usage")),
            algorithm=_get(r, "algorithm"),
            created_at_ms=_get(r, "created-at-ms"),
            last_used_at_ms=_get(r, "last-used-at-ms"),
            sign_count=_get(r, "sign-count"),
            discoverable=_get(r, "discoverable"),
            backed_up=_get(r, "backed-up"),
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
    "TwoFactorStatus",
    "TotpEnrolment",
    "PendingLogin",
    "TokenPair",
    "AccessClaims",
    "KeyGeneration",
    "ApiKeyInfo",
    "CreatedApiKey",
    "Verified",
    "Mail",
    "Event",
]
