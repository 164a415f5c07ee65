"""The `admin` export: managing accounts and Sesame itself, for a caller.

`Sesame.admin()` returns an `Admin` acting as the host itself (allowed everything);
`Sesame.admin(api_key=...)` and `Sesame.admin(login=...)` act for an API key or a person's
session or access token, and the component applies the same rules as its `/admin/` HTTP API
(scope or permission `admin` or the area's, fresh authentication for people, no area widening
its own reach). Users are named by id or email address."""

from __future__ import annotations

from typing import Any, Callable, Iterable, List, Optional

from wasmtime import component as wc

from ._args import _new_user, _opt_text, _record, _text, _texts
from .types import (
    ApiKeyInfo,
    CreatedApiKey,
    CredentialInfo,
    EventPage,
    Factors,
    MailPage,
    Role,
    SessionSummary,
    TokenLogin,
    User,
    UserDetails,
    UserPage,
)

_STATES = ("pending", "dead")


def _caller(api_key: Optional[str], login: Optional[str]) -> wc.Variant:
    if api_key is not None and login is not None:
        raise TypeError("give api_key or login, not both")
    if api_key is not None:
        return wc.Variant("api-key", _text("api_key", api_key))
    if login is not None:
        return wc.Variant("login", _text("login", login))
    return wc.Variant("operator")


def _state(state: str) -> str:
    if state not in _STATES:
        raise ValueError(f"state must be one of {_STATES}, not {state!r}")
    return state


class Admin:
    """Admin operations for one caller. Refusals raise the `SesameError` of their code
    (`Forbidden`, `ReauthenticationRequired`, `NotFound`, `AlreadyExists`, ...)."""

    def __init__(
        self,
        call: Callable[..., Any],
        api_key: Optional[str] = None,
        login: Optional[str] = None,
    ):
        # `call(iface, function, *args)`: the `Sesame` instance's export call, so this module
        # needs nothing of the client's.
        self._sesame_call = call
        self._caller = _caller(api_key, login)

    # ---- users ---------------------------------------------------------------------------

    def list_users(
        self, query: Optional[str] = None, after: Optional[str] = None, limit: int = 100
    ) -> UserPage:
        """Users in id order; with `query`, those whose email or username contains it."""
        return UserPage._from_wit(
            self._sesame_call(
                "admin",
                "list-users",
                self._caller,
                _opt_text("query", query),
                _opt_text("after", after),
                int(limit),
            )
        )

    def show_user(self, user: str) -> UserDetails:
        """A user with lockout state and permissions; `NotFound` when there is none."""
        return UserDetails._from_wit(
            self._sesame_call("admin", "show-user", self._caller, _text("user", user))
        )

    def create_user(
        self,
        email: str,
        password: str,
        username: Optional[str] = None,
        roles: Iterable[str] = (),
    ) -> User:
        """Creates a user; `AlreadyExists` for a taken email or username."""
        new = _new_user(email, password, username, roles)
        return User._from_wit(self._sesame_call("admin", "create-user", self._caller, new))

    def update_user(
        self,
        user: str,
        *,
        email: Optional[str] = None,
        username: Optional[str] = None,
        remove_username: bool = False,
        active: Optional[bool] = None,
        confirmed: Optional[bool] = None,
    ) -> User:
        """Changes what is given; `active=False` ends every session and token login."""
        changes = _record(
            email=_opt_text("email", email),
            username=_opt_text("username", username),
            remove_username=bool(remove_username),
            active=None if active is None else bool(active),
            confirmed=None if confirmed is None else bool(confirmed),
        )
        return User._from_wit(
            self._sesame_call(
                "admin", "update-user", self._caller, _text("user", user), changes
            )
        )

    def delete_user(self, user: str) -> str:
        """Erases a user; returns the anonymous id their events now carry."""
        return str(self._sesame_call("admin", "delete-user", self._caller, _text("user", user)))

    # ---- logins and factors --------------------------------------------------------------

    def list_sessions(self, user: str) -> List[SessionSummary]:
        """A user's live sessions, newest first."""
        return [
            SessionSummary._from_wit(s)
            for s in self._sesame_call("admin", "list-sessions", self._caller, _text("user", user))
        ]

    def revoke_sessions(self, user: str, session_id: Optional[str] = None) -> int:
        """Ends one session, or every session and token login; returns how many ended."""
        return int(
            self._sesame_call(
                "admin",
                "revoke-sessions",
                self._caller,
                _text("user", user),
                _opt_text("session_id", session_id),
            )
        )

    def list_token_logins(self, user: str) -> List[TokenLogin]:
        """A user's live token logins, newest first."""
        return [
            TokenLogin._from_wit(t)
            for t in self._sesame_call(
                "admin", "list-token-logins", self._caller, _text("user", user)
            )
        ]

    def revoke_token_login(self, user: str, login_id: str) -> None:
        """Ends one token login of a user."""
        self._sesame_call(
            "admin",
            "revoke-token-login",
            self._caller,
            _text("user", user),
            _text("login_id", login_id),
        )

    def list_factors(self, user: str) -> Factors:
        """A user's TOTP state, recovery codes left and passkeys."""
        return Factors._from_wit(
            self._sesame_call("admin", "list-factors", self._caller, _text("user", user))
        )

    def reset_totp(self, user: str) -> bool:
        """Turns TOTP off with its recovery codes, ends the user's logins, mails them;
        returns whether TOTP was on."""
        return bool(self._sesame_call("admin", "reset-totp", self._caller, _text("user", user)))

    def remove_passkey(self, user: str, credential: str) -> CredentialInfo:
        """Removes a passkey by credential ID or name and mails the user."""
        return CredentialInfo._from_wit(
            self._sesame_call(
                "admin",
                "remove-passkey",
                self._caller,
                _text("user", user),
                _text("credential", credential),
            )
        )

    # ---- roles and keys ------------------------------------------------------------------

    def grant_role(self, user: str, role: str) -> User:
        """Grants an existing role."""
        return User._from_wit(
            self._sesame_call(
                "admin", "grant-role", self._caller, _text("user", user), _text("role", role)
            )
        )

    def revoke_role(self, user: str, role: str) -> User:
        """Takes a role away."""
        return User._from_wit(
            self._sesame_call(
                "admin", "revoke-role", self._caller, _text("user", user), _text("role", role)
            )
        )

    def list_roles(self) -> List[Role]:
        """Every role, by name."""
        return [Role._from_wit(r) for r in self._sesame_call("admin", "list-roles", self._caller)]

    def put_role(self, name: str, description: str = "", permissions: Iterable[str] = ()) -> Role:
        """Creates or replaces a role."""
        role = _record(
            name=_text("name", name),
            description=_text("description", description),
            permissions=_texts("permissions", permissions),
        )
        return Role._from_wit(self._sesame_call("admin", "put-role", self._caller, role))

    def delete_role(self, name: str) -> bool:
        """Deletes a role; whether it existed."""
        return bool(self._sesame_call("admin", "delete-role", self._caller, _text("name", name)))

    def list_api_keys(self) -> List[ApiKeyInfo]:
        """Every API key, by name."""
        return [
            ApiKeyInfo._from_wit(k)
            for k in self._sesame_call("admin", "list-api-keys", self._caller)
        ]

    def create_api_key(self, name: str, scopes: Iterable[str]) -> CreatedApiKey:
        """Creates an API key; its only copy is in the result."""
        return CreatedApiKey._from_wit(
            self._sesame_call(
                "admin",
                "create-api-key",
                self._caller,
                _text("name", name),
                _texts("scopes", scopes),
            )
        )

    def revoke_api_key(self, key_id: str) -> None:
        """Revokes an API key by id."""
        self._sesame_call("admin", "revoke-api-key", self._caller, _text("key_id", key_id))

    # ---- events and mail -----------------------------------------------------------------

    def list_events(
        self,
        *,
        user: Optional[str] = None,
        kind: Optional[str] = None,
        since_ms: Optional[int] = None,
        until_ms: Optional[int] = None,
        after: Optional[str] = None,
        limit: int = 100,
    ) -> EventPage:
        """Journal events, oldest first, narrowed by every argument given."""
        event_filter = _record(
            user=_opt_text("user", user),
            kind=_opt_text("kind", kind),
            since_ms=None if since_ms is None else int(since_ms),
            until_ms=None if until_ms is None else int(until_ms),
            after=_opt_text("after", after),
            limit=int(limit),
        )
        return EventPage._from_wit(
            self._sesame_call("admin", "list-events", self._caller, event_filter)
        )

    def list_mail(
        self, state: str = "pending", after: Optional[str] = None, limit: int = 100
    ) -> MailPage:
        """The host's mail queue (`pending` or `dead`), without bodies."""
        return MailPage._from_wit(
            self._sesame_call(
                "admin",
                "list-mail",
                self._caller,
                _state(state),
                _opt_text("after", after),
                int(limit),
            )
        )

    def retry_mail(self, mail_id: str) -> None:
        """Puts a dead letter back in the queue, due now."""
        self._sesame_call("admin", "retry-mail", self._caller, _text("mail_id", mail_id))

    def delete_mail(self, mail_id: str, state: str = "pending") -> None:
        """Deletes a queued message or dead letter."""
        self._sesame_call(
            "admin", "delete-mail", self._caller, _state(state), _text("mail_id", mail_id)
        )
