// C glue between Go and the wasmtime C API: host functions defined by Go, called by wasmtime.
#ifndef SESAME_SHIM_H
#define SESAME_SHIM_H

#include <stdint.h>
#include <wasmtime.h>

// Defines `name` in `instance` as a host function served by the Go function registered under
// `handle` (a runtime/cgo.Handle), released when the linker is deleted.
wasmtime_error_t *sesame_add_host_func(wasmtime_component_linker_instance_t *instance,
                                       const char *name, size_t name_len, uintptr_t handle);

#endif
