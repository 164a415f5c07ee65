"""Typed exceptions for the WIT `auth-error` codes, one class per `error-code` case.

The WIT `error-code` enum (wit/sesame.wit) is the one source of these codes; a test
(`tests/test_error_table.py`) fails when this table and the WIT enum differ."""

from __future__ import annotations

from typing import Dict, Type


class SesameError(Exception):
    """A call Sesame refused. `code` is the WIT `error-code` (kebab-case, the same string HTTP
    error bodies carry); `message` is for people and never holds secrets."""

    code = "internal"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class InvalidRequest(SesameError):
    """The request is not well-formed."""

    code = "invalid-request"


class MalformedJson(SesameError):
    """A JSON body could not be parsed."""

    code = "malformed-json"


class InvalidEncoding(SesameError):
    """Text was not valid UTF-8."""

    code = "invalid-encoding"


class UnsupportedMediaType(SesameError):
    """The body's content type is neither JSON nor an HTML form."""

    code = "unsupported-media-type"


class PayloadTooLarge(SesameError):
    """The body exceeds the size limit."""

    code = "payload-too-large"


class InvalidEmail(SesameError):
    """The email address is not acceptable."""

    code = "invalid-email"


class InvalidUsername(SesameError):
    """The username is not acceptable."""

    code = "invalid-username"


class WeakPassword(SesameError):
    """The password breaks the password policy; the message names the rule."""

    code = "weak-password"


class InvalidCredentials(SesameError):
    """Wrong credentials: the same for an unknown account, a wrong password or a disabled one."""

    code = "invalid-credentials"


class Unauthenticated(SesameError):
    """No valid session accompanies the call."""

    code = "unauthenticated"


class Forbidden(SesameError):
    """Signed in, but not allowed to do this."""

    code = "forbidden"


class CsrfRejected(SesameError):
    """A state-changing cookie request lacked the anti-CSRF token."""

    code = "csrf-rejected"


class RateLimited(SesameError):
    """Too many attempts from this client or on this account."""

    code = "rate-limited"


class InvalidToken(SesameError):
    """An emailed link's token is invalid, expired or already used."""

    code = "invalid-token"


class NotFound(SesameError):
    """No such object."""

    code = "not-found"


class MethodNotAllowed(SesameError):
    """The route exists but not for this HTTP method."""

    code = "method-not-allowed"


class AlreadyExists(SesameError):
    """The object already exists (administrative calls only)."""

    code = "already-exists"


class StoreUnavailable(SesameError):
    """Storage failed; retrying later may succeed (a change may or may not have taken effect)."""

    code = "store-unavailable"


class InternalError(SesameError):
    """A fault inside Sesame or the component trapped; details are in the log."""

    code = "internal"


class InvalidCode(SesameError):
    """A TOTP or recovery code is wrong, outside the time window, or already used."""

    code = "invalid-code"


class SecondFactorRequired(SesameError):
    """The password was right, but the account has two-factor on: sign in with
    `Sesame.begin_login` and finish with a TOTP or recovery code."""

    code = "second-factor-required"


class WebauthnRejected(SesameError):
    """A passkey or security key answer was refused (wrong origin or RP ID, bad signature, unsupported key or attestation)."""

    code = "webauthn-rejected"


class ChallengeInvalid(SesameError):
    """The WebAuthn ceremony is unknown, already answered, expired or belongs to another session."""

    code = "challenge-invalid"


class UnknownCredential(SesameError):
    """No such passkey or security key for this account."""

    code = "unknown-credential"


class SignCountRegression(SesameError):
    """The authenticator's signature counter went backwards: a possible clone, refused by policy."""

    code = "sign-count-regression"


class ReauthenticationRequired(SesameError):
    """The action needs a recent sign-in or passkey verification (`webauthn_verify_*`) first."""

    code = "reauthentication-required"


class Busy(SesameError):
    """The server is at a limit (password checks waiting for hashing); nothing was done, retry
    after the time the message gives."""

    code = "busy"


class BreachedPassword(SesameError):
    """The new password is listed in the breached-password corpus the deployment checks;
    choose another. Only the `service` world checks (`SESAME_PWNED_URL`)."""

    code = "breached-password"


class BreachCheckUnavailable(SesameError):
    """The breached-password check could not be made and the deployment refuses what it
    cannot check; nothing was changed, retry later."""

    code = "breach-check-unavailable"


#: Exception class for every WIT `error-code` case: each subclass above is one case, so
#: defining the class is what adds it here.
ERRORS: Dict[str, Type[SesameError]] = {cls.code: cls for cls in SesameError.__subclasses__()}


def from_code(code: str, message: str) -> SesameError:
    """The exception for an `auth-error`; an unknown code (a newer component) stays a
    `SesameError` carrying that code rather than being lost."""
    cls = ERRORS.get(code)
    if cls is None:
        return SesameError(message, code)
    return cls(message)

__all__ = ["SesameError", "ERRORS", "from_code"] + [cls.__name__ for cls in ERRORS.values()]
