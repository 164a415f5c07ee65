// Package sesame runs Sesame's `embed` WebAssembly component (sesame:auth@1.0.0, world
// `embed`) inside a Go program through the wasmtime C API: accounts, sessions, roles, API
// tokens and keys, a signer, two-factor sign-in and WebAuthn, with storage supplied by the
// Go program (Store) and mail and events handed to it (Outbox).
//
// Every export is reachable through Call, which converts Go values to and from WIT values
// by the function's declared type; Register, Login and Validate are typed shortcuts, and
// Decode reads any result into a struct.
//
// WIT values look like this in Go, as Call arguments and results:
//
//	bool                  bool
//	s8 s16 s32 s64        int64 (arguments: any Go integer, or an integral float, in range)
//	u8 u16 u32 u64        uint64 (arguments: likewise)
//	f32 f64               float64
//	char                  rune (arguments: also a one-rune string)
//	string                string (arguments must be valid UTF-8)
//	list<u8>              []byte
//	list<T>, tuple<...>   []any (arguments: any slice or array)
//	record                map[string]any keyed by WIT field name (arguments: any map with
//	                      string keys, kebab-case or snake_case; a missing option field is
//	                      none, any other missing or unknown field is an error)
//	variant               Variant (arguments: also a plain string for a case without payload)
//	enum                  string
//	option<T>             nil for none, else the value (arguments: also a pointer, nil = none)
//	result<T, E>          Result; a function's own result is unwrapped by Call instead
//	flags                 []string
//
// Resources, futures, streams and maps are not supported; the embed world uses none.
//
// Build with cgo against the wasmtime 50 C API: CGO_CFLAGS=-I<dir>/include and
// CGO_LDFLAGS="-L<dir>/lib -Wl,-rpath,<dir>/lib" (see README.md).
package sesame

/*
#cgo LDFLAGS: -lwasmtime
#include <stdlib.h>
#include <wasi.h>
#include <wasmtime.h>
#include "shim.h"
*/
import "C"

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"runtime/cgo"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"
)

// WITPackage is the WIT package whose interfaces Call reaches by their short names.
const WITPackage = "sesame:auth@1.0.0"

// ComponentEnv names the environment variable read for the component's path when
// Options.Component is empty.
const ComponentEnv = "SESAME_EMBED_COMPONENT"

// MaxMemoryBytes bounds the linear memory of one instance: argon2 at its default cost fits
// many times over, and a runaway allocation fails inside the component instead of
// exhausting the host.
const MaxMemoryBytes = 256 << 20

// Options configure New.
type Options struct {
	// Component is the path of sesame_guest_embed.wasm; empty means $SESAME_EMBED_COMPONENT.
	Component string
	// Config holds the SESAME_* settings the component reads from its environment (such as
	// SESAME_SECRET, the base64url secret of at least 32 bytes every key derives from). Without
	// SESAME_SECRET, New generates one only when Store is nil: data in a memory store does not
	// outlive the secret anyway, whereas a durable store needs the same secret every time.
	Config map[string]string
	// Store holds the component's data; nil means a fresh MemoryStore.
	Store Store
	// Outbox receives mail and account events; nil means a fresh MemoryOutbox.
	Outbox Outbox
}

// Sesame is one instance of the component with its imports supplied. Calls are serialised:
// a Sesame is safe for concurrent use, one call at a time. Close releases it.
type Sesame struct {
	store  Store
	outbox Outbox

	mu        sync.Mutex
	component *compiled
	linker    *C.wasmtime_component_linker_t
	env       [][2]string
	types     map[string]*FuncType // by "interface#function", kept across instances

	// The live instance; wstore is nil until the first call and after a trap.
	wstore   *C.wasmtime_store_t
	context  *C.wasmtime_context_t
	instance C.wasmtime_component_instance_t
	funcs    map[string]C.wasmtime_component_func_t
	closed   bool
}

// compiled is a component compiled for an engine; both are kept for the life of the process
// and shared by every Sesame over the same file, since compiling takes a while.
type compiled struct {
	engine    *C.wasm_engine_t
	component *C.wasmtime_component_t
}

var (
	compiledMu sync.Mutex
	compiledBy = map[string]*compiled{}
)

// New loads the component and links its imports: WASI 0.2 (environment from opts.Config,
// stderr inherited, no files or network), the store and the outbox. The component is
// instantiated at the first call.
func New(opts Options) (*Sesame, error) {
	path := opts.Component
	if path == "" {
		path = os.Getenv(ComponentEnv)
	}
	if path == "" {
		return nil, fmt.Errorf("sesame: no component path given and %s is not set", ComponentEnv)
	}
	env, err := environment(opts)
	if err != nil {
		return nil, err
	}
	comp, err := compile(path)
	if err != nil {
		return nil, err
	}
	s := &Sesame{store: opts.Store, outbox: opts.Outbox, component: comp, env: env,
		types: map[string]*FuncType{}}
	if s.store == nil {
		s.store = NewMemoryStore()
	}
	if s.outbox == nil {
		s.outbox = &MemoryOutbox{}
	}
	if err := s.link(); err != nil {
		return nil, err
	}
	return s, nil
}

// Store returns the store in use: Options.Store, or the MemoryStore made by New.
func (s *Sesame) Store() Store { return s.store }

// Outbox returns the outbox in use: Options.Outbox, or the MemoryOutbox made by New.
func (s *Sesame) Outbox() Outbox { return s.outbox }

// environment is the component's environment, sorted by name.
func environment(opts Options) ([][2]string, error) {
	config := map[string]string{}
	for k, v := range opts.Config {
		if !strings.HasPrefix(k, "SESAME_") || strings.ContainsAny(k, "=\x00") ||
			strings.ContainsRune(v, 0) || !utf8.ValidString(k+v) {
			return nil, fmt.Errorf("sesame: invalid setting %q: names start with SESAME_, values are UTF-8 text", k)
		}
		config[k] = v
	}
	if config["SESAME_SECRET"] == "" {
		if opts.Store != nil {
			return nil, fmt.Errorf("sesame: Config must set SESAME_SECRET when a Store is given")
		}
		secret := make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, fmt.Errorf("sesame: generating a secret: %w", err)
		}
		config["SESAME_SECRET"] = base64.RawURLEncoding.EncodeToString(secret)
	}
	env := make([][2]string, 0, len(config))
	for k, v := range config {
		env = append(env, [2]string{k, v})
	}
	sort.Slice(env, func(i, j int) bool { return env[i][0] < env[j][0] })
	return env, nil
}

// compile returns the compiled component at path, compiling it at the first use.
func compile(path string) (*compiled, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sesame: component path: %w", err)
	}
	compiledMu.Lock()
	defer compiledMu.Unlock()
	if c := compiledBy[abs]; c != nil {
		return c, nil
	}
	wasm, err := os.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("sesame: reading the component: %w", err)
	}
	if len(wasm) == 0 {
		return nil, fmt.Errorf("sesame: %s is empty", abs)
	}
	config := C.wasm_config_new()
	C.wasmtime_config_wasm_component_model_set(config, true)
	engine := C.wasm_engine_new_with_config(config) // takes ownership of config
	var component *C.wasmtime_component_t
	if err := takeError(C.wasmtime_component_new(engine, (*C.uint8_t)(unsafe.Pointer(&wasm[0])),
		C.size_t(len(wasm)), &component)); err != nil {
		C.wasm_engine_delete(engine)
		return nil, fmt.Errorf("sesame: compiling %s: %w", abs, err)
	}
	c := &compiled{engine: engine, component: component}
	compiledBy[abs] = c
	return c, nil
}

// link builds the linker: WASI, then every import of the embed world explicitly. (Defining
// unknown imports as traps is no shortcut: it replaces the component's WASI imports too.)
func (s *Sesame) link() error {
	s.linker = C.wasmtime_component_linker_new(s.component.engine)
	if err := takeError(C.wasmtime_component_linker_add_wasip2(s.linker)); err != nil {
		s.release()
		return fmt.Errorf("sesame: linking WASI: %w", err)
	}
	root := C.wasmtime_component_linker_root(s.linker)
	defer C.wasmtime_component_linker_instance_delete(root)
	imports := []struct {
		iface string
		funcs map[string]func([]any) (any, error)
	}{
		{"store", storeImports(s.store)},
		{"outbox", outboxImports(s.outbox)},
		{"types", nil}, // types only, but the instance must exist for the import to resolve
	}
	for _, imp := range imports {
		if err := addInstance(root, interfaceName(imp.iface), imp.funcs); err != nil {
			s.release()
			return fmt.Errorf("sesame: linking %s: %w", imp.iface, err)
		}
	}
	return nil
}

// addInstance defines the interface name in root with funcs as its functions.
func addInstance(root *C.wasmtime_component_linker_instance_t, name string,
	funcs map[string]func([]any) (any, error)) error {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var inst *C.wasmtime_component_linker_instance_t
	if err := takeError(C.wasmtime_component_linker_instance_add_instance(root, cname,
		C.size_t(len(name)), &inst)); err != nil {
		return err
	}
	defer C.wasmtime_component_linker_instance_delete(inst)
	for fn, call := range funcs {
		// The linker owns the handle from here and releases it when it is deleted.
		handle := cgo.NewHandle(&hostFunc{name: name + "#" + fn, call: call})
		cfn := C.CString(fn)
		err := takeError(C.sesame_add_host_func(inst, cfn, C.size_t(len(fn)), C.uintptr_t(handle)))
		C.free(unsafe.Pointer(cfn))
		if err != nil {
			return err
		}
	}
	return nil
}

// interfaceName is the full name of an interface of WITPackage given by its short name
// ("accounts"); a full name is returned as it is.
func interfaceName(iface string) string {
	if strings.Contains(iface, ":") {
		return iface
	}
	pkg, version, _ := strings.Cut(WITPackage, "@")
	return pkg + "/" + iface + "@" + version
}

// Close releases the instance and the linker. Calls after Close fail with ErrClosed.
func (s *Sesame) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		s.release()
	}
	return nil
}

func (s *Sesame) release() {
	s.discardInstance()
	if s.linker != nil {
		C.wasmtime_component_linker_delete(s.linker)
		s.linker = nil
	}
}

// discardInstance drops the live instance, if any; the next call instantiates afresh.
func (s *Sesame) discardInstance() {
	if s.wstore != nil {
		C.wasmtime_store_delete(s.wstore)
		s.wstore, s.context, s.funcs = nil, nil, nil
	}
}

// instantiate makes a fresh store with WASI and memory limits, and instantiates the component.
func (s *Sesame) instantiate() error {
	wstore := C.wasmtime_store_new(s.component.engine, nil, nil)
	C.wasmtime_store_limiter(wstore, MaxMemoryBytes, -1, -1, -1, -1)
	context := C.wasmtime_store_context(wstore)
	wasi, err := s.wasiConfig()
	if err == nil {
		err = takeError(C.wasmtime_context_set_wasi(context, wasi)) // takes ownership of wasi
	}
	var instance C.wasmtime_component_instance_t
	if err == nil {
		err = takeError(C.wasmtime_component_linker_instantiate(s.linker, context, s.component.component, &instance))
	}
	if err != nil {
		C.wasmtime_store_delete(wstore)
		return fmt.Errorf("sesame: instantiating the component: %w", err)
	}
	s.wstore, s.context, s.instance = wstore, context, instance
	s.funcs = map[string]C.wasmtime_component_func_t{}
	return nil
}

// wasiConfig is the component's WASI configuration: its environment and the host's stderr.
func (s *Sesame) wasiConfig() (*C.wasi_config_t, error) {
	n := len(s.env)
	names := make([]*C.char, n)
	values := make([]*C.char, n)
	for i, kv := range s.env {
		names[i], values[i] = C.CString(kv[0]), C.CString(kv[1])
	}
	defer func() {
		for i := range names {
			C.free(unsafe.Pointer(names[i]))
			C.free(unsafe.Pointer(values[i]))
		}
	}()
	// The arrays of pointers must live in C memory: Go memory passed to C may not hold Go
	// pointers, and these point to C strings held in a Go slice.
	cnames := cArray(names)
	defer C.free(unsafe.Pointer(cnames))
	cvalues := cArray(values)
	defer C.free(unsafe.Pointer(cvalues))
	wasi := C.wasi_config_new()
	if !C.wasi_config_set_env(wasi, C.size_t(n), cnames, cvalues) {
		C.wasi_config_delete(wasi)
		return nil, fmt.Errorf("sesame: the environment is not valid UTF-8")
	}
	C.wasi_config_inherit_stderr(wasi)
	return wasi, nil
}

// cArray copies pointers into a C array, which the caller frees.
func cArray(ptrs []*C.char) **C.char {
	size := C.size_t(len(ptrs)+1) * C.size_t(unsafe.Sizeof((*C.char)(nil)))
	arr := (**C.char)(C.malloc(size))
	copy(unsafe.Slice(arr, len(ptrs)+1), append(ptrs, nil))
	return arr
}

// export finds an exported function and its type; the lock must be held.
func (s *Sesame) export(iface, fn string) (C.wasmtime_component_func_t, *FuncType, error) {
	key := interfaceName(iface) + "#" + fn
	if f, ok := s.funcs[key]; ok {
		return f, s.types[key], nil
	}
	var f C.wasmtime_component_func_t
	ifaceName, _, _ := strings.Cut(key, "#")
	ifaceIndex := exportIndex(&s.instance, s.context, nil, ifaceName)
	if ifaceIndex == nil {
		return f, nil, fmt.Errorf("sesame: the component exports no interface %s", ifaceName)
	}
	defer C.wasmtime_component_export_index_delete(ifaceIndex)
	fnIndex := exportIndex(&s.instance, s.context, ifaceIndex, fn)
	if fnIndex == nil {
		return f, nil, fmt.Errorf("sesame: %s exports no function %q", ifaceName, fn)
	}
	defer C.wasmtime_component_export_index_delete(fnIndex)
	if !C.wasmtime_component_instance_get_func(&s.instance, s.context, fnIndex, &f) {
		return f, nil, fmt.Errorf("sesame: %s#%s is not a function", ifaceName, fn)
	}
	if s.types[key] == nil {
		ty := C.wasmtime_component_func_type(&f, s.context)
		s.types[key] = funcTypeFromC(ty)
		C.wasmtime_component_func_type_delete(ty)
	}
	s.funcs[key] = f
	return f, s.types[key], nil
}

func exportIndex(instance *C.wasmtime_component_instance_t, context *C.wasmtime_context_t,
	parent *C.wasmtime_component_export_index_t, name string) *C.wasmtime_component_export_index_t {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	return C.wasmtime_component_instance_get_export_index(instance, context, parent, cname, C.size_t(len(name)))
}

// FuncType returns the signature of the exported function fn of interface iface (a short
// name such as "sessions", or a full one), as the component declares it: parameter names
// and types, and the result type. The description is shared: do not modify it.
func (s *Sesame) FuncType(iface, fn string) (*FuncType, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(); err != nil {
		return nil, err
	}
	_, ty, err := s.export(iface, fn)
	return ty, err
}

// ready makes sure a live instance exists; the lock must be held.
func (s *Sesame) ready() error {
	if s.closed {
		return ErrClosed
	}
	if s.wstore == nil {
		return s.instantiate()
	}
	return nil
}

// Call calls the exported function fn of interface iface (a short name such as "accounts",
// or a full one such as "sesame:auth/accounts@1.0.0") with positional arguments, converted
// by the function's parameter types (see the package documentation for the mapping).
//
// When the function returns a result, Call unwraps it: the ok value (nil for none) or an
// *Error. Arguments that do not fit the parameters give an error before the component runs.
// A trap gives an error wrapping ErrTrap and discards the instance.
func (s *Sesame) Call(iface, fn string, args ...any) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(); err != nil {
		return nil, err
	}
	f, ty, err := s.export(iface, fn)
	if err != nil {
		return nil, err
	}
	where := iface + "." + fn
	if len(args) != len(ty.Params) {
		return nil, fmt.Errorf("sesame: %s takes %d arguments, got %d", where, len(ty.Params), len(args))
	}
	// Zeroed values are the bool false, which needs no freeing: the deferred delete is safe
	// for slots a failed conversion left untouched. The spare slot keeps &cargs[0] valid
	// for a function without parameters.
	cargs := make([]cval, len(args)+1)
	defer func() {
		for i := range cargs {
			C.wasmtime_component_val_delete(&cargs[i])
		}
	}()
	for i, p := range ty.Params {
		if err := lower(args[i], p.Type, &cargs[i]); err != nil {
			return nil, fmt.Errorf("sesame: %s: argument %s: %w", where, p.Name, err)
		}
	}
	var result cval
	nresults := 0
	if ty.Result != nil {
		nresults = 1
	}
	if err := takeError(C.wasmtime_component_func_call(&f, s.context, &cargs[0], C.size_t(len(args)),
		&result, C.size_t(nresults))); err != nil {
		s.discardInstance()
		return nil, fmt.Errorf("%w in %s: %v", ErrTrap, where, err)
	}
	defer C.wasmtime_component_val_delete(&result)
	if ty.Result == nil {
		return nil, nil
	}
	value, err := lift(&result, ty.Result)
	if err != nil {
		return nil, fmt.Errorf("sesame: %s: result: %w", where, err)
	}
	if r, ok := value.(Result); ok && ty.Result.Kind == KindResult {
		if r.IsErr {
			return nil, newError(r.Value)
		}
		return r.Value, nil
	}
	return value, nil
}

// takeError converts a wasmtime error, which it deletes, to a Go error (nil for none).
func takeError(e *C.wasmtime_error_t) error {
	if e == nil {
		return nil
	}
	defer C.wasmtime_error_delete(e)
	var message C.wasm_byte_vec_t
	C.wasmtime_error_message(e, &message)
	defer C.wasm_byte_vec_delete(&message)
	return fmt.Errorf("%s", readName(&message))
}
