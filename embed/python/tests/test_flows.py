"""The main flows through the Python API against the real component and a real SQLite file:
mailed links, typed errors for bad input, the store's contract, recovery from failures."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

import sesame
from sesame import MemoryOutbox, MemoryStore, Sesame, SqliteStore

from .conftest import load_cases


def mailed_token(outbox: MemoryOutbox) -> str:
    match = re.search(r"token=(\S+)", outbox.mails[-1].text)
    assert match, outbox.mails[-1].text
    return match.group(1)


def test_confirmation_and_reset_through_mailed_links(auth: Sesame) -> None:
    outbox = auth.outbox
    assert isinstance(outbox, MemoryOutbox)
    auth.register("ada@example.com", "analytical engine")
    assert outbox.mails[-1].to == "ada@example.com"
    # The HTML part (WIT 1.0) carries the same link as the text.
    html = outbox.mails[-1].html
    assert html is not None and html.startswith("<!DOCTYPE html>")
    assert f'token={mailed_token(outbox)}"' in html
    assert "token=" not in repr(outbox.mails[-1]), "mail bodies stay out of repr"
    confirmed = auth.confirm_email(mailed_token(outbox))
    assert confirmed.confirmed_at_ms is not None
    assert [e.kind for e in outbox.events][:2] == ["registered", "confirmed"]

    session = auth.login("ada@example.com", "analytical engine")
    auth.request_reset("ada@example.com")
    reset_token = mailed_token(outbox)
    with pytest.raises(sesame.WeakPassword):
        auth.reset_password(reset_token, "short")
    auth.reset_password(reset_token, "difference engine")
    with pytest.raises(sesame.InvalidToken):
        auth.reset_password(reset_token, "yet another password")
    with pytest.raises(sesame.Unauthenticated):
        auth.validate(session.token)
    assert auth.login("ada@example.com", "difference engine").user.email == "ada@example.com"

    mails = len(outbox.mails)
    auth.request_reset("nobody@example.com")
    assert len(outbox.mails) == mails
    with pytest.raises(sesame.InvalidToken):
        auth.confirm_email("forged.token.value")


def test_bad_input_gets_typed_errors_and_changes_nothing(auth: Sesame) -> None:
    with pytest.raises(sesame.InvalidEncoding) as err:
        auth.register("ada\udc80@example.com", "analytical engine")
    assert err.value.code == "invalid-encoding"
    with pytest.raises(TypeError):
        auth.login(b"ada@example.com", "analytical engine")  # type: ignore[arg-type]
    with pytest.raises(sesame.InvalidRequest):
        auth.list_users(limit=-1)
    with pytest.raises(sesame.WeakPassword) as weak:
        auth.register("ada@example.com", "x" * 129)
    assert isinstance(weak.value, sesame.SesameError) and weak.value.message
    with pytest.raises(sesame.InvalidEmail):
        auth.register("a" * 300 + "@example.com", "analytical engine")
    assert auth.list_users() == []


def test_secret_is_generated_once_and_shared_through_the_database(
    component: str, tmp_path: Path
) -> None:
    config = {k: v for k, v in load_cases()["config"].items() if k != "SESAME_SECRET"}
    db = str(tmp_path / "shared.db")
    first = Sesame(component, database=db, config=config)
    first.create_user("ada@example.com", "analytical engine")
    token = first.login("ada@example.com", "analytical engine").token
    second = Sesame(component, database=db, config=config)
    assert second.validate(token).user.email == "ada@example.com"
    other = Sesame(component, database=str(tmp_path / "other.db"), config=config)
    with pytest.raises(sesame.Unauthenticated):
        other.validate(token)


def test_store_failure_is_store_unavailable_and_the_next_instance_works(
    component: str, tmp_path: Path
) -> None:
    config = load_cases()["config"]
    store = SqliteStore(str(tmp_path / "auth.db"))
    auth = Sesame(component, store=store, config=config)
    auth.create_user("ada@example.com", "analytical engine")
    store.close()
    with pytest.raises(sesame.StoreUnavailable):
        auth.login("ada@example.com", "analytical engine")
    with pytest.raises(sesame.StoreUnavailable):
        auth.create_user("bob@example.com", "analytical engine")

    reopened = Sesame(component, database=str(tmp_path / "auth.db"), config=config)
    assert [u.email for u in reopened.list_users()] == ["ada@example.com"]


@pytest.mark.parametrize("kind", ["sqlite", "memory"])
def test_stores_keep_the_wit_contract(kind: str, tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "kv.db")) if kind == "sqlite" else MemoryStore()
    v1 = store.put("k", b"one", 0)
    with pytest.raises(sesame.Conflict):
        store.put("k", b"two", 0)
    with pytest.raises(sesame.Conflict):
        store.put("k", b"two", v1 + 1000)
    v2 = store.put("k", b"two", v1)
    assert v2 != v1 and store.get("k") == (b"two", v2)
    with pytest.raises(sesame.Conflict):
        store.delete("k", v1)
    assert store.delete("k", v2) is True
    assert store.delete("k") is False
    v3 = store.put("k", b"three")
    assert v3 not in (0, v1, v2)

    store.put("ttl", b"brief", None, 1)
    time.sleep(0.01)
    assert store.get("ttl") is None
    assert store.delete("ttl") is False
    assert store.put("ttl", b"again", 0) > 0

    with pytest.raises(sesame.TooLarge):
        store.put("x" * 513, b"")
    with pytest.raises(sesame.TooLarge):
        store.put("big", b"\0" * (1024 * 1024 + 1))

    for i in range(5):
        store.put(f"p/{i}", bytes([i]))
    store.put("p0", b"outside")
    store.put("q/0", b"outside")
    page = store.scan("p/", None, 2)
    assert [k for k, _ in page] == ["p/0", "p/1"]
    page = store.scan("p/", page[-1][0], 10)
    assert [k for k, _ in page] == ["p/2", "p/3", "p/4"]
    assert store.scan("p/", "p/4", 10) == []
    assert [k for k, _ in store.scan("", None, 1000)][:1] == ["k"]
    # Order is by UTF-8 bytes, which is code point order (not UTF-16 units).
    store.put("u/\uffff", b"")
    store.put("u/\U0001f600", b"")
    assert [k for k, _ in store.scan("u/", None, 10)] == ["u/\uffff", "u/\U0001f600"]
    assert store.host_secret("s", b"first") == b"first"
    assert store.host_secret("s", b"second") == b"first"
    # Expired entries inside a scanned range are skipped (and, in memory, dropped).
    store.put("t/1", b"", None, 1)
    store.put("t/2", b"kept")
    time.sleep(0.01)
    assert store.scan("t/", None, 10) == [("t/2", store.get("t/2"))]
    store.put("t/1", b"back", 0)
    assert [k for k, _ in store.scan("t/", None, 10)] == ["t/1", "t/2"]
    # `after` before the prefix starts at the prefix; the limit is capped.
    assert [k for k, _ in store.scan("t/", "a", 10)] == ["t/1", "t/2"]
    for i in range(1005):
        store.put(f"m/{i:04}", b"")
    assert len(store.scan("m/", None, 5000)) == 1000


def test_a_memory_store_serves_a_whole_sign_in(component: str) -> None:
    auth = Sesame(component, store=MemoryStore(), config=load_cases()["config"])
    auth.register("ada@example.com", "analytical engine")
    session = auth.login("ada@example.com", "analytical engine", address="192.0.2.1")
    assert auth.validate(session.token).user.email == "ada@example.com"


def test_concurrent_logins_from_several_instances_count_exactly(
    component: str, tmp_path: Path
) -> None:
    # Four instances on one SQLite file, called from four threads: every sign-in must be
    # counted, through compare-and-swap, and no call may trap (wasmtime-py's conversions are
    # not thread-safe; the wrapper serialises calls into components).
    from concurrent.futures import ThreadPoolExecutor

    config = {
        **load_cases()["config"],
        "SESAME_THROTTLE_LOGIN_PER_ACCOUNT": "1000",
        "SESAME_THROTTLE_LOGIN_PER_IP": "1000",
    }
    db = str(tmp_path / "auth.db")
    hosts = [Sesame(component, database=db, config=config) for _ in range(4)]
    hosts[0].create_user("ada@example.com", "analytical engine")

    def sign_in(host: Sesame) -> int:
        for _ in range(5):
            host.login("ada@example.com", "analytical engine", address="192.0.2.7")
        return 5

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert sum(pool.map(sign_in, hosts)) == 20
    token = hosts[1].login("ada@example.com", "analytical engine").token
    assert hosts[2].validate(token).user.tracking.login_count == 21
    assert len(hosts[3].list_sessions(token)) == 21


def test_the_embed_component_asks_only_for_store_outbox_and_basic_wasi(component: str) -> None:
    import wasmtime
    from wasmtime import component as wc

    engine = wasmtime.Engine()
    ty = wc.Component.from_file(engine, component).type
    imports = {name.split("@")[0] for name in ty.imports(engine)}
    assert {"sesame:auth/store", "sesame:auth/outbox"} <= imports
    # Clocks, randomness and the environment, plus the stdio and exit Rust's std links; never
    # network, files or HTTP.
    allowed = ("sesame:auth/", "wasi:clocks/", "wasi:random/", "wasi:cli/", "wasi:io/")
    assert all(name.startswith(allowed) for name in imports), imports
    exports = {name.split("@")[0] for name in ty.exports(engine)}
    assert exports == {
        f"sesame:auth/{name}"
        for name in (
            "accounts", "sessions", "roles", "two-factor", "unified-sign-in", "webauthn", "tokens",
            "api-keys", "signer", "admin",
        )
    }


def test_every_exported_function_has_a_method(component: str) -> None:
    # The wrapper calls exports by name; a function the component exports that no method calls
    # (a WIT addition not wrapped yet) fails here rather than going unnoticed.
    import inspect
    import re

    import wasmtime
    from wasmtime import component as wc

    from sesame import admin, client, unified_sign_in

    engine = wasmtime.Engine()
    exported = set()
    for name, item in wc.Component.from_file(engine, component).type.exports(engine).items():
        iface = name.split("/")[1].split("@")[0]
        for func, inner in item.ty.exports(engine).items():
            if isinstance(inner.ty, wc.FuncType):
                exported.add((iface, func))
    source = "".join(inspect.getsource(m) for m in (client, admin, unified_sign_in))
    called = set(re.findall(r'_call\(\s*"([\w-]+)",\s*"([\w-]+)"', source))
    assert exported == called, (
        f"not wrapped: {sorted(exported - called)}; not exported: {sorted(called - exported)}"
    )


def test_a_failing_outbox_fails_the_call_and_the_next_call_works(
    component: str, tmp_path: Path
) -> None:
    class BrokenOutbox(MemoryOutbox):
        broken = True

        def send_mail(self, mail: sesame.Mail) -> None:
            if self.broken:
                raise OSError("mail server on fire")
            super().send_mail(mail)

    outbox = BrokenOutbox()
    auth = Sesame(
        component,
        database=str(tmp_path / "auth.db"),
        config=load_cases()["config"],
        outbox=outbox,
    )
    with pytest.raises(sesame.InternalError) as err:
        auth.register("ada@example.com", "analytical engine")
    assert isinstance(err.value.__cause__, OSError)
    outbox.broken = False
    auth.request_reset("ada@example.com")
    assert outbox.mails[-1].to == "ada@example.com"


def test_a_store_calling_sesame_back_is_refused_not_a_deadlock(component: str) -> None:
    """A store or outbox that calls Sesame from inside a call would wait for itself forever;
    the inner call is refused, the outer call fails cleanly, and the next call works."""
    outbox = MemoryOutbox()
    auth = Sesame(component, store=MemoryStore(), config=load_cases()["config"], outbox=outbox)
    refused = []

    class Reentrant(MemoryOutbox):
        def send_mail(self, mail: sesame.Mail) -> None:
            try:
                auth.get_user("nobody")
            except RuntimeError as e:
                refused.append(str(e))
                raise

    auth.outbox = Reentrant()
    with pytest.raises(sesame.InternalError):
        auth.register("ada@example.com", "analytical engine")
    assert refused and "while Sesame was calling it" in refused[0]
    auth.outbox = outbox
    assert auth.get_user("nobody") is None
