package sesame

/*
#include <wasmtime.h>
*/
import "C"

import (
	"fmt"
	"strings"
	"unsafe"
)

// Kind is the shape of a WIT type.
type Kind int

// The WIT type kinds. KindUnsupported covers what this package cannot convert (resources,
// futures, streams, error contexts, maps); no function of the embed world uses them.
const (
	KindUnsupported Kind = iota
	KindBool
	KindS8
	KindS16
	KindS32
	KindS64
	KindU8
	KindU16
	KindU32
	KindU64
	KindF32
	KindF64
	KindChar
	KindString
	KindList
	KindRecord
	KindTuple
	KindVariant
	KindEnum
	KindOption
	KindResult
	KindFlags
)

var kindNames = [...]string{
	KindUnsupported: "unsupported", KindBool: "bool",
	KindS8: "s8", KindS16: "s16", KindS32: "s32", KindS64: "s64",
	KindU8: "u8", KindU16: "u16", KindU32: "u32", KindU64: "u64",
	KindF32: "f32", KindF64: "f64", KindChar: "char", KindString: "string",
	KindList: "list", KindRecord: "record", KindTuple: "tuple", KindVariant: "variant",
	KindEnum: "enum", KindOption: "option", KindResult: "result", KindFlags: "flags",
}

// String is the kind's WIT keyword.
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "unsupported"
	}
	return kindNames[k]
}

// Type describes a WIT type as the component declares it. Which fields are set depends on
// Kind.
type Type struct {
	Kind Kind
	// Elem is the element type of a list or the payload type of an option.
	Elem *Type
	// Fields are a record's fields, in declaration order.
	Fields []Field
	// Cases are a variant's cases, in declaration order.
	Cases []Case
	// Names are an enum's cases or a flags type's flags, in declaration order.
	Names []string
	// Items are a tuple's element types.
	Items []*Type
	// Ok and Err are a result's payload types; nil when that side carries nothing.
	Ok, Err *Type
}

// Field is one field of a record type.
type Field struct {
	Name string
	Type *Type
}

// Case is one case of a variant type; Type is nil for a case without payload.
type Case struct {
	Name string
	Type *Type
}

// Param is one parameter of a function.
type Param struct {
	Name string
	Type *Type
}

// FuncType is the signature of an exported or imported function.
type FuncType struct {
	Params []Param
	// Result is nil for a function that returns nothing.
	Result *Type
}

// String writes the type in WIT syntax; records and variants are spelled out structurally
// (the component model keeps no type names).
func (t *Type) String() string {
	if t == nil {
		return "_"
	}
	switch t.Kind {
	case KindList, KindOption:
		return fmt.Sprintf("%s<%s>", t.Kind, t.Elem)
	case KindResult:
		return fmt.Sprintf("result<%s, %s>", t.Ok, t.Err)
	case KindTuple:
		items := make([]string, len(t.Items))
		for i, item := range t.Items {
			items[i] = item.String()
		}
		return "tuple<" + strings.Join(items, ", ") + ">"
	case KindRecord:
		names := make([]string, len(t.Fields))
		for i, f := range t.Fields {
			names[i] = f.Name
		}
		return "record {" + strings.Join(names, ", ") + "}"
	case KindVariant:
		names := make([]string, len(t.Cases))
		for i, c := range t.Cases {
			names[i] = c.Name
		}
		return "variant {" + strings.Join(names, ", ") + "}"
	case KindEnum, KindFlags:
		return fmt.Sprintf("%s {%s}", t.Kind, strings.Join(t.Names, ", "))
	}
	return t.Kind.String()
}

// field returns the record field called name, if any.
func (t *Type) field(name string) (Field, bool) {
	for _, f := range t.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// union reinterprets the `of` union of a wasmtime value or value type as its member T.
func union[T any](of unsafe.Pointer) *T { return (*T)(of) }

// goName copies a name that wasmtime lends (pointer and length) into a Go string.
func goName(p *C.char, n C.size_t) string {
	if n == 0 {
		return ""
	}
	return string(unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n)))
}

// funcTypeFromC describes a wasmtime function type; ty stays owned by the caller.
func funcTypeFromC(ty *C.wasmtime_component_func_type_t) *FuncType {
	ft := &FuncType{}
	n := C.wasmtime_component_func_type_param_count(ty)
	for i := C.size_t(0); i < n; i++ {
		var name *C.char
		var nameLen C.size_t
		var vt C.wasmtime_component_valtype_t
		if C.wasmtime_component_func_type_param_nth(ty, i, &name, &nameLen, &vt) {
			ft.Params = append(ft.Params, Param{Name: goName(name, nameLen), Type: ownedType(&vt)})
		}
	}
	var vt C.wasmtime_component_valtype_t
	if C.wasmtime_component_func_type_result(ty, &vt) {
		ft.Result = ownedType(&vt)
	}
	return ft
}

// ownedType describes a value type that wasmtime handed over, and deletes it.
func ownedType(vt *C.wasmtime_component_valtype_t) *Type {
	defer C.wasmtime_component_valtype_delete(vt)
	return typeFromC(vt)
}

// typeFromC describes a value type; vt stays owned by the caller.
func typeFromC(vt *C.wasmtime_component_valtype_t) *Type {
	of := unsafe.Pointer(&vt.of)
	switch vt.kind {
	case C.WASMTIME_COMPONENT_VALTYPE_BOOL:
		return &Type{Kind: KindBool}
	case C.WASMTIME_COMPONENT_VALTYPE_S8:
		return &Type{Kind: KindS8}
	case C.WASMTIME_COMPONENT_VALTYPE_S16:
		return &Type{Kind: KindS16}
	case C.WASMTIME_COMPONENT_VALTYPE_S32:
		return &Type{Kind: KindS32}
	case C.WASMTIME_COMPONENT_VALTYPE_S64:
		return &Type{Kind: KindS64}
	case C.WASMTIME_COMPONENT_VALTYPE_U8:
		return &Type{Kind: KindU8}
	case C.WASMTIME_COMPONENT_VALTYPE_U16:
		return &Type{Kind: KindU16}
	case C.WASMTIME_COMPONENT_VALTYPE_U32:
		return &Type{Kind: KindU32}
	case C.WASMTIME_COMPONENT_VALTYPE_U64:
		return &Type{Kind: KindU64}
	case C.WASMTIME_COMPONENT_VALTYPE_F32:
		return &Type{Kind: KindF32}
	case C.WASMTIME_COMPONENT_VALTYPE_F64:
		return &Type{Kind: KindF64}
	case C.WASMTIME_COMPONENT_VALTYPE_CHAR:
		return &Type{Kind: KindChar}
	case C.WASMTIME_COMPONENT_VALTYPE_STRING:
		return &Type{Kind: KindString}
	case C.WASMTIME_COMPONENT_VALTYPE_LIST:
		var elem C.wasmtime_component_valtype_t
		C.wasmtime_component_list_type_element(*union[*C.wasmtime_component_list_type_t](of), &elem)
		return &Type{Kind: KindList, Elem: ownedType(&elem)}
	case C.WASMTIME_COMPONENT_VALTYPE_OPTION:
		var elem C.wasmtime_component_valtype_t
		C.wasmtime_component_option_type_ty(*union[*C.wasmtime_component_option_type_t](of), &elem)
		return &Type{Kind: KindOption, Elem: ownedType(&elem)}
	case C.WASMTIME_COMPONENT_VALTYPE_RECORD:
		rt := *union[*C.wasmtime_component_record_type_t](of)
		t := &Type{Kind: KindRecord}
		n := C.wasmtime_component_record_type_field_count(rt)
		for i := C.size_t(0); i < n; i++ {
			var name *C.char
			var nameLen C.size_t
			var ft C.wasmtime_component_valtype_t
			if C.wasmtime_component_record_type_field_nth(rt, i, &name, &nameLen, &ft) {
				t.Fields = append(t.Fields, Field{Name: goName(name, nameLen), Type: ownedType(&ft)})
			}
		}
		return t
	case C.WASMTIME_COMPONENT_VALTYPE_TUPLE:
		tt := *union[*C.wasmtime_component_tuple_type_t](of)
		t := &Type{Kind: KindTuple}
		n := C.wasmtime_component_tuple_type_types_count(tt)
		for i := C.size_t(0); i < n; i++ {
			var it C.wasmtime_component_valtype_t
			if C.wasmtime_component_tuple_type_types_nth(tt, i, &it) {
				t.Items = append(t.Items, ownedType(&it))
			}
		}
		return t
	case C.WASMTIME_COMPONENT_VALTYPE_VARIANT:
		vty := *union[*C.wasmtime_component_variant_type_t](of)
		t := &Type{Kind: KindVariant}
		n := C.wasmtime_component_variant_type_case_count(vty)
		for i := C.size_t(0); i < n; i++ {
			var name *C.char
			var nameLen C.size_t
			var hasPayload C.bool
			var pt C.wasmtime_component_valtype_t
			if !C.wasmtime_component_variant_type_case_nth(vty, i, &name, &nameLen, &hasPayload, &pt) {
				continue
			}
			c := Case{Name: goName(name, nameLen)}
			if hasPayload {
				c.Type = ownedType(&pt)
			}
			t.Cases = append(t.Cases, c)
		}
		return t
	case C.WASMTIME_COMPONENT_VALTYPE_ENUM:
		et := *union[*C.wasmtime_component_enum_type_t](of)
		t := &Type{Kind: KindEnum}
		n := C.wasmtime_component_enum_type_names_count(et)
		for i := C.size_t(0); i < n; i++ {
			var name *C.char
			var nameLen C.size_t
			if C.wasmtime_component_enum_type_names_nth(et, i, &name, &nameLen) {
				t.Names = append(t.Names, goName(name, nameLen))
			}
		}
		return t
	case C.WASMTIME_COMPONENT_VALTYPE_FLAGS:
		ft := *union[*C.wasmtime_component_flags_type_t](of)
		t := &Type{Kind: KindFlags}
		n := C.wasmtime_component_flags_type_names_count(ft)
		for i := C.size_t(0); i < n; i++ {
			var name *C.char
			var nameLen C.size_t
			if C.wasmtime_component_flags_type_names_nth(ft, i, &name, &nameLen) {
				t.Names = append(t.Names, goName(name, nameLen))
			}
		}
		return t
	case C.WASMTIME_COMPONENT_VALTYPE_RESULT:
		rt := *union[*C.wasmtime_component_result_type_t](of)
		t := &Type{Kind: KindResult}
		var ok, errType C.wasmtime_component_valtype_t
		if C.wasmtime_component_result_type_ok(rt, &ok) {
			t.Ok = ownedType(&ok)
		}
		if C.wasmtime_component_result_type_err(rt, &errType) {
			t.Err = ownedType(&errType)
		}
		return t
	}
	return &Type{Kind: KindUnsupported}
}
