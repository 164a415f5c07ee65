#include "shim.h"

#include "_cgo_export.h"

static wasmtime_error_t *sesame_trampoline(void *env, wasmtime_context_t *context,
                                           const wasmtime_component_func_type_t *type,
                                           wasmtime_component_val_t *args, size_t nargs,
                                           wasmtime_component_val_t *results, size_t nresults) {
  (void)context;
  return sesameHostCall((uintptr_t)env, (wasmtime_component_func_type_t *)type, args, nargs,
                        results, nresults);
}

static void sesame_finalize(void *env) { sesameReleaseHostFunc((uintptr_t)env); }

wasmtime_error_t *sesame_add_host_func(wasmtime_component_linker_instance_t *instance,
                                       const char *name, size_t name_len, uintptr_t handle) {
  return wasmtime_component_linker_instance_add_func(instance, name, name_len, sesame_trampoline,
                                                     (void *)handle, sesame_finalize);
}
