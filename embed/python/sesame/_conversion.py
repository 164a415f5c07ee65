"""Faster value conversion for PyPI `wasmtime`'s component API, without changing a value.

Two costs dominate a call into the component from Python, and both are in wasmtime-py's
conversion, not in the component:

- **Types asked again and again.** Every property of a component type (a record's fields, an
  option's payload, a function's parameters) asks the C API and builds new Python objects on
  each access, and a call reads them many times (about 70 type objects per `validate`). A
  component type never changes, so `install` makes each of those properties remember its
  first answer on the type object, `Func.type` remember an export's type, and the callback
  through which the component calls a host function (the store, the outbox) remember that
  function's parameter and result types instead of rebuilding them on every call.
- **Bytes one at a time.** wasmtime 50 component API converts a `list<u8>` element by element: every byte becomes a
`wasmtime_component_val_t` written (or read) through ctypes by Python code, a few microseconds
each, so a 1 KiB value costs about a millisecond and every store record crosses twice per
call. The C API still wants one `wasmtime_component_val_t` per byte, but their layout is
fixed: a kind tag and a union holding the byte. This module fills (and reads) that array with
strided slice copies, which run in C, and leaves every other type to wasmtime.

The layout is read from wasmtime's own ctypes declarations, not assumed; `install` checks it
once and does nothing when it is not the tag-plus-union shape this code expects, so a future
wasmtime that changes it only loses the speed, never correctness.
"""

from __future__ import annotations

import ctypes
import weakref
from typing import Any, List, Optional, Tuple

from wasmtime import _ffi as ffi
from wasmtime.component import _enter, _func, _linker, _types

_VAL = ffi.wasmtime_component_val_t
_VAL_SIZE = ctypes.sizeof(_VAL)
_KIND_OFFSET = _VAL.kind.offset
_BYTE_OFFSET = _VAL.of.offset + ffi.wasmtime_component_valunion_t.u8.offset
_KIND_U8 = bytes([ffi.WASMTIME_COMPONENT_U8.value])
_LIST = ffi.WASMTIME_COMPONENT_LIST

_original_to_c = _types.ListType.convert_to_c
_original_from_c = _types.ListType.convert_from_c


def _layout_is_expected() -> bool:
    return (
        _VAL.kind.size == 1
        and ffi.wasmtime_component_valunion_t.u8.size == 1
        and _BYTE_OFFSET != _KIND_OFFSET
        and _BYTE_OFFSET < _VAL_SIZE
    )


def _is_bytes(ty: Any) -> bool:
    known = ty.__dict__.get("_sesame_is_bytes")
    if known is None:
        known = ty._is_bytes()
        ty.__dict__["_sesame_is_bytes"] = known
    return known


def _to_c(self: Any, store: Any, val: Any, ptr: Any) -> None:
    if not _is_bytes(self):
        return _original_to_c(self, store, val, ptr)
    if not isinstance(val, (bytes, bytearray)):
        raise TypeError("expected bytes value")
    n = len(val)
    raw = ffi.wasmtime_component_vallist_t()
    ffi.wasmtime_component_vallist_new_uninit(raw, n)
    if n:
        image = bytearray(n * _VAL_SIZE)
        image[_KIND_OFFSET::_VAL_SIZE] = _KIND_U8 * n
        image[_BYTE_OFFSET::_VAL_SIZE] = val
        ctypes.memmove(raw.data, (ctypes.c_char * len(image)).from_buffer(image), len(image))
    ptr.contents.kind = _LIST
    ptr.contents.of.list = raw


def _from_c(self: Any, c: Any) -> Any:
    if not _is_bytes(self):
        return _original_from_c(self, c)
    assert c.kind == _LIST.value
    try:
        n = c.of.list.size
        if n == 0:
            return b""
        image = ctypes.string_at(c.of.list.data, n * _VAL_SIZE)
        if image[_KIND_OFFSET::_VAL_SIZE] != _KIND_U8 * n:
            raise TypeError("a list<u8> element is not a u8")
        return image[_BYTE_OFFSET::_VAL_SIZE]
    finally:
        # u8 elements own nothing, so the list's storage is all there is to free.
        ffi.wasmtime_component_vallist_delete(ctypes.byref(c.of.list))


# The type properties that only describe a type; their answers never change for one object.
_TYPE_PROPERTIES = {
    _types.FuncType: ("params", "result"),
    _types.ListType: ("element",),
    _types.RecordType: ("fields",),
    _types.TupleType: ("elements",),
    _types.VariantType: ("cases",),
    _types.EnumType: ("names",),
    _types.OptionType: ("payload",),
    _types.ResultType: ("ok", "err"),
    _types.FlagsType: ("names",),
}


def _remembered(name: str, compute: Any) -> property:
    slot = f"_sesame_{name}"

    def get(self: Any) -> Any:
        cache = self.__dict__
        if slot not in cache:
            cache[slot] = compute(self)
        return cache[slot]

    get.__doc__ = compute.__doc__
    return property(get)


# Methods without arguments that only describe a type (a variant's cases as a list, whether its
# values need tags): remembered the same way, on every class that defines them.
_TYPE_METHODS = ("_cases", "_tagged")


def _remembered_method(name: str, compute: Any) -> Any:
    slot = f"_sesame_{name}"

    def method(self: Any) -> Any:
        cache = self.__dict__
        if slot not in cache:
            cache[slot] = compute(self)
        return cache[slot]

    method.__doc__ = compute.__doc__
    return method


def _remember_func_type(original: Any) -> Any:
    def type_of(self: Any, store: Any) -> Any:
        # A function's type is fixed when the component is compiled; keeping the object keeps
        # its (remembered) parameter and result types for every later call.
        fty = self.__dict__.get("_sesame_type")
        if fty is None:
            fty = original(self, store)
            self.__dict__["_sesame_type"] = fty
        return fty

    return type_of


# Host function -> (parameter types, result type). Weak keys: an entry goes with its function,
# so a slab index reused by wasmtime for another function can never meet a stale entry.
_HOST_TYPES: "weakref.WeakKeyDictionary[Any, Tuple[List[Any], Optional[Any]]]" = (
    weakref.WeakKeyDictionary()
)


@ffi.wasmtime_component_func_callback_t
def _host_call(idx, context, ty_raw, args, nargs, results, nresults):  # type: ignore[no-untyped-def]
    # wasmtime-py's own callback (`_linker.func_impl`) with the types remembered per function.
    def run(store: Any) -> None:
        func = _linker.FUNCTIONS.get(idx or 0)
        types = _HOST_TYPES.get(func)
        if types is None:
            with _types.FuncType._from_ptr(ty_raw, owner=store) as fty:
                types = ([ty for _, ty in fty.params], fty.result)
            _HOST_TYPES[func] = types
        params, result_ty = types
        if len(params) != nargs or nresults != (0 if result_ty is None else 1):
            raise TypeError("a host function was called with another type than it was linked with")
        result = func(store, *[ty.convert_from_c(args[i]) for i, ty in enumerate(params)])
        if result_ty is not None:
            result_ty.convert_to_c(store, result, results)
        elif result is not None:
            raise TypeError("a host function without a result returned a value")

    return _enter.catch_exceptions(context, run)


_installed = False


def install() -> None:
    """Puts both speed-ups in place, once per process. The one-copy bytes path only when
    wasmtime's value layout is the expected one (otherwise its own conversion stays)."""
    global _installed
    if _installed:
        return
    for cls, names in _TYPE_PROPERTIES.items():
        for name in names:
            prop = cls.__dict__.get(name)
            if isinstance(prop, property) and prop.fget is not None:
                setattr(cls, name, _remembered(name, prop.fget))
    for cls in (_types.VariantLikeType, *_types.VariantLikeType.__subclasses__()):
        for name in _TYPE_METHODS:
            method = cls.__dict__.get(name)
            if callable(method) and not getattr(method, "__isabstractmethod__", False):
                setattr(cls, name, _remembered_method(name, method))
    _func.Func.type = _remember_func_type(_func.Func.type)
    # Read by `LinkerInstance.add_func` when a function is linked, so linkers made from here on
    # use it; `Sesame` links after importing this module.
    _linker.func_impl = _host_call
    if _layout_is_expected():
        _types.ListType.convert_to_c = _to_c
        _types.ListType.convert_from_c = _from_c
    _installed = True


def installed_bytes_path() -> bool:
    """Whether `list<u8>` values take the one-copy path (tests assert it on the pinned
    wasmtime, so an upgrade that changes the layout is noticed, not silently slower)."""
    return _types.ListType.convert_to_c is _to_c
