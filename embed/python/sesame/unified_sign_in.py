"""The `unified-sign-in` export as methods of `Sesame`: signing in with a code mailed to the
account's address or the link mailed with it, with an authenticator app's code instead of a
password, and accounts without a password.

A code sign-in is bound to the client that asked for it by the `token` of `CodeSent`, which
only that client holds: the mailed code works only together with it, and the link signs in
only that client; opened anywhere else, the link needs the `device_code` shown to the asking
client. Which ways a deployment offers is its `SESAME_US_METHODS` setting."""

from __future__ import annotations

from typing import Any, Optional, Tuple, Union

from ._args import _client, _opt_text, _text
from .types import CodeSent, DeviceCodeNeeded, IssuedSession, PendingLogin


def _login_outcome(outcome: Any) -> Union[IssuedSession, PendingLogin]:
    """A WIT `two-factor.login-outcome`: a session, or the second step still to take."""
    if outcome.tag == "signed-in":
        return IssuedSession._from_wit(outcome.payload)
    return PendingLogin._from_wit(outcome.payload)


class UnifiedSignIn:
    """The `unified-sign-in` calls; `Sesame` inherits them and supplies `_call`."""

    def _call(self, iface: str, name: str, *args: Any) -> Any:  # pragma: no cover (Sesame's)
        raise NotImplementedError

    def sign_in_methods(self) -> Tuple[str, ...]:
        """The ways of signing in the deployment offers (of `SIGN_IN_METHODS`)."""
        return tuple(self._call("unified-sign-in", "methods"))

    def active_sign_in_methods(self, user_id: str) -> Tuple[str, ...]:
        """The ways the user with this id can sign in, of those offered (`NotFound`)."""
        return tuple(
            self._call("unified-sign-in", "active-methods", _text("user_id", user_id))
        )

    def send_code(
        self,
        identity: str,
        *,
        address: Optional[str] = None,
        user_agent: Optional[str] = None,
    ) -> CodeSent:
        """Mails an 8-digit code and a link to the account `identity` (email or username)
        names and starts the code sign-in they work with; answers the same for an identity
        that names no account (which is sent nothing). Keep `token` for `sign_in_with_code`
        and show `device_code` to the person. `Forbidden` where mailed codes are not offered;
        `RateLimited` per client address and per identity."""
        return CodeSent._from_wit(
            self._call(
                "unified-sign-in",
                "send-code",
                _text("identity", identity),
                _client(address, user_agent),
            )
        )

    def sign_in_with_code(
        self,
        token: str,
        code: str,
        *,
        address: Optional[str] = None,
        user_agent: Optional[str] = None,
    ) -> Union[IssuedSession, PendingLogin]:
        """Finishes the code sign-in of `token` with the mailed `code`: an `IssuedSession`, or
        a `PendingLogin` when the account has two-factor on. `InvalidCode` for a wrong code
        (one of five attempts gone); `Unauthenticated` once the code sign-in is used, expired
        or out of attempts."""
        return _login_outcome(
            self._call(
                "unified-sign-in",
                "sign-in-with-code",
                _text("token", token),
                _text("code", code),
                _client(address, user_agent),
            )
        )

    def sign_in_with_authenticator(
        self,
        identity: str,
        code: str,
        *,
        address: Optional[str] = None,
        user_agent: Optional[str] = None,
    ) -> Union[IssuedSession, PendingLogin]:
        """Signs in with `identity` and a code from its authenticator app instead of a
        password, where `authenticator` is offered (`Forbidden` otherwise). The answer is the
        second step, which cannot be the same app (`SecondFactorRequired` when the account has
        no other). `InvalidCredentials` alike for an unknown account, no app, a disabled
        account or a wrong code; `RateLimited`."""
        return _login_outcome(
            self._call(
                "unified-sign-in",
                "sign-in-with-authenticator",
                _text("identity", identity),
                _text("code", code),
                _client(address, user_agent),
            )
        )

    def open_link(
        self,
        link: str,
        *,
        token: Optional[str] = None,
        device_code: Optional[str] = None,
        address: Optional[str] = None,
        user_agent: Optional[str] = None,
    ) -> Union[IssuedSession, PendingLogin, DeviceCodeNeeded]:
        """Opens a mailed sign-in link (`link` is its `token` parameter): signs in when
        `token` is the `CodeSent.token` of the asking client, or with the right `device_code`;
        otherwise nothing happens and the answer is `DeviceCodeNeeded`. `InvalidToken` for a
        forged, expired or used link."""
        outcome = self._call(
            "unified-sign-in",
            "open-link",
            _text("link", link),
            _opt_text("token", token),
            _opt_text("device_code", device_code),
            _client(address, user_agent),
        )
        # wasmtime hands `link-outcome` over untagged, its cases being told apart by their
        # payloads: `device-code-needed` (none) as None, `signed-in` as its `login-outcome`.
        if outcome is None:
            return DeviceCodeNeeded()
        return _login_outcome(outcome)

    def register_without_password(self, email: str, username: Optional[str] = None) -> None:
        """Self-service registration of an account without a password, which signs in with
        mailed codes; answers like `register` (no account discovery). `InvalidRequest` where
        mailed codes are not offered; `InvalidEmail`, `InvalidUsername`, `AlreadyExists` for
        a taken username."""
        self._call(
            "unified-sign-in",
            "register-without-password",
            _text("email", email),
            _opt_text("username", username),
        )


__all__ = ["UnifiedSignIn"]
