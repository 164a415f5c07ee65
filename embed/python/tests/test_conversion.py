"""The faster value conversion (`sesame._conversion`) changes no value: bytes of every value
and length, records, options and results cross the boundary exactly as wasmtime's own
conversion carries them."""

from __future__ import annotations

import pytest
from wasmtime.component import _types

from sesame import InternalError, InvalidRequest, MemoryOutbox, MemoryStore, Sesame, _conversion

from .conftest import load_cases


@pytest.fixture
def auth(component: str) -> Sesame:
    return Sesame(component, store=MemoryStore(), config=load_cases()["config"], outbox=MemoryOutbox())


def test_the_pinned_wasmtime_takes_the_one_copy_bytes_path() -> None:
    # On the wasmtime this package pins, the layout is the expected one; a release that
    # changes it makes this fail instead of silently costing a millisecond per KiB.
    assert _conversion.installed_bytes_path()
    assert _types.ListType.convert_from_c is _conversion._from_c


@pytest.mark.parametrize("length", [0, 1, 255, 256, 4096, 100_000])
def test_bytes_cross_both_ways_unchanged(auth: Sesame, length: int) -> None:
    payload = bytes(i % 256 for i in range(length))
    token = auth.sign("conversion.test", payload)
    verified = auth.verify_signed("conversion.test", token, 60)
    assert verified.payload == payload
    assert isinstance(verified.payload, bytes)


def test_a_list_where_bytes_belong_is_refused_as_before(auth: Sesame) -> None:
    with pytest.raises(InternalError) as refused:
        auth._call("signer", "sign", "conversion.test", [1, 2, 3])
    assert isinstance(refused.value.__cause__, TypeError)
    # The instance was discarded; the next call gets a fresh one and works.
    assert auth.sign("conversion.test", b"x")


def test_store_values_round_trip_through_the_component(auth: Sesame) -> None:
    # Every store value is written and read back through `list<u8>` in both directions.
    auth.register("ada@example.com", "analytical engine")
    session = auth.login("ada@example.com", "analytical engine", address="192.0.2.1")
    for _ in range(3):
        info = auth.validate(session.token)
        assert info.user.email == "ada@example.com"
    assert all(isinstance(value, bytes) for _, (value, _) in auth.store.scan("", None, 1000))


def test_remembered_types_keep_errors_and_options_apart(auth: Sesame) -> None:
    # Results whose types are remembered still lower and lift every case: ok, err, none.
    assert auth.get_user("nobody") is None
    with pytest.raises(InvalidRequest):
        auth.sign("Not A Purpose", b"x")
    assert auth.sign("conversion.test", b"x")


def test_installing_twice_changes_nothing() -> None:
    before = (_types.ListType.convert_to_c, _types.RecordType.fields)
    _conversion.install()
    assert (_types.ListType.convert_to_c, _types.RecordType.fields) == before
