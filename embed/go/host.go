package sesame

/*
#include <stdint.h>
#include <stdlib.h>
#include <wasmtime.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime/cgo"
	"strings"
	"unsafe"
)

// hostFunc is an import the component calls: the Go function serving it, and its type, read
// from wasmtime at the first call.
type hostFunc struct {
	name string
	call func(args []any) (any, error)
	ty   *FuncType
}

//export sesameHostCall
func sesameHostCall(env C.uintptr_t, ty *C.wasmtime_component_func_type_t,
	args *C.wasmtime_component_val_t, nargs C.size_t,
	results *C.wasmtime_component_val_t, nresults C.size_t) (failure *C.wasmtime_error_t) {
	f := cgo.Handle(env).Value().(*hostFunc)
	// A Go panic must not unwind through wasmtime's frames: it becomes a trap of the call.
	defer func() {
		if r := recover(); r != nil {
			failure = newWasmtimeError(fmt.Sprintf("host function %s panicked: %v", f.name, r))
		}
	}()
	if f.ty == nil {
		f.ty = funcTypeFromC(ty)
	}
	in := unsafe.Slice(args, int(nargs))
	if len(in) != len(f.ty.Params) {
		return newWasmtimeError(fmt.Sprintf("%s: %d arguments for %d parameters", f.name, len(in), len(f.ty.Params)))
	}
	goArgs := make([]any, len(in))
	for i, p := range f.ty.Params {
		v, err := lift(&in[i], p.Type)
		if err != nil {
			return newWasmtimeError(fmt.Sprintf("%s: parameter %s: %v", f.name, p.Name, err))
		}
		goArgs[i] = v
	}
	out, err := f.call(goArgs)
	if err != nil {
		return newWasmtimeError(fmt.Sprintf("%s: %v", f.name, err))
	}
	if nresults == 1 && f.ty.Result != nil {
		// The slot holds wasmtime's placeholder (a bool), which needs no freeing.
		if err := lower(out, f.ty.Result, &unsafe.Slice(results, 1)[0]); err != nil {
			return newWasmtimeError(fmt.Sprintf("%s: result: %v", f.name, err))
		}
	}
	return nil
}

//export sesameReleaseHostFunc
func sesameReleaseHostFunc(env C.uintptr_t) { cgo.Handle(env).Delete() }

// newWasmtimeError makes an error for wasmtime to raise as a trap; wasmtime takes ownership.
func newWasmtimeError(message string) *C.wasmtime_error_t {
	cs := C.CString(message)
	defer C.free(unsafe.Pointer(cs))
	return C.wasmtime_error_new(cs)
}

// storeImports serves the `store` interface from s.
func storeImports(s Store) map[string]func([]any) (any, error) {
	return map[string]func([]any) (any, error){
		"get": func(a []any) (any, error) {
			e, err := s.Get(a[0].(string))
			if err != nil || e == nil {
				return storeResult(nil, err), nil
			}
			return storeResult(entryValue(*e), nil), nil
		},
		"put": func(a []any) (any, error) {
			version, err := s.Put(a[0].(string), a[1].([]byte), optU64(a[2]), optU64(a[3]))
			return storeResult(version, err), nil
		},
		"delete": func(a []any) (any, error) {
			removed, err := s.Delete(a[0].(string), optU64(a[1]))
			return storeResult(removed, err), nil
		},
		"scan": func(a []any) (any, error) {
			var after *string
			if a[1] != nil {
				k := a[1].(string)
				after = &k
			}
			found, err := s.Scan(a[0].(string), after, uint32(a[2].(uint64)))
			if err != nil {
				return storeResult(nil, err), nil
			}
			list := make([]any, len(found))
			for i, kv := range found {
				list[i] = []any{kv.Key, entryValue(kv.Entry)}
			}
			return storeResult(list, nil), nil
		},
	}
}

// outboxImports serves the `outbox` interface from o.
func outboxImports(o Outbox) map[string]func([]any) (any, error) {
	return map[string]func([]any) (any, error){
		"send-mail": func(a []any) (any, error) {
			var m Mail
			if err := Decode(a[0], &m); err != nil {
				return nil, err
			}
			o.SendMail(m)
			return nil, nil
		},
		"emit-event": func(a []any) (any, error) {
			var e Event
			if err := Decode(a[0], &e); err != nil {
				return nil, err
			}
			o.EmitEvent(e)
			return nil, nil
		},
	}
}

// storeResult is a store function's `result<T, store-error>`.
func storeResult(ok any, err error) Result {
	switch {
	case err == nil:
		return Result{Value: ok}
	case errors.Is(err, ErrConflict):
		return Result{IsErr: true, Value: Variant{Case: "conflict"}}
	case errors.Is(err, ErrTooLarge):
		return Result{IsErr: true, Value: Variant{Case: "too-large"}}
	}
	reason := strings.ToValidUTF8(err.Error(), "\uFFFD")
	return Result{IsErr: true, Value: Variant{Case: "unavailable", Value: reason}}
}

func entryValue(e Entry) map[string]any {
	return map[string]any{"value": e.Value, "version": e.Version}
}

func optU64(v any) *uint64 {
	if v == nil {
		return nil
	}
	n := v.(uint64)
	return &n
}
