"""Python forms of the WIT records the API returns and takes. Field names are the WIT ones in
snake_case; times are milliseconds since the Unix epoch, as in the WIT contract."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import (
    Any,
    Callable,
    Dict,
    List,
    Optional,
    Tuple,
    get_args,
    get_origin,
    get_type_hints,
)


class _Record:
    """A WIT record's Python form, built from wasmtime's record by field name: each field reads
    the WIT field of the same name in kebab-case (wasmtime's records carry the WIT names as
    attributes), converted by its annotation."""

    @classmethod
    def _from_wit(cls, r: Any) -> Any:
        return cls(**{name: convert(getattr(r, wit)) for name, wit, convert in _plan(cls)})


# Per record class, each field's name, WIT name and converter, worked out once: a record is
# built on every call that returns one, and resolving annotations each time would cost more
# than the call into the component.
_PLANS: Dict[type, Tuple[Tuple[str, str, Callable[[Any], Any]], ...]] = {}


def _plan(cls: type) -> Tuple[Tuple[str, str, Callable[[Any], Any]], ...]:
    plan = _PLANS.get(cls)
    if plan is None:
        # The annotations are strings (`from __future__ import annotations`).
        hints = get_type_hints(cls)
        plan = tuple(
            (f.name, f.name.replace("_", "-"), _converter(hints[f.name])) for f in fields(cls)
        )
        _PLANS[cls] = plan
    return plan


def _as_is(value: Any) -> Any:
    return value


def _converter(hint: Any) -> Callable[[Any], Any]:
    """How a value from wasmtime becomes the Python type `hint`: records built, lists made
    tuples, byte lists made bytes; the rest (numbers, strings, options of those, WIT enums as
    their names) as they come."""
    if isinstance(hint, type) and issubclass(hint, _Record):
        return hint._from_wit
    if get_origin(hint) is tuple:
        element = get_args(hint)[0]
        if isinstance(element, type) and issubclass(element, _Record):
            build = element._from_wit
            return lambda items: tuple(build(item) for item in items)
        return tuple
    if hint is bytes:
        return bytes
    if hint is str:
        return str
    return _as_is


@dataclass(frozen=True)
class Tracking(_Record):
    """Sign-in history of a user."""

    login_count: int
    current_login_at_ms: Optional[int]
    current_login_ip: Optional[str]
    last_login_at_ms: Optional[int]
    last_login_ip: Optional[str]


@dataclass(frozen=True)
class User(_Record):
    """A user account. Holds no secrets."""

    id: str
    email: str
    username: Optional[str]
    roles: Tuple[str, ...]
    active: bool
    created_at_ms: int
    confirmed_at_ms: Optional[int]
    tracking: Tracking


@dataclass(frozen=True)
class IssuedSession(_Record):
    """A session just created. `token` is the only copy of the secret."""

    token: str = field(repr=False)
    user: User
    csrf_token: str = field(repr=False)
    expires_at_ms: int


@dataclass(frozen=True)
class SessionInfo(_Record):
    """A live session, as found by `Sesame.validate`."""

    user: User
    csrf_token: str = field(repr=False)
    created_at_ms: int
    expires_at_ms: int


@dataclass(frozen=True)
class SessionSummary(_Record):
    """One of a user's sessions, as listed to its owner; `id` revokes it."""

    id: str
    created_at_ms: int
    last_seen_at_ms: int
    expires_at_ms: int
    address: Optional[str]
    user_agent: Optional[str]


@dataclass(frozen=True)
class Role(_Record):
    """A role and the permissions it grants."""

    name: str
    description: str = ""
    permissions: Tuple[str, ...] = ()


@dataclass(frozen=True)
class TwoFactorStatus(_Record):
    """Where a user stands with two-factor authentication."""

    totp_enabled: bool
    email_enabled: bool
    enrolment_pending: bool
    recovery_codes_left: int


@dataclass(frozen=True)
class TotpEnrolment(_Record):
    """A TOTP enrolment, shown to the user once: the secret (never log it), the `otpauth://`
    URI and its QR code as an inline `<svg>`."""

    secret: str = field(repr=False)
    otpauth_uri: str = field(repr=False)
    qr_svg: str = field(repr=False)
    algorithm: str
    digits: int
    period_secs: int


@dataclass(frozen=True)
class PendingLogin(_Record):
    """A sign-in whose first factor was right and which waits for a second one. `token` is a
    single-use secret for `Sesame.complete_totp` / `complete_recovery` / `complete_email`,
    not a session; `methods` name the ways it can finish (`totp`, `recovery-code`,
    `webauthn`, `email`)."""

    token: str = field(repr=False)
    methods: Tuple[str, ...]
    expires_at_ms: int


#: The ways of signing in (`unified-sign-in.sign-in-method`), by Flask-Security's names, in the
#: order the component lists them.
SIGN_IN_METHODS: Tuple[str, ...] = ("password", "email", "authenticator", "passkey")


@dataclass(frozen=True)
class CodeSent(_Record):
    """A code sign-in just started (`Sesame.send_code`): what the asking client keeps. `token`
    binds the mailed code and link to this client (never log it); `device_code` is shown to
    the person, who types it where the link was opened on another device."""

    token: str = field(repr=False)
    device_code: str = field(repr=False)
    expires_at_ms: int


@dataclass(frozen=True)
class DeviceCodeNeeded:
    """What `Sesame.open_link` answers for a link opened by another client than the one that
    asked for it, without the right device code: nothing was signed in."""


@dataclass(frozen=True)
class TokenPair(_Record):
    """An access token (EdDSA-signed JWT) and the refresh token that replaces it; the only
    copy of both. The refresh token works once."""

    access_token: str = field(repr=False)
    expires_in_secs: int
    refresh_token: str = field(repr=False)
    refresh_expires_at_ms: int
    user: User


@dataclass(frozen=True)
class AccessClaims(_Record):
    """What a verified access token says; times in seconds since the epoch, as in JWTs."""

    user_id: str
    login_id: str
    roles: Tuple[str, ...]
    issued_at_secs: int
    expires_at_secs: int


@dataclass(frozen=True)
class KeyGeneration(_Record):
    """One signing-key generation (the keys themselves are derived, never stored)."""

    number: int
    created_at_ms: int
    retired_at_ms: Optional[int]


@dataclass(frozen=True)
class ApiKeyInfo(_Record):
    """An API key's public facts; `id` is safe to show and revokes it."""

    id: str
    name: str
    scopes: Tuple[str, ...]
    created_at_ms: int


@dataclass(frozen=True)
class CreatedApiKey(_Record):
    """A new API key: its facts and the only copy of the key (`sesame_ak_...`)."""

    info: ApiKeyInfo
    key: str = field(repr=False)


@dataclass(frozen=True)
class Verified(_Record):
    """The content of a token verified by `Sesame.verify_signed`."""

    payload: bytes
    issued_at_secs: int


@dataclass(frozen=True)
class Ceremony(_Record):
    """A WebAuthn ceremony in progress: `options_json` goes to the browser's
    `navigator.credentials.create`/`get`; `state` comes back with its answer (single use, it
    expires at `expires_at_ms`)."""

    state: str = field(repr=False)
    options_json: str
    expires_at_ms: int


@dataclass(frozen=True)
class CredentialInfo(_Record):
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


@dataclass(frozen=True)
class Mail:
    """A message the component asks the host to deliver. Its text (and its HTML, the same
    message as an HTML document to send beside the text as `multipart/alternative`) may hold
    single-use links."""

    to: str
    subject: str
    text: str = field(repr=False)
    html: Optional[str] = field(default=None, repr=False)


@dataclass(frozen=True)
class Event:
    """An account event (ids, never secrets)."""

    kind: str
    user_id: Optional[str]
    address: Optional[str]
    at_ms: int


@dataclass(frozen=True)
class UserDetails(_Record):
    """A user with what only administrators see."""

    user: User
    failed_sign_ins: int
    locked_until_ms: Optional[int]
    permissions: Tuple[str, ...]
    has_password: bool


@dataclass(frozen=True)
class UserPage(_Record):
    """One page of users; pass `next` as `after` for the next (None: no more)."""

    users: Tuple[User, ...]
    next: Optional[str]


@dataclass(frozen=True)
class TokenLogin(_Record):
    """One of a user's token logins (no token)."""

    id: str
    created_at_ms: int
    refreshed_at_ms: int
    expires_at_ms: int
    address: Optional[str]
    user_agent: Optional[str]
    client_id: Optional[str]
    scope: Optional[str]


@dataclass(frozen=True)
class Factors(_Record):
    """Where a user stands with their second factors."""

    totp_enabled: bool
    totp_enrolment_pending: bool
    recovery_codes_left: int
    passkeys: Tuple[CredentialInfo, ...]


@dataclass(frozen=True)
class JournalEvent(_Record):
    """An event from the journal; `actor` and `action` for admin actions."""

    id: str
    kind: str
    user_id: Optional[str]
    address: Optional[str]
    at_ms: int
    actor: Optional[str]
    action: Optional[str]


@dataclass(frozen=True)
class EventPage(_Record):
    """One page of events, oldest first; may be short and still have a `next`."""

    events: Tuple[JournalEvent, ...]
    next: Optional[str]


@dataclass(frozen=True)
class QueuedMail(_Record):
    """A message in the host's mail queue, without its body."""

    id: str
    state: str
    to: str
    subject: str
    queued_at_ms: int
    attempts: int
    next_attempt_ms: int
    last_error: Optional[str]


@dataclass(frozen=True)
class MailPage(_Record):
    """One page of the mail queue."""

    messages: Tuple[QueuedMail, ...]
    next: Optional[str]


__all__: List[str] = [
    "UserDetails",
    "UserPage",
    "TokenLogin",
    "Factors",
    "JournalEvent",
    "EventPage",
    "QueuedMail",
    "MailPage",
    "Tracking",
    "User",
    "IssuedSession",
    "SessionInfo",
    "SessionSummary",
    "Role",
    "TwoFactorStatus",
    "TotpEnrolment",
    "PendingLogin",
    "SIGN_IN_METHODS",
    "CodeSent",
    "DeviceCodeNeeded",
    "TokenPair",
    "AccessClaims",
    "KeyGeneration",
    "ApiKeyInfo",
    "CreatedApiKey",
    "Verified",
    "Ceremony",
    "CredentialInfo",
    "Mail",
    "Event",
]
