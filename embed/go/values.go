package sesame

/*
#include <wasmtime.h>
*/
import "C"

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Variant is a value of a WIT variant type: the case's name and its payload (nil when the case
// has none).
type Variant struct {
	Case  string
	Value any
}

// Result is a value of a WIT result type nested in another value, or returned by a host
// function: IsErr says which side Value (nil when that side has no payload) belongs to.
type Result struct {
	Value any
	IsErr bool
}

// cval is wasmtime's representation of one component value.
type cval = C.wasmtime_component_val_t

// setName makes *out a fresh wasm_name_t holding s; the caller owns it.
func setName(out *C.wasm_name_t, s string) {
	if s == "" {
		C.wasm_byte_vec_new_empty(out)
		return
	}
	b := []byte(s)
	C.wasm_byte_vec_new(out, C.size_t(len(b)), (*C.wasm_byte_t)(unsafe.Pointer(&b[0])))
}

// readName copies a wasm_name_t into a Go string.
func readName(n *C.wasm_name_t) string {
	return goName((*C.char)(unsafe.Pointer(n.data)), n.size)
}

// boxed moves a value into a heap box wasmtime owns (an option's or variant's payload).
func boxed(v *cval) *cval { return C.wasmtime_component_val_new(v) }

// lower converts the Go value v to a wasmtime value of type t in *out, which must hold a
// value that needs no freeing (such as a zeroed one, the bool false). On success the caller
// owns *out (free it with wasmtime_component_val_delete); on error *out is left unchanged.
func lower(v any, t *Type, out *cval) error {
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			v = nil
		} else {
			v = rv.Elem().Interface()
		}
	}
	if v == nil && t.Kind != KindOption {
		return fmt.Errorf("missing value for %s", t)
	}
	of := unsafe.Pointer(&out.of)
	switch t.Kind {
	case KindBool:
		b, ok := v.(bool)
		if !ok {
			return mismatch(v, t)
		}
		*union[C.bool](of) = C.bool(b)
		out.kind = C.WASMTIME_COMPONENT_BOOL
	case KindS8, KindS16, KindS32, KindS64:
		n, ok := signed(v, intBits[t.Kind])
		if !ok {
			return mismatch(v, t)
		}
		switch t.Kind {
		case KindS8:
			*union[C.int8_t](of), out.kind = C.int8_t(n), C.WASMTIME_COMPONENT_S8
		case KindS16:
			*union[C.int16_t](of), out.kind = C.int16_t(n), C.WASMTIME_COMPONENT_S16
		case KindS32:
			*union[C.int32_t](of), out.kind = C.int32_t(n), C.WASMTIME_COMPONENT_S32
		default:
			*union[C.int64_t](of), out.kind = C.int64_t(n), C.WASMTIME_COMPONENT_S64
		}
	case KindU8, KindU16, KindU32, KindU64:
		n, ok := unsigned(v, intBits[t.Kind])
		if !ok {
			return mismatch(v, t)
		}
		switch t.Kind {
		case KindU8:
			*union[C.uint8_t](of), out.kind = C.uint8_t(n), C.WASMTIME_COMPONENT_U8
		case KindU16:
			*union[C.uint16_t](of), out.kind = C.uint16_t(n), C.WASMTIME_COMPONENT_U16
		case KindU32:
			*union[C.uint32_t](of), out.kind = C.uint32_t(n), C.WASMTIME_COMPONENT_U32
		default:
			*union[C.uint64_t](of), out.kind = C.uint64_t(n), C.WASMTIME_COMPONENT_U64
		}
	case KindF32, KindF64:
		rv := reflect.ValueOf(v)
		var f float64
		switch {
		case rv.CanFloat():
			f = rv.Float()
		case rv.CanInt():
			f = float64(rv.Int())
		case rv.CanUint():
			f = float64(rv.Uint())
		default:
			return mismatch(v, t)
		}
		if t.Kind == KindF32 {
			*union[C.float](of), out.kind = C.float(f), C.WASMTIME_COMPONENT_F32
		} else {
			*union[C.double](of), out.kind = C.double(f), C.WASMTIME_COMPONENT_F64
		}
	case KindChar:
		r, ok := v.(rune)
		if s, isString := v.(string); isString && utf8.RuneCountInString(s) == 1 {
			r, ok = []rune(s)[0], true
		}
		// wasmtime aborts the process on a char that is not a Unicode scalar value.
		if !ok || !utf8.ValidRune(r) {
			return mismatch(v, t)
		}
		*union[C.uint32_t](of), out.kind = C.uint32_t(r), C.WASMTIME_COMPONENT_CHAR
	case KindString:
		s, err := text(v, t)
		if err != nil {
			return err
		}
		setName(union[C.wasm_name_t](of), s)
		out.kind = C.WASMTIME_COMPONENT_STRING
	case KindEnum:
		s, err := text(v, t)
		if err != nil {
			return err
		}
		if !contains(t.Names, s) {
			return fmt.Errorf("%q is not a case of %s", s, t)
		}
		setName(union[C.wasm_name_t](of), s)
		out.kind = C.WASMTIME_COMPONENT_ENUM
	case KindList:
		return lowerList(v, t, out)
	case KindTuple:
		rv := reflect.ValueOf(v)
		if (rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array) || rv.Len() != len(t.Items) {
			return mismatch(v, t)
		}
		var tuple C.wasmtime_component_valtuple_t
		C.wasmtime_component_valtuple_new_uninit(&tuple, C.size_t(len(t.Items)))
		items := unsafe.Slice(tuple.data, len(t.Items))
		for i, it := range t.Items {
			if err := lower(rv.Index(i).Interface(), it, &items[i]); err != nil {
				C.wasmtime_component_valtuple_delete(&tuple)
				return fmt.Errorf("tuple item %d: %w", i, err)
			}
		}
		*union[C.wasmtime_component_valtuple_t](of), out.kind = tuple, C.WASMTIME_COMPONENT_TUPLE
	case KindRecord:
		return lowerRecord(v, t, out)
	case KindVariant:
		return lowerVariant(v, t, out)
	case KindOption:
		var some *cval
		if v != nil {
			var inner cval
			if err := lower(v, t.Elem, &inner); err != nil {
				return err
			}
			some = boxed(&inner)
		}
		*union[*cval](of), out.kind = some, C.WASMTIME_COMPONENT_OPTION
	case KindResult:
		r, ok := v.(Result)
		if !ok {
			return mismatch(v, t)
		}
		side := t.Ok
		if r.IsErr {
			side = t.Err
		}
		var payload *cval
		if side != nil {
			var inner cval
			if err := lower(r.Value, side, &inner); err != nil {
				return err
			}
			payload = boxed(&inner)
		} else if r.Value != nil {
			return fmt.Errorf("%s carries no payload on that side, got %T", t, r.Value)
		}
		res := union[C.wasmtime_component_valresult_t](of)
		res.is_ok, res.val = C.bool(!r.IsErr), payload
		out.kind = C.WASMTIME_COMPONENT_RESULT
	case KindFlags:
		names, ok := v.([]string)
		if !ok {
			return mismatch(v, t)
		}
		for _, n := range names {
			if !contains(t.Names, n) {
				return fmt.Errorf("%q is not a flag of %s", n, t)
			}
		}
		var flags C.wasmtime_component_valflags_t
		C.wasmtime_component_valflags_new_uninit(&flags, C.size_t(len(names)))
		slots := unsafe.Slice(flags.data, len(names))
		for i, n := range names {
			setName(&slots[i], n)
		}
		*union[C.wasmtime_component_valflags_t](of), out.kind = flags, C.WASMTIME_COMPONENT_FLAGS
	default:
		return fmt.Errorf("values of type %s are not supported", t)
	}
	return nil
}

func lowerList(v any, t *Type, out *cval) error {
	var list C.wasmtime_component_vallist_t
	if b, ok := v.([]byte); ok && t.Elem.Kind == KindU8 {
		C.wasmtime_component_vallist_new_uninit(&list, C.size_t(len(b)))
		items := unsafe.Slice(list.data, len(b))
		for i := range items {
			*union[C.uint8_t](unsafe.Pointer(&items[i].of)) = C.uint8_t(b[i])
			items[i].kind = C.WASMTIME_COMPONENT_U8
		}
	} else {
		rv := reflect.ValueOf(v)
		if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
			return mismatch(v, t)
		}
		n := rv.Len()
		C.wasmtime_component_vallist_new_uninit(&list, C.size_t(n))
		items := unsafe.Slice(list.data, n)
		for i := 0; i < n; i++ {
			if err := lower(rv.Index(i).Interface(), t.Elem, &items[i]); err != nil {
				C.wasmtime_component_vallist_delete(&list)
				return fmt.Errorf("list item %d: %w", i, err)
			}
		}
	}
	*union[C.wasmtime_component_vallist_t](unsafe.Pointer(&out.of)) = list
	out.kind = C.WASMTIME_COMPONENT_LIST
	return nil
}

func lowerRecord(v any, t *Type, out *cval) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Map || rv.Type().Key().Kind() != reflect.String {
		return mismatch(v, t)
	}
	// Every key must name a field (in WIT kebab-case or Go snake_case): a misspelt key is an
	// error rather than a field silently left out.
	values := make(map[string]any, rv.Len())
	for it := rv.MapRange(); it.Next(); {
		key := strings.ReplaceAll(it.Key().String(), "_", "-")
		if _, ok := t.field(key); !ok {
			return fmt.Errorf("%s has no field %q", t, it.Key().String())
		}
		values[key] = it.Value().Interface()
	}
	var record C.wasmtime_component_valrecord_t
	C.wasmtime_component_valrecord_new_uninit(&record, C.size_t(len(t.Fields)))
	entries := unsafe.Slice(record.data, len(t.Fields))
	for i, f := range t.Fields {
		if err := lower(values[f.Name], f.Type, &entries[i].val); err != nil {
			C.wasmtime_component_valrecord_delete(&record)
			return fmt.Errorf("field %s: %w", f.Name, err)
		}
		setName(&entries[i].name, f.Name)
	}
	*union[C.wasmtime_component_valrecord_t](unsafe.Pointer(&out.of)) = record
	out.kind = C.WASMTIME_COMPONENT_RECORD
	return nil
}

func lowerVariant(v any, t *Type, out *cval) error {
	var value Variant
	switch x := v.(type) {
	case Variant:
		value = x
	case string:
		value = Variant{Case: x}
	default:
		return mismatch(v, t)
	}
	var c *Case
	for i := range t.Cases {
		if t.Cases[i].Name == value.Case {
			c = &t.Cases[i]
		}
	}
	if c == nil {
		return fmt.Errorf("%q is not a case of %s", value.Case, t)
	}
	var payload *cval
	switch {
	case c.Type != nil:
		var inner cval
		if err := lower(value.Value, c.Type, &inner); err != nil {
			return fmt.Errorf("case %s: %w", c.Name, err)
		}
		payload = boxed(&inner)
	case value.Value != nil:
		return fmt.Errorf("case %s of %s carries no payload, got %T", c.Name, t, value.Value)
	}
	vv := union[C.wasmtime_component_valvariant_t](unsafe.Pointer(&out.of))
	setName(&vv.discriminant, c.Name)
	vv.val = payload
	out.kind = C.WASMTIME_COMPONENT_VARIANT
	return nil
}

// valKinds is the wasmtime value kind of each supported type kind.
var valKinds = map[Kind]C.wasmtime_component_valkind_t{
	KindBool: C.WASMTIME_COMPONENT_BOOL, KindS8: C.WASMTIME_COMPONENT_S8,
	KindS16: C.WASMTIME_COMPONENT_S16, KindS32: C.WASMTIME_COMPONENT_S32,
	KindS64: C.WASMTIME_COMPONENT_S64, KindU8: C.WASMTIME_COMPONENT_U8,
	KindU16: C.WASMTIME_COMPONENT_U16, KindU32: C.WASMTIME_COMPONENT_U32,
	KindU64: C.WASMTIME_COMPONENT_U64, KindF32: C.WASMTIME_COMPONENT_F32,
	KindF64: C.WASMTIME_COMPONENT_F64, KindChar: C.WASMTIME_COMPONENT_CHAR,
	KindString: C.WASMTIME_COMPONENT_STRING, KindList: C.WASMTIME_COMPONENT_LIST,
	KindRecord: C.WASMTIME_COMPONENT_RECORD, KindTuple: C.WASMTIME_COMPONENT_TUPLE,
	KindVariant: C.WASMTIME_COMPONENT_VARIANT, KindEnum: C.WASMTIME_COMPONENT_ENUM,
	KindOption: C.WASMTIME_COMPONENT_OPTION, KindResult: C.WASMTIME_COMPONENT_RESULT,
	KindFlags: C.WASMTIME_COMPONENT_FLAGS,
}

// lift converts a wasmtime value of type t to its Go form; in stays owned by the caller.
func lift(in *cval, t *Type) (any, error) {
	of := unsafe.Pointer(&in.of)
	if k, ok := valKinds[t.Kind]; !ok || k != in.kind {
		return nil, fmt.Errorf("wasmtime gave a value of kind %d where %s was expected", in.kind, t)
	}

	switch t.Kind {
	case KindBool:
		return bool(*union[C.bool](of)), nil
	case KindS8:
		return int64(*union[C.int8_t](of)), nil
	case KindS16:
		return int64(*union[C.int16_t](of)), nil
	case KindS32:
		return int64(*union[C.int32_t](of)), nil
	case KindS64:
		return int64(*union[C.int64_t](of)), nil
	case KindU8:
		return uint64(*union[C.uint8_t](of)), nil
	case KindU16:
		return uint64(*union[C.uint16_t](of)), nil
	case KindU32:
		return uint64(*union[C.uint32_t](of)), nil
	case KindU64:
		return uint64(*union[C.uint64_t](of)), nil
	case KindF32:
		return float64(*union[C.float](of)), nil
	case KindF64:
		return float64(*union[C.double](of)), nil
	case KindChar:
		return rune(*union[C.uint32_t](of)), nil
	case KindString, KindEnum:
		return readName(union[C.wasm_name_t](of)), nil
	case KindList:
		list := union[C.wasmtime_component_vallist_t](of)
		items := unsafe.Slice(list.data, int(list.size))
		if t.Elem.Kind == KindU8 {
			b := make([]byte, len(items))
			for i := range items {
				if items[i].kind != C.WASMTIME_COMPONENT_U8 {
					return nil, fmt.Errorf("list<u8> item %d is of kind %d", i, items[i].kind)
				}
				b[i] = byte(*union[C.uint8_t](unsafe.Pointer(&items[i].of)))
			}
			return b, nil
		}
		return liftAll(items, func(int) *Type { return t.Elem })
	case KindTuple:
		tuple := union[C.wasmtime_component_valtuple_t](of)
		if int(tuple.size) != len(t.Items) {
			return nil, fmt.Errorf("%s with %d items", t, tuple.size)
		}
		return liftAll(unsafe.Slice(tuple.data, int(tuple.size)), func(i int) *Type { return t.Items[i] })
	case KindRecord:
		record := union[C.wasmtime_component_valrecord_t](of)
		entries := unsafe.Slice(record.data, int(record.size))
		m := make(map[string]any, len(entries))
		for i := range entries {
			name := readName(&entries[i].name)
			f, ok := t.field(name)
			if !ok {
				return nil, fmt.Errorf("%s has no field %q", t, name)
			}
			value, err := lift(&entries[i].val, f.Type)
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", name, err)
			}
			m[name] = value
		}
		return m, nil
	case KindVariant:
		vv := union[C.wasmtime_component_valvariant_t](of)
		name := readName(&vv.discriminant)
		for _, c := range t.Cases {
			if c.Name != name {
				continue
			}
			if c.Type == nil || vv.val == nil {
				return Variant{Case: name}, nil
			}
			payload, err := lift(vv.val, c.Type)
			if err != nil {
				return nil, fmt.Errorf("case %s: %w", name, err)
			}
			return Variant{Case: name, Value: payload}, nil
		}
		return nil, fmt.Errorf("%q is not a case of %s", name, t)
	case KindOption:
		some := *union[*cval](of)
		if some == nil {
			return nil, nil
		}
		return lift(some, t.Elem)
	case KindResult:
		res := union[C.wasmtime_component_valresult_t](of)
		r := Result{IsErr: !bool(res.is_ok)}
		side := t.Ok
		if r.IsErr {
			side = t.Err
		}
		if side != nil && res.val != nil {
			value, err := lift(res.val, side)
			if err != nil {
				return nil, err
			}
			r.Value = value
		}
		return r, nil
	case KindFlags:
		flags := union[C.wasmtime_component_valflags_t](of)
		slots := unsafe.Slice(flags.data, int(flags.size))
		names := make([]string, len(slots))
		for i := range slots {
			names[i] = readName(&slots[i])
		}
		return names, nil
	}
	return nil, fmt.Errorf("values of type %s are not supported", t)
}

func liftAll(items []cval, typeOf func(int) *Type) ([]any, error) {
	out := make([]any, len(items))
	for i := range items {
		v, err := lift(&items[i], typeOf(i))
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		out[i] = v
	}
	return out, nil
}

// text accepts a string (or a named string type) that is valid UTF-8: wasmtime aborts the
// process on invalid UTF-8, so it must never get that far.
func text(v any, t *Type) (string, error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.String {
		return "", mismatch(v, t)
	}
	s := rv.String()
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%q is not valid UTF-8", s)
	}
	return s, nil
}

// intBits is the width of each integer kind.
var intBits = map[Kind]uint{
	KindS8: 8, KindS16: 16, KindS32: 32, KindS64: 64, KindU8: 8, KindU16: 16, KindU32: 32, KindU64: 64,
}

// signed reads any Go integer, or an integral float, that fits in a signed integer of bits.
func signed(v any, bits uint) (int64, bool) {
	rv := reflect.ValueOf(v)
	lo, hi := -int64(1)<<(bits-1), int64(uint64(1)<<(bits-1)-1)
	switch {
	case rv.CanInt():
		n := rv.Int()
		return n, n >= lo && n <= hi
	case rv.CanUint():
		n := rv.Uint()
		return int64(n), n <= uint64(hi)
	case rv.CanFloat():
		f := rv.Float()
		if f != math.Trunc(f) || f < float64(lo) || f >= -float64(lo) {
			return 0, false
		}
		return int64(f), true
	}
	return 0, false
}

// unsigned reads any Go integer, or an integral float, that fits in an unsigned integer of
// bits.
func unsigned(v any, bits uint) (uint64, bool) {
	rv := reflect.ValueOf(v)
	hi := uint64(math.MaxUint64) >> (64 - bits)
	switch {
	case rv.CanUint():
		n := rv.Uint()
		return n, n <= hi
	case rv.CanInt():
		n := rv.Int()
		return uint64(n), n >= 0 && uint64(n) <= hi
	case rv.CanFloat():
		f := rv.Float()
		if f != math.Trunc(f) || f < 0 || f >= math.Ldexp(1, int(bits)) {
			return 0, false
		}
		return uint64(f), true
	}
	return 0, false
}

func mismatch(v any, t *Type) error {
	return fmt.Errorf("cannot use %T as %s", v, t)
}

func contains(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}
