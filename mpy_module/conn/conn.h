// What conn_glue.c (the connection) and conn_settings.c (its settings,
// argument checks and reconnect policy) share: the engine object and the
// calls into the Rust engine.
#ifndef UMQTT_CONN_H
#define UMQTT_CONN_H
#include "py/dynruntime.h"
#include "py/smallint.h"
#include "../c/exc.h"
#include "../c/convert.h"
// The Rust boundary (io_t, filter_t, OP_* / ERR_* / ARG_*, the entry
// points), generated from src/ by cbindgen (../extra_modules.sh,
// cbindgen.toml).
#include "conn_ffi.h"

extern mp_obj_full_type_t engine_type;

typedef struct {
    mp_obj_base_t base;
    mp_obj_t ticks_ms;
    mp_int_t v5;  // protocol=5
    const mp_obj_type_t *bytes_type;  // for message_bytes (convert.h)
    uint64_t rust[];  // the Rust engine (8-byte aligned)
} engine_t;

// The exception object for a failed operation (not raised).
mp_obj_t make_exc(const io_t *io);
// The core's class id and code of a Python exception, for its retry rules.
void classify(mp_obj_t exc, int64_t *kind, int64_t *code);
// Run op on self's engine; raises what the core reports.
void run(engine_t *e, int op, io_t *io);
// run(), its result r[0] as an int.
mp_obj_t r0(engine_t *e, int op, io_t *io);
// The exception object of one of the core's errors (ERR_*).
mp_obj_t core_error(engine_t *e, int which);
// Check the argument count (min..max with self), clear io, find the engine.
engine_t *begin_n(size_t n_args, size_t n_kw, mp_obj_t *args, size_t min, size_t max, io_t *io);
engine_t *begin(size_t n_args, size_t n_kw, mp_obj_t *args, size_t n, io_t *io);
umqtt_bytes_t get_bytes(mp_obj_t o, qstr what);
// None stays None (a null pointer).
umqtt_bytes_t get_opt_bytes(mp_obj_t o, qstr what);
// An int argument for the core to check (c/convert.h); a big int is out of
// every range.
int64_t get_int(mp_obj_t o, qstr what);
// A duration in seconds, as ms for the core to check.
int64_t get_ms(mp_obj_t o, qstr what);
// The core's rule ARG_* `what` for the int argument `name`.
void check_arg(engine_t *e, int what, mp_obj_t v, qstr name);

// The methods in conn_settings.c (module_init stores them).
#define CONN_SETTINGS(X) \
    X(set_message_timeout) X(connect_step_ms) X(check_client) X(check_will) X(check_timeout) X(check_port) \
    X(set_reconnect) X(reconnect_on) X(reconnect_begin) X(reconnect_failed) X(should_reconnect) \
    X(timed_out) X(needs_v5)
#define CONN_DECLARE(name) mp_obj_t conn_##name(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args);
CONN_SETTINGS(CONN_DECLARE)
#endif
