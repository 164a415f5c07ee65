"""`Sesame`: the component loaded by wasmtime, its imports supplied, its exports as methods."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import threading
import weakref
from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Tuple,
    Union,
)

import wasmtime
from wasmtime import component as wc

from . import _conversion
from ._args import _client, _new_user, _opt_text, _record, _text, _texts
from .errors import InternalError, InvalidRequest, StoreUnavailable, from_code
from .outbox import Outbox
from .store import Conflict, MemoryStore, SqliteStore, StoreError, TooLarge
from .unified_sign_in import UnifiedSignIn
from .types import (
    AccessClaims,
    ApiKeyInfo,
    Ceremony,
    CreatedApiKey,
    CredentialInfo,
    Event,
    IssuedSession,
    KeyGeneration,
    Mail,
    PendingLogin,
    Role,
    SessionInfo,
    SessionSummary,
    TokenPair,
    TotpEnrolment,
    TwoFactorStatus,
    User,
    Verified,
)

if TYPE_CHECKING:
    from .admin import Admin  # noqa: F401 (only named in an annotation)

#: The WIT package version this wrapper speaks.
WIT_VERSION = "1.0.0"
#: Environment variable naming the component file when no path is given.
COMPONENT_ENV = "SESAME_EMBED_COMPONENT"
#: The component inside an installed wheel (`embed/python/build-wheel` puts it there).
PACKAGED_COMPONENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sesame_guest_embed.wasm")
#: Memory the component may use (per instance). Argon2 with the default 19 MiB cost fits many
#: times over; a runaway allocation fails inside the component instead of exhausting the host.
MAX_MEMORY_BYTES = 256 * 1024 * 1024
#: Largest payload `sign` takes: 1 MiB, like a store value, and well under what wasmtime lets a
#: call copy back out (about 2.6 MiB of bytes), so every token signed can be verified.
MAX_SIGNED_PAYLOAD = 1024 * 1024
#: Largest `u32` the WIT API takes (list limits).
_U32_MAX = 2**32 - 1
# The name under which a generated SESAME_SECRET is kept in the SQLite file.
_SECRET_NAME = "sesame-secret"

# Compiling the component takes a while; every `Sesame` over the same file shares the result.
_COMPILED: Dict[str, Tuple[wasmtime.Engine, wc.Component]] = {}
_COMPILED_LOCK = threading.Lock()

# wasmtime-py passes an exception raised by a host function to the caller through one
# module-global slot (`wasmtime.component._enter.LAST_EXCEPTION`), so two threads calling
# components at once could see each other's exceptions. Every call into a component therefore
# holds this one process-wide lock; instances stay independent.
_WASMTIME_CALL_LOCK = threading.Lock()
# Set while this thread is inside a call: a store or outbox that calls Sesame again would wait
# for the lock it holds forever, so that call is refused instead.
_IN_CALL = threading.local()


@contextlib.contextmanager
def _inside_call() -> Iterator[None]:
    _IN_CALL.active = True
    try:
        yield
    finally:
        _IN_CALL.active = False


def _component_path(given: Optional[str]) -> str:
    """The component to load: the path given, else `$SESAME_EMBED_COMPONENT`, else the one
    packaged in the wheel."""
    path = given or os.environ.get(COMPONENT_ENV)
    if path:
        return path
    if os.path.isfile(PACKAGED_COMPONENT):
        return PACKAGED_COMPONENT
    raise ValueError(
        f"no component: pass its path, set {COMPONENT_ENV}, or install the wheel that carries it "
        "(embed/python/build-wheel builds one)"
    )


def _iface(name: str) -> str:
    return f"sesame:auth/{name}@{WIT_VERSION}"


def _compiled(path: str) -> Tuple[wasmtime.Engine, wc.Component]:
    key = os.path.abspath(path)
    with _COMPILED_LOCK:
        if key not in _COMPILED:
            engine = wasmtime.Engine()
            component = wc.Component.from_file(engine, key)
            check_contract(key, component.type.exports(engine).keys())
            _COMPILED[key] = (engine, component)
        return _COMPILED[key]


def check_contract(path: str, exports: Iterable[str]) -> None:
    """Refuses a component that does not speak this package's WIT (`WIT_VERSION`) with a
    message naming both versions, instead of failing later at the first call it lacks."""
    spoken = sorted(
        {name.rsplit("@", 1)[1] for name in exports if name.startswith("sesame:auth/") and "@" in name}
    )
    if spoken != [WIT_VERSION]:
        found = ", ".join(f"sesame:auth@{v}" for v in spoken) or "no sesame:auth interface"
        raise ValueError(
            f"{path} exports {found}; this package speaks sesame:auth@{WIT_VERSION} "
            "(docs/embedding.md: use the package of the component's version)"
        )


def _unwrap(value: Any) -> Any:
    """The ok value of a WIT `result<_, auth-error>`, or its error raised.

    wasmtime-py tags a result (a `Variant` with `ok`/`err`) only when the ok and error values
    could be mistaken for each other; otherwise it hands over the bare payload. Every untagged
    result of this API has an ok type that is not a record, so there a record is the
    `auth-error`."""
    if isinstance(value, wc.Variant) and value.tag in ("ok", "err"):
        if value.tag == "err":
            raise from_code(value.payload.code, value.payload.message)
        return value.payload
    if isinstance(value, wc.Record):
        raise from_code(value.code, value.message)
    return value


def _store_error(e: StoreError) -> wc.Variant:
    if isinstance(e, Conflict):
        return wc.Variant("conflict")
    if isinstance(e, TooLarge):
        return wc.Variant("too-large")
    return wc.Variant("unavailable", str(e) or type(e).__name__)


def _entry(entry: Optional[Tuple[bytes, int]]) -> Optional[wc.Record]:
    return None if entry is None else _record(value=entry[0], version=entry[1])


def _known_settings() -> Dict[str, str]:
    """Every `SESAME_*` setting the component reads, with its default (`settings.json`, which
    `sesame settings --json` prints and a test keeps equal to core's table)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "settings.json")
    with open(path, encoding="utf-8") as f:
        return {row["name"]: row["default"] for row in json.load(f)}


SETTINGS: Dict[str, str] = _known_settings()


def _check_settings(config: Mapping[str, str]) -> None:
    """Refuses a setting the component does not read: it would be ignored without a word."""
    unknown = sorted(name for name in config if name not in SETTINGS)
    if unknown:
        raise ValueError(
            f"unknown Sesame setting(s) {', '.join(unknown)}; the known ones are in sesame.SETTINGS"
        )


class Sesame(UnifiedSignIn):
    """Sesame's typed API, run inside the `sesame:auth/embed` component.

    `component`: path of `sesame_guest_embed.wasm` (default: `$SESAME_EMBED_COMPONENT`, else
    the component packaged with this wheel).
    `database`: SQLite file for the store (`":memory:"` for a throwaway one), or pass `store`.
    `secret`: the base64url `SESAME_SECRET` (at least 32 bytes); by default `config`'s, else
    one generated on first use and kept in the store's database. `config`: further `SESAME_*`
    settings (the known ones and their defaults: `SETTINGS`; any other name is a `ValueError`).
    `outbox`: where mail and events go (default: the log).

    Calls are serialised on one component instance; a trap discards the instance (the next
    call gets a fresh one) and raises `InternalError`, a store failure `StoreUnavailable`.
    Every refusal raises the `SesameError` subclass named after its WIT `error-code`. The
    `unified-sign-in` calls (mailed codes and links, passwordless accounts) come from
    `UnifiedSignIn`."""

    def __init__(
        self,
        component: Optional[str] = None,
        *,
        database: str = "sesame.db",
        store: Optional[Union[SqliteStore, MemoryStore]] = None,
        secret: Optional[str] = None,
        config: Optional[Mapping[str, str]] = None,
        outbox: Optional[Outbox] = None,
    ) -> None:
        path = _component_path(component)
        self._engine, self._component = _compiled(path)
        self.store = store if store is not None else SqliteStore(database)
        self.outbox = outbox if outbox is not None else Outbox()
        env = dict(config or {})
        _check_settings(env)
        if secret is None:
            secret = env.get("SESAME_SECRET")
        if secret is None:
            fresh = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=")
            secret = self.store.host_secret(_SECRET_NAME, fresh).decode("ascii")
        env["SESAME_SECRET"] = secret
        self._env = sorted(env.items())
        self._linker = self._link()
        self._lock = threading.RLock()
        self._wstore: Optional[wasmtime.Store] = None
        self._instance: Optional[wc.Instance] = None
        self._funcs: Dict[Tuple[str, str], Tuple[wc.Func, _conversion.ExportPlan]] = {}

    # ---- imports -------------------------------------------------------------------------

    def _link(self) -> wc.Linker:
        linker = wc.Linker(self._engine)
        linker.add_wasip2()
        store = self.store

        def get(_ctx: Any, key: str) -> Optional[wc.Record]:
            # wasmtime-py cannot return the error case of `result<option<entry>, store-error>`:
            # its untagged lowering takes any value for `option`'s `none` case first. A failed
            # read therefore raises, which traps the call; `_call` reports the original
            # `StoreError` as `StoreUnavailable` and discards the instance. Nothing is lost:
            # a read changes nothing.
            return _entry(store.get(key))

        def put(_ctx: Any, key: str, value: bytes, expect: Optional[int], ttl: Optional[int]) -> Any:
            try:
                return store.put(key, value, expect, ttl)
            except StoreError as e:
                return _store_error(e)

        def delete(_ctx: Any, key: str, expect: Optional[int]) -> Any:
            try:
                return store.delete(key, expect)
            except StoreError as e:
                return _store_error(e)

        def scan(_ctx: Any, prefix: str, after: Optional[str], limit: int) -> Any:
            try:
                return [(k, _entry(e)) for k, e in store.scan(prefix, after, limit)]
            except StoreError as e:
                return _store_error(e)

        # wasmtime keeps host functions for as long as the process lives unless their linker is
        # freed; holding this object only weakly lets a dropped `Sesame` (and its linker,
        # instance and memory) be collected.
        this = weakref.ref(self)

        def outbox() -> Outbox:
            owner = this()
            if owner is None:
                raise RuntimeError("the Sesame object of this component is gone")
            return owner.outbox

        def send_mail(_ctx: Any, m: Any) -> None:
            outbox().send_mail(Mail(to=m.to, subject=m.subject, text=m.text, html=m.html))

        def emit_event(_ctx: Any, e: Any) -> None:
            outbox().emit_event(
                Event(
                    kind=e.kind,
                    user_id=getattr(e, "user-id"),
                    address=e.address,
                    at_ms=getattr(e, "at-ms"),
                )
            )

        # Through `_conversion`'s plans: values convert several times faster than through
        # wasmtime-py's generic conversion, and are the same values.
        add = _conversion.add_host_func
        with linker.root() as root:
            with root.add_instance(_iface("store")) as i:
                add(i, "get", get)
                add(i, "put", put)
                add(i, "delete", delete)
                add(i, "scan", scan)
            with root.add_instance(_iface("outbox")) as i:
                add(i, "send-mail", send_mail)
                add(i, "emit-event", emit_event)
            # Types only; the instance must exist for the import to resolve.
            with root.add_instance(_iface("types")):
                pass
        return linker

    # ---- calling exports -----------------------------------------------------------------

    def _instantiate(self) -> None:
        wstore = wasmtime.Store(self._engine)
        wstore.set_limits(memory_size=MAX_MEMORY_BYTES)
        wasi = wasmtime.WasiConfig()
        wasi.env = self._env
        wasi.inherit_stderr()
        wstore.set_wasi(wasi)
        self._instance = self._linker.instantiate(wstore, self._component)
        self._wstore = wstore
        self._funcs = {}

    def _func(self, iface: str, name: str) -> Tuple[wc.Func, _conversion.ExportPlan]:
        key = (iface, name)
        found = self._funcs.get(key)
        if found is None:
            assert self._instance is not None and self._wstore is not None
            parent = self._instance.get_export_index(self._wstore, _iface(iface))
            index = self._instance.get_export_index(self._wstore, name, parent)
            func = self._instance.get_func(self._wstore, index) if index is not None else None
            if func is None:
                raise InternalError(f"the component does not export {iface}.{name}")
            found = (func, _conversion.ExportPlan(func, self._wstore))
            self._funcs[key] = found
        return found

    def _call(self, iface: str, name: str, *args: Any) -> Any:
        """Calls one export and returns its ok value or raises its error."""
        if getattr(_IN_CALL, "active", False):
            raise RuntimeError(
                "a store or outbox called Sesame while Sesame was calling it; "
                "queue the work and do it after the call returns"
            )
        with _WASMTIME_CALL_LOCK, self._lock, _inside_call():
            if self._instance is None:
                self._instantiate()
            func, plan = self._func(iface, name)
            try:
                result = _conversion.call_export(func, self._wstore, plan, args)
            except StoreError as e:
                self._instance = None
                raise StoreUnavailable(f"the store failed: {e}") from e
            except Exception as e:
                # A trap, or an exception raised by a host function (an outbox that failed):
                # the instance stopped mid-call and is not used again.
                self._instance = None
                raise InternalError(f"{iface}.{name} trapped; the instance was discarded") from e
            except BaseException:
                # Ctrl-C, SystemExit, a cancelled task inside a store or outbox: the instance
                # stopped mid-call too; the interruption itself goes on to the caller.
                self._instance = None
                raise
        return _unwrap(result)

    # ---- admin ---------------------------------------------------------------------------

    def admin(self, *, api_key: Optional[str] = None, login: Optional[str] = None) -> "Admin":
        """The `admin` operations for a caller: this host itself when neither is given
        (allowed everything), else an API key or a person's session or access token, held to
        the rules of Sesame's `/admin/` API."""
        from .admin import Admin

        return Admin(self._call, api_key=api_key, login=login)

    # ---- accounts ------------------------------------------------------------------------

    def register(self, email: str, password: str, username: Optional[str] = None) -> None:
        """Self-service registration; succeeds the same way for a taken email (no account
        discovery). Raises `InvalidEmail`, `InvalidUsername`, `WeakPassword`, or
        `AlreadyExists` for a taken username."""
        self._call(
            "accounts",
            "register",
            _text("email", email),
            _text("password", password),
            _opt_text("username", username),
        )

    def create_user(
        self,
        email: str,
        password: str,
        *,
        username: Optional[str] = None,
        roles: Iterable[str] = (),
    ) -> User:
        """Administrative creation; `AlreadyExists` for a taken email."""
        new = _new_user(email, password, username, roles)
        return User._from_wit(self._call("accounts", "create-user", new))

    def confirm_email(self, token: str) -> User:
        """Confirms an address with the token from a confirmation mail (`InvalidToken`)."""
        return User._from_wit(self._call("accounts", "confirm-email", _text("token", token)))

    def request_reset(self, email: str) -> None:
        """Mails a reset link if the address has an account; answers the same either way."""
        self._call("accounts", "request-reset", _text("email", email))

    def reset_password(self, token: str, new_password: str) -> User:
        """Sets a new password with a reset token and ends every session of the user."""
        return User._from_wit(
            self._call(
                "accounts",
                "reset-password",
                _text("token", token),
                _text("new_password", new_password),
            )
        )

    def import_user(
        self,
        email: str,
        password_hash: str,
        *,
        username: Optional[str] = None,
        roles: Iterable[str] = (),
        active: bool = True,
        confirmed: bool = False,
        flask_security_salt: Optional[str] = None,
    ) -> User:
        """Imports a user with a bcrypt, passlib pbkdf2 or argon2 hash (rehashed at first
        sign-in); `flask_security_salt` for Flask-Security's HMAC-salted hashes."""
        user = _record(
            email=_text("email", email),
            username=_opt_text("username", username),
            password_hash=_text("password_hash", password_hash),
            roles=_texts("roles", roles),
            active=bool(active),
            confirmed=bool(confirmed),
        )
        salt = _opt_text("flask_security_salt", flask_security_salt)
        return User._from_wit(self._call("accounts", "import-user", user, salt))

    def get_user(self, user_id: str) -> Optional[User]:
        """The user with this id, or None."""
        found = self._call("accounts", "get-user", _text("user_id", user_id))
        return None if found is None else User._from_wit(found)

    def list_users(self, after: Optional[str] = None, limit: int = 100) -> List[User]:
        """Users in id order, strictly after `after`, at most `limit`."""
        return [
            User._from_wit(u)
            for u in self._call("accounts", "list-users", _opt_text("after", after), _u32(limit))
        ]

    def change_password(
        self,
        token: str,
        current: str,
        new: str,
        *,
        address: Optional[str] = None,
        user_agent: Optional[str] = None,
    ) -> IssuedSession:
        """Changes the password of the session's user, ends all their sessions and returns a
        fresh one (`InvalidCredentials` for a wrong `current`, `WeakPassword`)."""
        return IssuedSession._from_wit(
            self._call(
                "accounts",
                "change-password",
                _text("token", token),
                _text("current", current),
                _text("new", new),
                _client(address, user_agent),
            )
        )

    def verify_password(
        self,
        token: str,
        password: str,
        *,
        address: Optional[str] = None,
        user_agent: Optional[str] = None,
    ) -> int:
        """Checks the password of the login of `token` again, so that login counts as freshly
        authenticated; returns until when (ms since the epoch). A sign-in attempt in every
        respect: throttled and counted into the lockout (`InvalidCredentials`)."""
        return self._call(
            "accounts",
            "verify-password",
            _text("token", token),
            _text("password", password),
            _client(address, user_agent),
        )

    def set_active(self, email: str, active: bool) -> User:
        """Enables or disables an account (trusted callers); disabling ends every session and
        token login at once. `NotFound` for an unknown email."""
        if not isinstance(active, bool):
            raise TypeError("active must be a bool")
        return User._from_wit(
            self._call("accounts", "set-active", _text("email", email), active)
        )

    def request_email_change(
        self,
        token: str,
        new_email: str,
        *,
        address: Optional[str] = None,
        user_agent: Optional[str] = None,
    ) -> None:
        """Asks to move the account signed in with `token` to `new_email`: mails the new
        address a link for `confirm_email_change` and the current one a notice with a link for
        `restore_email`. Needs a fresh sign-in (`ReauthenticationRequired`); answers the same
        when another account uses `new_email` (whose owner is told instead); `InvalidEmail`,
        `RateLimited`."""
        self._call(
            "accounts",
            "request-email-change",
            _text("token", token),
            _text("new_email", new_email),
            _client(address, user_agent),
        )

    def confirm_email_change(self, link_token: str) -> User:
        """Makes the change whose link (its `token` parameter) was mailed to the new address,
        which then counts as confirmed. Works once (`InvalidToken`)."""
        return User._from_wit(
            self._call("accounts", "confirm-email-change", _text("link_token", link_token))
        )

    def restore_email(self, link_token: str) -> None:
        """Undoes an email change with the link mailed to the old address: puts it back (or
        cancels the unconfirmed change), ends every session and token login of the account
        and mails the old address a reset link. Works once (`InvalidToken`)."""
        self._call("accounts", "restore-email", _text("link_token", link_token))

    def change_username(
        self,
        token: str,
        new_username: str,
        *,
        address: Optional[str] = None,
        user_agent: Optional[str] = None,
    ) -> User:
        """Gives the account signed in with `token` a new username and tells its address.
        Needs a fresh sign-in (`ReauthenticationRequired`); `InvalidUsername`, or
        `AlreadyExists` when another account holds it."""
        return User._from_wit(
            self._call(
                "accounts",
                "change-username",
                _text("token", token),
                _text("new_username", new_username),
                _client(address, user_agent),
            )
        )

    def recover_username(self, email: str) -> None:
        """Mails the username of the account using `email` to that address, when it has one;
        answers the same for an unknown address or an account without a username."""
        self._call("accounts", "recover-username", _text("email", email))

    # ---- sessions ------------------------------------------------------------------------

    def login(
        self,
        identity: str,
        password: str,
        *,
        address: Optional[str] = None,
        user_agent: Optional[str] = None,
    ) -> IssuedSession:
        """Signs in with email or username and password. `InvalidCredentials` alike for an
        unknown account, a wrong password or a disabled account; `RateLimited`."""
        return IssuedSession._from_wit(
            self._call(
                "sessions",
                "login",
                _text("identity", identity),
                _text("password", password),
                _client(address, user_agent),
            )
        )

    def validate(self, token: str) -> SessionInfo:
        """The live session of `token`, or `Unauthenticated`."""
        return SessionInfo._from_wit(self._call("sessions", "validate", _text("token", token)))

    def logout(self, token: str) -> None:
        """Ends the session of `token` (an unknown one too)."""
        self._call("sessions", "logout", _text("token", token))

    def list_sessions(self, token: str) -> List[SessionSummary]:
        """The live sessions of the user signed in with `token`, newest first."""
        return [
            SessionSummary._from_wit(s)
            for s in self._call("sessions", "list-sessions", _text("token", token))
        ]

    def revoke(self, token: str, session_id: str) -> None:
        """Ends one session of the user signed in with `token` (`NotFound` if not theirs)."""
        self._call("sessions", "revoke", _text("token", token), _text("session_id", session_id))

    def revoke_all(self, token: str) -> int:
        """Ends every session of the user signed in with `token`; returns how many."""
        return int(self._call("sessions", "revoke-all", _text("token", token)))

    # ---- roles ---------------------------------------------------------------------------

    def put_role(self, name: str, description: str = "", permissions: Iterable[str] = ()) -> Role:
        """Creates or replaces a role."""
        role = _record(
            name=_text("name", name),
            description=_text("description", description),
            permissions=_texts("permissions", permissions),
        )
        return Role._from_wit(self._call("roles", "put-role", role))

    def delete_role(self, name: str) -> bool:
        """Deletes a role; whether it existed."""
        return bool(self._call("roles", "delete-role", _text("name", name)))

    def list_roles(self) -> List[Role]:
        """Every role, by name."""
        return [Role._from_wit(r) for r in self._call("roles", "list-roles")]

    def grant_role(self, email: str, role: str) -> User:
        """Grants an existing role (`NotFound` for an unknown role or user)."""
        return User._from_wit(
            self._call("roles", "grant-role", _text("email", email), _text("role", role))
        )

    def revoke_role(self, email: str, role: str) -> User:
        """Takes a role away from a user."""
        return User._from_wit(
            self._call("roles", "revoke-role", _text("email", email), _text("role", role))
        )

    # ---- two-factor ----------------------------------------------------------------------

    def two_factor_required(self, user_id: str) -> bool:
        """Whether the user must pass a second factor after their password."""
        return bool(self._call("two-factor", "required", _text("user_id", user_id)))

    def two_factor_status(self, token: str) -> TwoFactorStatus:
        """The two-factor status of the user signed in with `token` (`Unauthenticated`)."""
        return TwoFactorStatus._from_wit(
            self._call("two-factor", "status", _text("token", token))
        )

    def start_totp(self, token: str) -> TotpEnrolment:
        """Starts a TOTP enrolment with a new secret, replacing an unconfirmed one.
        `AlreadyExists` when TOTP is already on."""
        return TotpEnrolment._from_wit(
            self._call("two-factor", "start-totp", _text("token", token))
        )

    def confirm_totp(self, token: str, code: str) -> None:
        """Turns TOTP on with a first code from the app. `InvalidCode` for a wrong code,
        `InvalidRequest` for one that is not a code at all, `NotFound` without an enrolment."""
        self._call("two-factor", "confirm-totp", _text("token", token), _text("code", code))

    def disable_two_factor(
        self, token: str, *, password: Optional[str] = None, code: Optional[str] = None
    ) -> None:
        """Turns two-factor off after proving it is the user again: exactly one of the account
        `password` (`InvalidCredentials` when wrong) or a current TOTP or unused recovery
        `code` (`InvalidCode`). Deletes the TOTP credential and the recovery codes;
        `NotFound` when two-factor is not on."""
        if (password is None) == (code is None):
            raise TypeError("give exactly one of password or code")
        proof = (
            wc.Variant("password", _text("password", password))
            if password is not None
            else wc.Variant("code", _text("code", code))
        )
        self._call("two-factor", "disable", _text("token", token), proof)

    def generate_recovery_codes(self, token: str) -> List[str]:
        """A new set of single-use recovery codes, replacing the old set; shown this once.
        `InvalidRequest` while TOTP is off."""
        return list(self._call("two-factor", "generate-recovery-codes", _text("token", token)))

    def begin_login(
        self,
        identity: str,
        password: str,
        *,
        address: Optional[str] = None,
        user_agent: Optional[str] = None,
    ) -> Union[IssuedSession, PendingLogin]:
        """Signs in with a password: an `IssuedSession` when the user has no second factor, a
        `PendingLogin` to finish with `complete_totp`, `complete_recovery` or (after
        `send_email_code`) `complete_email` otherwise.
        Refuses like `login` (`InvalidCredentials`, `RateLimited`)."""
        outcome = self._call(
            "two-factor",
            "begin-login",
            _text("identity", identity),
            _text("password", password),
            _client(address, user_agent),
        )
        if outcome.tag == "signed-in":
            return IssuedSession._from_wit(outcome.payload)
        return PendingLogin._from_wit(outcome.payload)

    def complete_totp(
        self,
        pending_token: str,
        code: str,
        *,
        address: Optional[str] = None,
        user_agent: Optional[str] = None,
    ) -> IssuedSession:
        """Finishes a pending sign-in with a TOTP code, which is then used up. `InvalidCode`
        for a wrong or replayed code (one attempt gone); `Unauthenticated` once the pending
        sign-in is used, expired or out of attempts."""
        return IssuedSession._from_wit(
            self._call(
                "two-factor",
                "complete-totp",
                _text("pending_token", pending_token),
                _text("code", code),
                _client(address, user_agent),
            )
        )

    def complete_recovery(
        self,
        pending_token: str,
        code: str,
        *,
        address: Optional[str] = None,
        user_agent: Optional[str] = None,
    ) -> IssuedSession:
        """Like `complete_totp` with a recovery code, which works once (`InvalidCode` after)."""
        return IssuedSession._from_wit(
            self._call(
                "two-factor",
                "complete-recovery",
                _text("pending_token", pending_token),
                _text("code", code),
                _client(address, user_agent),
            )
        )

    def start_email_two_factor(self, token: str) -> None:
        """Starts turning email on as the second factor of the user signed in with `token`:
        mails an 8-digit code for `confirm_email_two_factor`. Needs a fresh sign-in
        (`ReauthenticationRequired`); `AlreadyExists` when it is on; `RateLimited`."""
        self._call("two-factor", "start-email", _text("token", token))

    def confirm_email_two_factor(self, token: str, code: str) -> None:
        """Turns email on as a second factor with the code `start_email_two_factor` mailed.
        `InvalidCode` for a wrong code (one of five attempts gone), `NotFound` once the set-up
        is over."""
        self._call("two-factor", "confirm-email", _text("token", token), _text("code", code))

    def send_email_code(self, pending_token: str) -> None:
        """Mails a code that finishes the pending sign-in (replacing one mailed before for
        it). `InvalidRequest` when email is not one of its methods; `RateLimited`."""
        self._call("two-factor", "send-email-code", _text("pending_token", pending_token))

    def complete_email(
        self,
        pending_token: str,
        code: str,
        *,
        address: Optional[str] = None,
        user_agent: Optional[str] = None,
    ) -> IssuedSession:
        """Like `complete_totp` with the code `send_email_code` mailed: it works for this
        pending sign-in only, once, for 10 minutes."""
        return IssuedSession._from_wit(
            self._call(
                "two-factor",
                "complete-email",
                _text("pending_token", pending_token),
                _text("code", code),
                _client(address, user_agent),
            )
        )

    # ---- tokens --------------------------------------------------------------------------

    def issue_tokens(
        self,
        identity: str,
        password: str,
        *,
        address: Optional[str] = None,
        user_agent: Optional[str] = None,
    ) -> TokenPair:
        """Signs in with a password and starts a token login. Refuses like `login`;
        `SecondFactorRequired` for a user with two-factor on."""
        return TokenPair._from_wit(
            self._call(
                "tokens",
                "issue",
                _text("identity", identity),
                _text("password", password),
                _client(address, user_agent),
            )
        )

    def issue_tokens_for_session(
        self,
        session_token: str,
        *,
        address: Optional[str] = None,
        user_agent: Optional[str] = None,
    ) -> TokenPair:
        """Starts a token login for the holder of a live session (`Unauthenticated`)."""
        return TokenPair._from_wit(
            self._call(
                "tokens",
                "issue-for-session",
                _text("session_token", session_token),
                _client(address, user_agent),
            )
        )

    def refresh_tokens(self, refresh_token: str) -> TokenPair:
        """Exchanges a refresh token for a new pair. `Unauthenticated` when it is unknown,
        expired, revoked or already used; a reused one also ends the whole login."""
        return TokenPair._from_wit(
            self._call("tokens", "refresh", _text("refresh_token", refresh_token))
        )

    def revoke_token(self, token: str) -> None:
        """Ends the login of an access or refresh token."""
        self._call("tokens", "revoke", _text("token", token))

    def verify_access(self, access_token: str) -> AccessClaims:
        """Checks an access token offline (signature, key, issuer, audience, expiry), as a
        third party with the JWKS would; it does not ask whether its login has ended since.
        `Unauthenticated` otherwise."""
        return AccessClaims._from_wit(
            self._call("tokens", "verify-access", _text("access_token", access_token))
        )

    def jwks(self) -> str:
        """The public signing keys as a JWK Set document (JSON text)."""
        return str(self._call("tokens", "jwks"))

    def rotate_keys(self) -> List[KeyGeneration]:
        """Starts a new signing-key generation (trusted callers); older ones keep verifying
        until what they signed has expired."""
        return [KeyGeneration._from_wit(k) for k in self._call("tokens", "rotate-keys")]

    def list_keys(self) -> List[KeyGeneration]:
        """The signing-key generations held."""
        return [KeyGeneration._from_wit(k) for k in self._call("tokens", "list-keys")]

    # ---- API keys ------------------------------------------------------------------------

    def create_api_key(self, name: str, scopes: Iterable[str]) -> CreatedApiKey:
        """Creates a service API key (trusted callers); its only copy is in the result.
        `InvalidRequest` for a bad name or scope."""
        return CreatedApiKey._from_wit(
            self._call("api-keys", "create", _text("name", name), _texts("scopes", scopes))
        )

    def list_api_keys(self) -> List[ApiKeyInfo]:
        """Every API key, by name (never the keys themselves)."""
        return [ApiKeyInfo._from_wit(k) for k in self._call("api-keys", "list")]

    def revoke_api_key(self, key_id: str) -> None:
        """Revokes an API key by id; `NotFound` when there is none."""
        self._call("api-keys", "revoke", _text("key_id", key_id))

    def verify_api_key(self, key: str) -> ApiKeyInfo:
        """The key's facts if it is live; `Unauthenticated` otherwise."""
        return ApiKeyInfo._from_wit(self._call("api-keys", "verify", _text("key", key)))

    # ---- signer --------------------------------------------------------------------------

    def sign(self, purpose: str, payload: bytes) -> str:
        """An HMAC-signed, time-stamped token carrying `payload` for `purpose` (1 to 64 of
        `a-z 0-9 . _ -`; `InvalidRequest` otherwise). It is not encrypted: the payload is
        readable by whoever holds the token."""
        if not isinstance(payload, (bytes, bytearray)):
            raise TypeError("payload must be bytes")
        if len(payload) > MAX_SIGNED_PAYLOAD:
            # wasmtime limits what one call may copy out of the component (its "hostcall
            # fuel"); a token much larger than this could be signed but never verified.
            raise InvalidRequest(f"payload is larger than {MAX_SIGNED_PAYLOAD} bytes")
        return str(self._call("signer", "sign", _text("purpose", purpose), bytes(payload)))

    def verify_signed(self, purpose: str, token: str, max_age_secs: int) -> Verified:
        """The payload of a token signed for `purpose` at most `max_age_secs` ago;
        `InvalidToken` for a forged, expired or other-purpose token."""
        return Verified._from_wit(
            self._call(
                "signer",
                "verify",
                _text("purpose", purpose),
                _text("token", token),
                _u64("max_age_secs", max_age_secs),
            )
        )

    # ---- webauthn ------------------------------------------------------------------------
    # The browser side (navigator.credentials) is the application's; these calls check what it
    # sends back. `host` is the request's Host header, used for the relying party on localhost.

    def webauthn_register_begin(
        self, session_token: str, name: str, usage: str = "first", host: Optional[str] = None
    ) -> Ceremony:
        """Starts registering a key for the signed-in user; `usage` is `first` (a passkey) or
        `secondary` (a second factor). Needs a recent sign-in (`ReauthenticationRequired`)."""
        if usage not in ("first", "secondary"):
            raise InvalidRequest("usage must be 'first' or 'secondary'")
        return Ceremony._from_wit(
            self._call(
                "webauthn",
                "register-begin",
                _text("session_token", session_token),
                _text("name", name),
                usage,
                _opt_text("host", host),
            )
        )

    def webauthn_register_finish(
        self, session_token: str, state: str, credential_json: str
    ) -> CredentialInfo:
        """Checks the browser's answer (`WebauthnRejected`, `ChallengeInvalid`) and stores the
        key."""
        return CredentialInfo._from_wit(
            self._call(
                "webauthn",
                "register-finish",
                _text("session_token", session_token),
                _text("state", state),
                _text("credential_json", credential_json),
            )
        )

    def webauthn_authenticate_begin(
        self, identity: Optional[str] = None, host: Optional[str] = None
    ) -> Ceremony:
        """Starts a passkey sign-in, for `identity` or (None) for any discoverable passkey."""
        return Ceremony._from_wit(
            self._call(
                "webauthn", "authenticate-begin", _opt_text("identity", identity), _opt_text("host", host)
            )
        )

    def webauthn_second_factor_begin(self, pending_token: str, host: Optional[str] = None) -> Ceremony:
        """Starts the second step of a pending sign-in with a security key."""
        return Ceremony._from_wit(
            self._call(
                "webauthn",
                "second-factor-begin",
                _text("pending_token", pending_token),
                _opt_text("host", host),
            )
        )

    def webauthn_authenticate_finish(
        self,
        state: str,
        credential_json: str,
        pending_token: Optional[str] = None,
        *,
        address: Optional[str] = None,
        user_agent: Optional[str] = None,
    ) -> IssuedSession:
        """Checks the browser's assertion and signs in (with `pending_token`, as the second
        factor of that sign-in). `UnknownCredential`, `SignCountRegression`,
        `WebauthnRejected` or `ChallengeInvalid` otherwise."""
        return IssuedSession._from_wit(
            self._call(
                "webauthn",
                "authenticate-finish",
                _text("state", state),
                _text("credential_json", credential_json),
                _opt_text("pending_token", pending_token),
                _client(address, user_agent),
            )
        )

    def webauthn_verify_begin(self, session_token: str, host: Optional[str] = None) -> Ceremony:
        """Starts re-authentication of the signed-in user before a sensitive action."""
        return Ceremony._from_wit(
            self._call(
                "webauthn", "verify-begin", _text("session_token", session_token), _opt_text("host", host)
            )
        )

    def webauthn_verify_finish(self, session_token: str, state: str, credential_json: str) -> int:
        """Checks the re-authentication; returns until when (ms) the session counts as fresh."""
        return int(
            self._call(
                "webauthn",
                "verify-finish",
                _text("session_token", session_token),
                _text("state", state),
                _text("credential_json", credential_json),
            )
        )

    def webauthn_credentials(self, session_token: str) -> List[CredentialInfo]:
        """The signed-in user's keys, with name, created and last used."""
        return [
            CredentialInfo._from_wit(c)
            for c in self._call("webauthn", "list-credentials", _text("session_token", session_token))
        ]

    def webauthn_delete(self, session_token: str, id_or_name: str) -> CredentialInfo:
        """Deletes one of the signed-in user's keys (needs a fresh session:
        `ReauthenticationRequired`; `NotFound` for a key the user does not have)."""
        return CredentialInfo._from_wit(
            self._call(
                "webauthn",
                "delete",
                _text("session_token", session_token),
                _text("id_or_name", id_or_name),
            )
        )


def _u64(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int")
    if not 0 <= value < 2**64:
        raise InvalidRequest(f"{name} must be between 0 and 2^64-1")
    return value


def _u32(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("limit must be an int")
    if not 0 <= value <= _U32_MAX:
        raise InvalidRequest(f"limit must be between 0 and {_U32_MAX}")
    return value


__all__: List[str] = ["Sesame", "COMPONENT_ENV", "PACKAGED_COMPONENT", "WIT_VERSION"]
