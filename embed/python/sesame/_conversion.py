"""Sesame's calls into the component and its host functions, converted by plans made once per
function type instead of by wasmtime-py's generic per-value conversion.

PyPI `wasmtime` 50 converts every component value generically: each property of a type is
asked of the C API again on every access (a `validate` call rebuilt about 70 type objects),
untagged variants recompute which Python classes their cases accept on every lowering, record
field names are encoded and decoded for every value, and a `list<u8>` crosses one byte at a
time through ctypes. For a service that makes the same few calls all day that is most of the
time a call takes.

Here a function's type is read once and compiled into a *plan*: one `lift` (C value to
Python) and one `lower` (Python to C value) per type, with field names, case tables and
accepted classes worked out in advance, and `list<u8>` copied as one strided slice. Values are
exactly wasmtime-py's: records are `wasmtime.component.Record`, variants `Variant` when the
type needs tags and bare payloads when it does not, and the same Python types are accepted and
refused. Two checks are stricter: an integer out of its type's range is refused (ctypes would
wrap it), and a `list<u8>` over `MAX_BYTES` is refused before wasmtime allocates 32 bytes for
each of its bytes.

Nothing of wasmtime-py is changed: `call_export` and `add_host_func` are used for Sesame's own
functions only, so other components in the same process keep wasmtime-py's behaviour.

Ownership follows wasmtime's C API: an export's arguments and result belong to the caller
(freed here, the result with one deep `wasmtime_component_val_delete` after lifting), a host
function's arguments and results to wasmtime. Lifting therefore never frees; lowering builds
each aggregate fully and only then stores it, so a value refused half-way is freed and leaves
nothing behind.
"""

from __future__ import annotations

import ctypes
from ctypes import byref
from typing import Any, Callable, Dict, List, Optional, Tuple

import wasmtime
from wasmtime import WasmtimeError
from wasmtime import _ffi as ffi
from wasmtime.component import Record, Variant, _enter, _linker, _types

_VAL = ffi.wasmtime_component_val_t
_VAL_SIZE = ctypes.sizeof(_VAL)
_KIND_OFFSET = _VAL.kind.offset
_BYTE_OFFSET = _VAL.of.offset + ffi.wasmtime_component_valunion_t.u8.offset


# wasmtime-py's `str_to_capi` builds a new ctypes array type for every string; this entry point
# of the same C function takes the bytes directly. A separate function object (`dll[...]`
# makes a new one), so wasmtime-py's own declaration is untouched.
_byte_vec_new = ffi.dll["wasm_byte_vec_new"]
_byte_vec_new.restype = None
_byte_vec_new.argtypes = [ctypes.POINTER(ffi.wasm_byte_vec_t), ctypes.c_size_t, ctypes.c_char_p]


def _byte_vec(data: bytes) -> Any:
    """A `wasm_byte_vec_t` allocated by wasmtime holding a copy of `data`."""
    vec = ffi.wasm_byte_vec_t()
    _byte_vec_new(byref(vec), len(data), data)
    return vec


def _text_vec(text: str) -> Any:
    return _byte_vec(text.encode("utf-8"))


def _kind(name: str) -> int:
    return int(getattr(ffi, f"WASMTIME_COMPONENT_{name}").value)


_BOOL, _STRING, _LIST, _RECORD, _TUPLE = (_kind(k) for k in ("BOOL", "STRING", "LIST", "RECORD", "TUPLE"))
_VARIANT, _ENUM, _OPTION, _RESULT = (_kind(k) for k in ("VARIANT", "ENUM", "OPTION", "RESULT"))
_KIND_U8 = bytes([_kind("U8")])

Lift = Callable[[Any], Any]
Lower = Callable[[Any, Any, Any], None]


class Plan:
    """How values of one component type cross: `lift(c_val)` and `lower(store, value, c_val)`,
    and the Python classes `lower` accepts (for choosing the case of an untagged variant)."""

    __slots__ = ("lift", "lower", "classes")

    def __init__(self, lift: Lift, lower: Lower, classes: Tuple[type, ...]) -> None:
        self.lift = lift
        self.lower = lower
        self.classes = classes


def _classes(ty: Any) -> Tuple[type, ...]:
    found: set = set()
    ty.add_classes(found)
    return tuple(found)


def _text(name: Any) -> str:
    return ctypes.string_at(name.data, name.size).decode("utf-8")


def plan(ty: Any) -> Plan:
    """The plan for a wasmtime-py type object (read once; the type is not kept)."""
    if isinstance(ty, _types.Bool):
        return Plan(_lift_bool, _lower_bool, (bool,))
    for cls, field in _INTEGERS:
        if isinstance(ty, cls):
            return _integer_plan(field, _kind(type(ty).__name__.upper()))
    if isinstance(ty, _types.String):
        return Plan(_lift_string, _lower_string, (str,))
    if isinstance(ty, _types.ListType):
        return _list_plan(ty)
    if isinstance(ty, _types.RecordType):
        return _record_plan(ty)
    if isinstance(ty, _types.TupleType):
        return _tuple_plan(ty)
    if isinstance(ty, _types.EnumType):
        return Plan(_lift_enum, _lower_enum, (str,))
    if isinstance(ty, (_types.VariantType, _types.OptionType, _types.ResultType)):
        return _variant_plan(ty)
    # Floats, chars, flags, resources, streams: Sesame's WIT has none, and a plan that cannot be
    # tested here is better refused than guessed.
    raise TypeError(f"no conversion plan for the component type {type(ty).__name__}")


# ---- scalars ---------------------------------------------------------------------------------


def _lift_bool(v: Any) -> bool:
    return bool(v.of.boolean)


def _lower_bool(_store: Any, value: Any, v: Any) -> None:
    if not isinstance(value, bool):
        raise TypeError("expected bool for Bool type")
    v.of.boolean = value
    v.kind = _BOOL


_INTEGERS = [
    (_types.S8, "s8"),
    (_types.U8, "u8"),
    (_types.S16, "s16"),
    (_types.U16, "u16"),
    (_types.S32, "s32"),
    (_types.U32, "u32"),
    (_types.S64, "s64"),
    (_types.U64, "u64"),
]


def _integer_plan(field: str, kind: int) -> Plan:
    bits = int(field[1:])
    low, high = (0, 2**bits - 1) if field[0] == "u" else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)

    def lift(v: Any) -> int:
        return int(getattr(v.of, field))

    def lower(_store: Any, value: Any, v: Any) -> None:
        if not isinstance(value, int):
            raise TypeError(f"expected int for {field.upper()} type")
        # ctypes would wrap an out-of-range number silently (-1 as a u64 version).
        if not low <= value <= high:
            raise ValueError(f"{value} is out of range for {field}")
        setattr(v.of, field, value)
        v.kind = kind

    return Plan(lift, lower, (int,))


def _expect(v: Any, kind: int) -> None:
    # A value of another kind would send the reads below through the wrong union member,
    # pointers included: refuse it (wasmtime-py asserts the same).
    if v.kind != kind:
        raise TypeError(f"expected a component value of kind {kind}, found {v.kind}")


def _lift_string(v: Any) -> str:
    _expect(v, _STRING)
    return _text(v.of.string)


def _lower_string(_store: Any, value: Any, v: Any) -> None:
    if not isinstance(value, str):
        raise TypeError("expected string type")
    v.of.string = _text_vec(value)
    v.kind = _STRING


def _lift_enum(v: Any) -> str:
    _expect(v, _ENUM)
    return _text(v.of.enumeration)


def _lower_enum(_store: Any, value: Any, v: Any) -> None:
    if not isinstance(value, str):
        raise TypeError("expected str type")
    v.of.enumeration = _text_vec(value)
    v.kind = _ENUM


# ---- lists, records, tuples --------------------------------------------------------------------


def _layout_is_expected() -> bool:
    return (
        _VAL.kind.size == 1
        and ffi.wasmtime_component_valunion_t.u8.size == 1
        and _BYTE_OFFSET != _KIND_OFFSET
        and _BYTE_OFFSET < _VAL_SIZE
    )


#: Whether `list<u8>` crosses as one strided copy (the C API still wants one 32-byte value per
#: byte, but their layout is a kind tag and a union holding the byte). False only if a wasmtime
#: release changed that layout; then bytes go element by element, as in wasmtime-py.
BYTES_IN_ONE_COPY = _layout_is_expected()


def _lift_bytes(v: Any) -> bytes:
    _expect(v, _LIST)
    items = v.of.list
    n = items.size
    if n == 0:
        return b""
    image = ctypes.string_at(items.data, n * _VAL_SIZE)
    if image[_KIND_OFFSET::_VAL_SIZE] != _KIND_U8 * n:
        raise TypeError("a list<u8> element is not a u8")
    return image[_BYTE_OFFSET::_VAL_SIZE]


#: Longest `list<u8>` lowered. wasmtime wants 32 bytes per byte and aborts the process when an
#: allocation fails, so a larger value is refused before anything is allocated; Sesame's own
#: values are at most 1 MiB (store values, signed payloads).
MAX_BYTES = 16 * 1024 * 1024


def _lower_bytes(_store: Any, value: Any, v: Any) -> None:
    if not isinstance(value, bytes):
        raise TypeError("expected bytes value")
    n = len(value)
    if n > MAX_BYTES:
        raise ValueError(f"a list<u8> of {n} bytes is more than the {MAX_BYTES} this host lowers")
    image = None
    if n:
        # The values as wasmtime lays them out: kind tags, then the bytes, each strided.
        image = bytearray(n * _VAL_SIZE)
        image[_KIND_OFFSET::_VAL_SIZE] = _KIND_U8 * n
        image[_BYTE_OFFSET::_VAL_SIZE] = value
    raw = ffi.wasmtime_component_vallist_t()
    ffi.wasmtime_component_vallist_new_uninit(raw, n)
    if image is not None:
        ctypes.memmove(raw.data, ctypes.addressof(ctypes.c_char.from_buffer(image)), len(image))
    v.of.list = raw
    v.kind = _LIST


def _list_plan(ty: Any) -> Plan:
    element_type = ty.element
    if isinstance(element_type, _types.U8):
        if BYTES_IN_ONE_COPY:
            return Plan(_lift_bytes, _lower_bytes, (bytes,))
        byte = plan(element_type)

        def lift_bytes(v: Any) -> bytes:
            _expect(v, _LIST)
            return bytes(_lift_items(byte, v.of.list))

        def lower_bytes(store: Any, value: Any, v: Any) -> None:
            _lower_items(byte, store, list(_checked_bytes(value)), v)

        return Plan(lift_bytes, lower_bytes, (bytes,))
    element = plan(element_type)

    def lift(v: Any) -> List[Any]:
        _expect(v, _LIST)
        return _lift_items(element, v.of.list)

    def lower(store: Any, value: Any, v: Any) -> None:
        if not isinstance(value, list):
            raise TypeError("expected list value")
        _lower_items(element, store, value, v)

    return Plan(lift, lower, (list,))


def _checked_bytes(value: Any) -> Any:
    if not isinstance(value, bytes):
        raise TypeError("expected bytes value")
    return value


def _lift_items(element: Plan, items: Any) -> List[Any]:
    data, lift = items.data, element.lift
    return [lift(data[i]) for i in range(items.size)]


def _lower_items(element: Plan, store: Any, values: Any, v: Any) -> None:
    raw = ffi.wasmtime_component_vallist_t()
    ffi.wasmtime_component_vallist_new_uninit(raw, len(values))
    try:
        data, lower = raw.data, element.lower
        for i, item in enumerate(values):
            lower(store, item, data[i])
    except BaseException:
        ffi.wasmtime_component_vallist_delete(byref(raw))
        raise
    v.of.list = raw
    v.kind = _LIST


def _record_plan(ty: Any) -> Plan:
    fields = [(name, name.encode("utf-8"), plan(field_type)) for name, field_type in ty.fields]
    count = len(fields)

    def lift(v: Any) -> Record:
        _expect(v, _RECORD)
        entries = v.of.record
        if entries.size != count:
            raise TypeError(f"a record of {entries.size} fields where {count} were declared")
        data = entries.data
        record = Record()
        for i, (name, _, field) in enumerate(fields):
            setattr(record, name, field.lift(data[i].val))
        return record

    def lower(store: Any, value: Any, v: Any) -> None:
        raw = ffi.wasmtime_component_valrecord_t()
        ffi.wasmtime_component_valrecord_new_uninit(raw, count)
        try:
            data = raw.data
            for i, (name, encoded, field) in enumerate(fields):
                entry = data[i]
                field.lower(store, getattr(value, name), entry.val)
                entry.name = _byte_vec(encoded)
        except BaseException:
            ffi.wasmtime_component_valrecord_delete(byref(raw))
            raise
        v.of.record = raw
        v.kind = _RECORD

    return Plan(lift, lower, (Record,))


def _tuple_plan(ty: Any) -> Plan:
    elements = [plan(t) for t in ty.elements]
    count = len(elements)

    def lift(v: Any) -> Tuple[Any, ...]:
        _expect(v, _TUPLE)
        items = v.of.tuple
        data = items.data
        return tuple(element.lift(data[i]) for i, element in zip(range(items.size), elements))

    def lower(store: Any, value: Any, v: Any) -> None:
        if not isinstance(value, tuple):
            raise TypeError("expected tuple type")
        if len(value) != count:
            raise TypeError("tuple length mismatch")
        raw = ffi.wasmtime_component_valtuple_t()
        ffi.wasmtime_component_valtuple_new_uninit(raw, count)
        try:
            data = raw.data
            for i, (element, item) in enumerate(zip(elements, value)):
                element.lower(store, item, data[i])
        except BaseException:
            ffi.wasmtime_component_valtuple_delete(byref(raw))
            raise
        v.of.tuple = raw
        v.kind = _TUPLE

    return Plan(lift, lower, (tuple,))


# ---- variants, options, results -------------------------------------------------------------


def _variant_plan(ty: Any) -> Plan:
    tagged = ty._tagged()
    cases: List[Tuple[str, Optional[Plan]]] = [
        (name, None if case_type is None else plan(case_type)) for name, case_type in ty._cases()
    ]
    by_name: Dict[str, Optional[Plan]] = dict(cases)

    def choose(value: Any) -> Tuple[str, Optional[Plan], Any]:
        # wasmtime-py's rule: a tagged variant names its case; an untagged one takes the first
        # case whose payload type accepts the value (a case without payload takes None).
        if tagged:
            if not isinstance(value, Variant):
                raise TypeError("expected Variant type")
            if value.tag not in by_name:
                raise ValueError("value not valid for this variant")
            return value.tag, by_name[value.tag], value.payload
        for name, case in cases:
            if case is None:
                if value is None:
                    return name, None, None
            elif isinstance(value, case.classes):
                return name, case, value
        raise ValueError("value not valid for this variant")

    def boxed(store: Any, case: Optional[Plan], payload: Any) -> Any:
        if case is None:
            return None
        raw = _VAL()
        case.lower(store, payload, raw)
        return ffi.wasmtime_component_val_new(byref(raw))

    def lifted(tag: str, pointer: Any) -> Any:
        case = by_name.get(tag, _MISSING)
        if case is _MISSING:
            raise ValueError(f"tag {tag} not found in variant cases")
        payload = None if case is None or not pointer else case.lift(pointer.contents)
        if tagged:
            return Variant(tag) if case is None else Variant(tag, payload)
        return payload

    if isinstance(ty, _types.OptionType):

        def lift(v: Any) -> Any:
            _expect(v, _OPTION)
            pointer = v.of.option
            return lifted("some" if pointer else "none", pointer)

        def lower(store: Any, value: Any, v: Any) -> None:
            _, case, payload = choose(value)
            v.of.option = boxed(store, case, payload)
            v.kind = _OPTION

    elif isinstance(ty, _types.ResultType):

        def lift(v: Any) -> Any:
            _expect(v, _RESULT)
            result = v.of.result
            return lifted("ok" if result.is_ok else "err", result.val)

        def lower(store: Any, value: Any, v: Any) -> None:
            name, case, payload = choose(value)
            v.of.result.val = boxed(store, case, payload)
            v.of.result.is_ok = name == "ok"
            v.kind = _RESULT

    else:

        def lift(v: Any) -> Any:
            _expect(v, _VARIANT)
            variant = v.of.variant
            return lifted(_text(variant.discriminant), variant.val)

        def lower(store: Any, value: Any, v: Any) -> None:
            name, case, payload = choose(value)
            payload_box = boxed(store, case, payload)
            v.of.variant.discriminant = _text_vec(name)
            v.of.variant.val = payload_box
            v.kind = _VARIANT

    return Plan(lift, lower, _classes(ty))


_MISSING = object()


# ---- calls -------------------------------------------------------------------------------------


class ExportPlan:
    """An export's parameter plans and result plan, made from its type once."""

    __slots__ = ("params", "result")

    def __init__(self, func: Any, store: wasmtime.Store) -> None:
        with func.type(store) as fty:
            self.params = [plan(t) for _, t in fty.params]
            result = fty.result
            self.result = None if result is None else plan(result)


def call_export(func: Any, store: wasmtime.Store, export: ExportPlan, args: Tuple[Any, ...]) -> Any:
    """Calls a component export as `Func.__call__` does, with `export`'s plans."""
    count = len(export.params)
    if len(args) != count:
        raise TypeError(f"wrong number of parameters provided: given {len(args)}, expected {count}")
    params = (_VAL * max(count, 1))()
    lowered = 0
    try:
        for param, value in zip(export.params, args):
            param.lower(store, value, params[lowered])
            lowered += 1
        if export.result is None:
            _enter.enter_wasm(
                lambda: ffi.wasmtime_component_func_call(
                    byref(func._func), store._context(), params, count, None, 0
                )
            )
            return None
        result = _VAL()
        _enter.enter_wasm(
            lambda: ffi.wasmtime_component_func_call(
                byref(func._func), store._context(), params, count, byref(result), 1
            )
        )
        try:
            return export.result.lift(result)
        finally:
            ffi.wasmtime_component_val_delete(byref(result))
    finally:
        for i in range(lowered):
            ffi.wasmtime_component_val_delete(byref(params[i]))


# Host functions by their slab index (never reused: wasmtime-py's slab counts up), with their
# plans once the component first calls them.
_HOST_PLANS: Dict[int, Tuple[List[Plan], Optional[Plan]]] = {}


@ffi.wasmtime_component_func_callback_t
def _host_call(idx, context, ty_raw, args, nargs, results, nresults):  # type: ignore[no-untyped-def]
    def run(store: Any) -> None:
        key = idx or 0
        func = _linker.FUNCTIONS.get(key)
        plans = _HOST_PLANS.get(key)
        if plans is None:
            with _types.FuncType._from_ptr(ty_raw, owner=store) as fty:
                params = [plan(t) for _, t in fty.params]
                result = fty.result
                plans = (params, None if result is None else plan(result))
            _HOST_PLANS[key] = plans
        params, result_plan = plans
        if len(params) != nargs or nresults != (0 if result_plan is None else 1):
            raise TypeError("a host function was called with another type than it was linked with")
        value = func(store, *[p.lift(args[i]) for i, p in enumerate(params)])
        if result_plan is not None:
            result_plan.lower(store, value, results[0])
        elif value is not None:
            raise TypeError("a host function without a result returned a value")

    try:
        return _enter.catch_exceptions(context, run)
    except BaseException as e:
        # `catch_exceptions` lets through what is not an `Exception` (KeyboardInterrupt,
        # SystemExit, a cancellation); escaping a ctypes callback, it would hand wasmtime an
        # undefined error pointer. It becomes a trap, and the call raises it again.
        _enter.LAST_EXCEPTION = e  # type: ignore[assignment]
        return ctypes.cast(WasmtimeError("python exception")._consume(), ctypes.c_void_p).value


# wasmtime holds raw pointers to these callbacks for as long as a linker lives; a reload of
# this module must not free the ones linkers made earlier still call.
_linker.__dict__.setdefault("_sesame_callbacks", [])

@ctypes.CFUNCTYPE(None, ctypes.c_void_p)
def _host_finalize(idx):  # type: ignore[no-untyped-def]
    key = idx or 0
    _HOST_PLANS.pop(key, None)
    _linker.FUNCTIONS.deallocate(key)


_linker.__dict__["_sesame_callbacks"].append((_host_call, _host_finalize))


def add_host_func(instance: Any, name: str, func: Callable[..., Any]) -> None:
    """Defines `name` in a linker instance, as `LinkerInstance.add_func` does, called through
    this module's plans."""
    instance._assert_not_locked()
    encoded = name.encode("utf-8")
    buffer = ctypes.create_string_buffer(encoded)
    idx = _linker.FUNCTIONS.allocate(func)
    error = ffi.wasmtime_component_linker_instance_add_func(
        instance.ptr(), buffer, len(encoded), _host_call, idx, _host_finalize
    )
    if error:
        _linker.FUNCTIONS.deallocate(idx)
        raise WasmtimeError._from_ptr(error)
