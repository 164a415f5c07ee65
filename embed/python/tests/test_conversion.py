"""Sesame's own value conversion (`sesame._conversion`) gives exactly wasmtime-py's values:
bytes of every value and length, records, options, results and variants cross unchanged, and
wasmtime-py itself is left as it was for every other component in the process."""

from __future__ import annotations

from typing import Any

import pytest
from wasmtime.component import Record, Variant, _linker, _types

from sesame import InternalError, InvalidRequest, MemoryOutbox, MemoryStore, Sesame, _conversion

from .conftest import load_cases

ORIGINAL_FUNC_IMPL = _linker.func_impl


@pytest.fixture
def auth(component: str) -> Sesame:
    return Sesame(component, store=MemoryStore(), config=load_cases()["config"], outbox=MemoryOutbox())


def test_the_pinned_wasmtime_takes_the_one_copy_bytes_path() -> None:
    # On the wasmtime this package pins, the layout is the expected one; a release that
    # changes it makes this fail instead of silently costing a millisecond per KiB.
    assert _conversion.BYTES_IN_ONE_COPY


def test_wasmtime_py_is_left_as_it_was(auth: Sesame) -> None:
    auth.register("ada@example.com", "analytical engine")
    assert _linker.func_impl is ORIGINAL_FUNC_IMPL
    assert isinstance(_types.RecordType.__dict__["fields"], property)
    assert _types.ListType.convert_to_c.__module__ == _types.__name__


def test_types_without_a_plan_are_refused_when_planned() -> None:
    with pytest.raises(TypeError, match="no conversion plan"):
        _conversion.plan(_types.F32())


@pytest.mark.parametrize("length", [0, 1, 255, 256, 4096, 100_000])
def test_bytes_cross_both_ways_unchanged(auth: Sesame, length: int) -> None:
    payload = bytes(i % 256 for i in range(length))
    token = auth.sign("conversion.test", payload)
    verified = auth.verify_signed("conversion.test", token, 60)
    assert verified.payload == payload
    assert isinstance(verified.payload, bytes)
    assert auth.verify_signed("conversion.test", auth.sign("conversion.test", bytearray(payload)), 60).payload == payload


def test_a_list_where_bytes_belong_is_refused_as_before(auth: Sesame) -> None:
    with pytest.raises(InternalError) as refused:
        auth._call("signer", "sign", "conversion.test", [1, 2, 3])
    assert isinstance(refused.value.__cause__, TypeError)
    # The instance was discarded; the next call gets a fresh one and works.
    assert auth.sign("conversion.test", b"x")


def plain(value: Any) -> Any:
    """A value as comparable data: records as dicts, variants as (tag, payload)."""
    if isinstance(value, Record):
        return {k: plain(v) for k, v in sorted(vars(value).items())}
    if isinstance(value, Variant):
        return ("variant", value.tag, plain(value.payload))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [plain(v) for v in value])
    return (type(value).__name__, value)


def test_exports_answer_the_same_values_as_through_wasmtime_py(auth: Sesame) -> None:
    auth.register("ada@example.com", "analytical engine")
    session = auth.login("ada@example.com", "analytical engine", address="192.0.2.1")
    user = auth.validate(session.token).user
    secret = auth.start_totp(session.token).secret
    token = auth.sign("conversion.test", bytes(range(256)))
    calls = [
        ("sessions", "validate", session.token),
        ("sessions", "validate", "not-a-token"),  # an error result
        ("accounts", "get-user", user.id),  # some
        ("accounts", "get-user", "nobody"),  # none
        ("accounts", "list-users", None, 10),
        ("two-factor", "status", session.token),
        ("signer", "verify", "conversion.test", token, 60),
        ("tokens", "jwks"),
    ]
    assert secret
    for iface, name, *args in calls:
        func, plan = auth._func(iface, name)
        ours = _conversion.call_export(func, auth._wstore, plan, tuple(args))
        theirs = func(auth._wstore, *args)
        assert plain(ours) == plain(theirs), (iface, name)


def test_store_values_round_trip_through_the_component(auth: Sesame) -> None:
    # Every store value is written and read back through `list<u8>` in both directions.
    auth.register("ada@example.com", "analytical engine")
    session = auth.login("ada@example.com", "analytical engine", address="192.0.2.1")
    for _ in range(3):
        assert auth.validate(session.token).user.email == "ada@example.com"
    assert all(isinstance(value, bytes) for _, (value, _) in auth.store.scan("", None, 1000))


def test_errors_and_options_keep_their_cases(auth: Sesame) -> None:
    assert auth.get_user("nobody") is None
    with pytest.raises(InvalidRequest):
        auth.sign("Not A Purpose", b"x")
    assert auth.sign("conversion.test", b"x")


def test_a_dropped_sesame_is_collected(component: str) -> None:
    import gc
    import weakref

    auth = Sesame(component, store=MemoryStore(), config=load_cases()["config"], outbox=MemoryOutbox())
    auth.register("ada@example.com", "analytical engine")
    gone = weakref.ref(auth)
    del auth
    gc.collect()
    assert gone() is None


def test_a_component_of_another_wit_version_is_refused_by_name() -> None:
    from sesame.client import WIT_VERSION, check_contract

    check_contract("c.wasm", [f"sesame:auth/accounts@{WIT_VERSION}", "wasi:cli/run@0.2.0"])
    with pytest.raises(ValueError, match=r"exports sesame:auth@9\.0\.0; this package speaks"):
        check_contract("c.wasm", ["sesame:auth/accounts@9.0.0"])
    with pytest.raises(ValueError, match="no sesame:auth interface"):
        check_contract("c.wasm", ["wasi:http/incoming-handler@0.2.0"])


def test_an_interrupt_inside_a_store_reaches_the_caller_and_the_next_call_works(component: str) -> None:
    """Ctrl-C (or SystemExit, a cancellation) raised in a store method while the component waits
    on it: the call raises that very exception, nothing crashes, the next call works."""

    class Interrupted(MemoryStore):
        armed = True

        def get(self, key: str) -> Any:
            if self.armed:
                self.armed = False
                raise KeyboardInterrupt
            return super().get(key)

    auth = Sesame(component, store=Interrupted(), config=load_cases()["config"], outbox=MemoryOutbox())
    with pytest.raises(KeyboardInterrupt):
        auth.get_user("nobody")
    assert auth.get_user("nobody") is None


def test_out_of_range_numbers_from_a_store_are_refused_not_wrapped(component: str) -> None:
    class Negative(MemoryStore):
        def put(self, *args: Any) -> int:
            super().put(*args)
            return -1

    auth = Sesame(component, store=Negative(), config=load_cases()["config"], outbox=MemoryOutbox())
    with pytest.raises(InternalError) as refused:
        auth.register("ada@example.com", "analytical engine")
    assert isinstance(refused.value.__cause__, ValueError)
    assert "out of range for u64" in str(refused.value.__cause__)


def test_payloads_too_large_to_verify_are_refused_when_signed(auth: Sesame) -> None:
    from sesame.client import MAX_SIGNED_PAYLOAD

    assert auth.verify_signed("t.t", auth.sign("t.t", b"x" * MAX_SIGNED_PAYLOAD), 60).payload
    with pytest.raises(InvalidRequest):
        auth.sign("t.t", b"x" * (MAX_SIGNED_PAYLOAD + 1))
    with pytest.raises(ValueError, match="more than"):
        _conversion._lower_bytes(None, b"\0" * (_conversion.MAX_BYTES + 1), None)


def test_the_one_copy_bytes_path_and_the_element_path_build_the_same_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import ctypes

    from wasmtime import _ffi as ffi

    class ByteList:
        element = _types.U8()

    one_copy = _conversion._list_plan(ByteList())
    monkeypatch.setattr(_conversion, "BYTES_IN_ONE_COPY", False)
    element_wise = _conversion._list_plan(ByteList())
    assert one_copy.lower is not element_wise.lower
    for data in (b"", b"\x00", bytes(range(256)) * 3):
        for lower_with, lift_with in ((one_copy, element_wise), (element_wise, one_copy)):
            value = ffi.wasmtime_component_val_t()
            lower_with.lower(None, data, value)
            try:
                assert lift_with.lift(value) == data
            finally:
                ffi.wasmtime_component_val_delete(ctypes.byref(value))
