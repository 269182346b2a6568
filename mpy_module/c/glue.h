// Shared declarations of the C glue (the files of c/).
#ifndef UMQTT_GLUE_H
#define UMQTT_GLUE_H

#include "py/dynruntime.h"
#include "py/smallint.h"
#include "py/stream.h"
// The Rust boundary (structs, constants, entry points), generated from
// src/ by cbindgen (build.sh, cbindgen.toml).
#include "umqtt_ffi.h"

// Glue only: the connection failed and reconnect() brought it back.
#define ST_RECONNECTED (-2)

// Catching exceptions. The firmware's nlr_buf_t layout depends on its port
// (registers, or a jmp_buf with MICROPY_NLR_SETJMP, plus pystack): prev and
// ret_val always come first, so a buffer with generous room fits them all.

typedef struct {
    void *prev;
    void *ret_val;
    void *room[64];
} glue_nlr_buf_t;

#if GLUE_NLR_SETJMP
// Ports built with MICROPY_NLR_SETJMP (esp32/xtensawin): the table's entry
// is nlr_push_tail and the jump target is set with the firmware's setjmp.
typedef int (*glue_setjmp_t)(void *);
#define GLUE_NLR_PUSH(buf) \
    (mp_fun_table.nlr_push((nlr_buf_t *)(buf)), ((glue_setjmp_t)mp_fun_table.setjmp_)(&(buf)->room[0]))
#else
#define GLUE_NLR_PUSH(buf) (mp_fun_table.nlr_push((nlr_buf_t *)(buf)))
#endif

typedef struct _engine_t engine_t;

#define MODE_BLOCKING (-1)

typedef struct {
    mp_obj_base_t base;
    mp_obj_t sock;
    // Mode the caller asked for: -1 blocking, 0 non-blocking, n > 0 timeout ms.
    mp_int_t mode;
    // Mode last applied to the real socket and the settimeout() argument that
    // asked for `mode` (applied lazily: check_msg() flips the mode twice per
    // call, and the engine itself never depends on the real socket's mode).
    mp_int_t applied;
    mp_obj_t timeout_arg;
} sockp_t;

// _Engine: one per client. The Rust engine lives in `rust` (same GC block),
// so its heap buffers are reachable for the collector through this object.
struct _engine_t {
    mp_obj_base_t base;
    mp_obj_t ticks_ms;     // time.ticks_ms
    mp_obj_t poll_new;     // select.poll
    mp_obj_t poller;       // a select.poll object with `poll_stream` registered
    mp_obj_t ipoll;        // the function behind poller.ipoll (valid with poller)
    mp_obj_t poll_stream;
    mp_uint_t poll_events;
    mp_obj_t pending;      // exception caught while Rust was running
    // For the running call:
    mp_obj_t stream;       // the real stream (socket or TLS socket)
    mp_int_t mode;         // its mode, as for sockp_t.mode
    mp_int_t busy;
    mp_int_t user_timeout;  // the caller's socket timeout ran out
    mp_obj_t auth_cb;      // set_auth()'s on_challenge for this connect (v5.c)
    const mp_obj_type_t *bytes_type;  // for message_bytes (convert.h)
    uint64_t rust[];       // the Rust engine (8-byte aligned)
};

// Types, filled at import (not static: mpy_ld only relocates global .bss).
extern mp_obj_t mqtt_exc;
extern mp_obj_full_type_t engine_type;
extern mp_obj_full_type_t sockp_type;
// Set by glue_panic: a Rust panic left an engine in an unknown state.
extern int glue_poisoned;

// runtime.c: run f(arg); if it raises, store the exception in e->pending and
// return GLUE_EXC. All state crosses the jump in memory (*arg, *e).
int protect(engine_t *e, void (*f)(void *), void *arg);

// call.c: one call into the engine (begin ... finish).
typedef struct {
    mp_obj_t self;
    engine_t *e;
    mp_obj_t sock;  // self.sock as found (wrapper or stream)
    umqtt_out_t out;
} call_t;
void raise_out(const umqtt_out_t *o);
engine_t *engine_of(mp_obj_t self);
void begin(call_t *c, mp_obj_t self, bool need_sock);
int finish(call_t *c, int st);
int finish_close(call_t *c, int st, bool close);
// Raise one of the core's errors (ERR_*); ERR_NOT_CONNECTED.
void raise_error(int code);
void not_connected(void);
// protect()'s thunk of sock.close() (arg: the socket).
void close_thunk(void *arg);
// Automatic reconnect: self.reconnect(); finish() that reconnects instead
// of raising a lost connection (ST_RECONNECTED); begin() that first brings
// back a connection reconnect() gave up on.
void call_reconnect(mp_obj_t self);
int finish_rc(call_t *c, int st);
void begin_op(call_t *c, mp_obj_t self);
// umqtt_glue.c
umqtt_bytes_t props_arg(mp_obj_t self, mp_obj_t props, int ctx);


// args.c: argument conversion and the configuring natives.
umqtt_bytes_t get_bytes(mp_obj_t o, qstr what);
void parse_args(size_t n_args, size_t n_kw, const mp_obj_t *args, size_t n_req, size_t n_names,
    const qstr *names, mp_obj_t *vals);
mp_int_t get_int_or_neg(mp_obj_t o, qstr what);
mp_int_t get_arg(mp_obj_t o, int what);
mp_int_t get_qos(mp_obj_t o);
int64_t get_ms(mp_obj_t t, qstr what);
void classify(mp_obj_t exc, int *kind, int *code);
#define NATIVE(name) mp_obj_t name(mp_obj_fun_bc_t *fun, size_t n_args, size_t n_kw, mp_obj_t *args)
NATIVE(mqtt_set_reconnect);
NATIVE(mqtt_set_timeouts);
NATIVE(mqtt_arg);
NATIVE(mqtt_check_client);
NATIVE(mqtt_will);
NATIVE(mqtt_retry_begin);
NATIVE(mqtt_retry_failed);
NATIVE(mqtt_ws_target);
NATIVE(mqtt_ws_headers);

// connection.c: connect(), the WebSocket handshake, disconnect().
NATIVE(mqtt_check_connect);
NATIVE(mqtt_connect);
NATIVE(mqtt_disconnect);
NATIVE(mqtt_ws_open);

// v5.c: properties= encoded; the module's _props and _v5props.
mp_obj_t props_encode(mp_obj_t d, int ctx, bool v5, mp_obj_t auth);
NATIVE(mqtt_props);
NATIVE(mqtt_v5props);

// sock.c
void *new_obj(size_t size, const mp_obj_type_t *type);
mp_obj_t call_method(mp_obj_t obj, qstr name, size_t n, const mp_obj_t *args);
mp_int_t timeout_to_mode(mp_obj_t t);
void sockp_type_init(void);

#endif
