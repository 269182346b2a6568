// umqtt._conn native module: the C glue of conn/src/lib.rs, umqtt-core's
// sans-IO connection for umqtt.aio. It converts objects, reads the clock
// and raises; the protocol is all in Rust, which never calls MicroPython.
// The functions bind self like methods in aio.py's Conn class (self._e is
// the _Engine); the same methods as CPython's umqtt._umqtt.Conn.
// The settings, argument checks and reconnect policy are in conn_settings.c
// (conn.h: what the two share).
//
// Built twice (../extra_modules.sh): _conn.mpy (MQTT 3.1.1) and, with
// UMQTT_CONN_V5 and the crate's v5 feature, _conn5.mpy (also MQTT 5:
// property dicts through ../c/props.h, shared with simple.mpy's c/v5.c).
// UMQTT_CONN_WS and the crate's ws feature: ws_open (MQTT over WebSockets).

#ifndef UMQTT_CONN_V5
#define UMQTT_CONN_V5 0
#endif
#ifndef UMQTT_CONN_WS
#define UMQTT_CONN_WS 0
#endif

#include "conn.h"
#include "../c/props.h"

static mp_obj_t module_init(mp_obj_fun_bc_t *self);

// Entry point first in the text (see ../c/umqtt_glue.c).
mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    return module_init(self);
}

uint8_t *glue_realloc(uint8_t *ptr, size_t len) {
    if (len == 0) {
        m_free(ptr);
        return NULL;
    }
    return m_realloc(ptr, len);
}

void glue_panic(void) {
    mp_raise_msg(&mp_type_RuntimeError, "umqtt._conn: internal error");
}

mp_obj_full_type_t engine_type;

// ---------------------------------------------------------------------------
// Exceptions: the classes and codes of the blocking client.

// The exception object for a failed operation (not raised).
mp_obj_t make_exc(const io_t *io) {
    return exc_make(import_mqtt_exception, io->kind, io->code, io->msg, io->msg_len, io->reason);
}

// The core's class id and code of a Python exception, for its retry rules
// (../c/exc.h).
void classify(mp_obj_t exc, int64_t *kind, int64_t *code) {
    int k, c;
    classify_exc(exc, import_mqtt_exception(), &k, &c);
    *kind = k;
    *code = c;
}

// ---------------------------------------------------------------------------
// Calls.

static engine_t *engine_of(mp_obj_t self) {
    mp_obj_t eo = mp_load_attr(self, MP_QSTR__e);
    if (mp_obj_get_type(eo) != (const mp_obj_type_t *)&engine_type) {
        mp_raise_TypeError("Conn not initialised");
    }
    return MP_OBJ_TO_PTR(eo);
}

// Run op on self's engine; raises what the core reports.
void run(engine_t *e, int op, io_t *io) {
    mp_obj_t t = mp_call_function_n_kw(e->ticks_ms, 0, 0, NULL);
    io->ticks = (size_t)mp_obj_get_int(t);
    io->mask = MP_SMALL_INT_POSITIVE_MASK;
    if (umqtt_conn(e->rust, op, io) != 0) {
        nlr_raise(make_exc(io));
    }
}

// The exception object of one of the core's errors (ERR_*).
mp_obj_t core_error(engine_t *e, int which) {
    io_t io;
    mp_fun_table.memset_(&io, 0, sizeof(io));
    io.i[0] = which;
    umqtt_conn(e->rust, OP_ERROR, &io);
    return make_exc(&io);
}

// Check the argument count (min..max with self), clear io, find the engine.
engine_t *begin_n(size_t n_args, size_t n_kw, mp_obj_t *args, size_t min, size_t max, io_t *io) {
    mp_arg_check_num(n_args, n_kw, min, max, false);
    mp_fun_table.memset_(io, 0, sizeof(*io));
    return engine_of(args[0]);
}

engine_t *begin(size_t n_args, size_t n_kw, mp_obj_t *args, size_t n, io_t *io) {
    return begin_n(n_args, n_kw, args, n, n, io);
}

// ---------------------------------------------------------------------------
// MQTT 5 properties: a dict (or None) to the core's encoding, received ones
// to a dict.

#if UMQTT_CONN_V5
// The properties dict `d` (None: none) encoded for a packet of ctx, with
// set_auth()'s (method, data) `auth` (None: none) in place of the dict's;
// a list value is several properties of that name. On a 3.1.1 engine a
// non-empty dict is the core's ValueError (as in the build without MQTT 5
// below).
static umqtt_bytes_t encode_auth(engine_t *e, mp_obj_t d, int ctx, mp_obj_t auth) {
    umqtt_bytes_t none = { NULL, 0 };
    if (d != mp_const_none) {
        prop_dict_check(d);
    }
    if (!e->v5 && (mp_obj_is_true(d) || auth != mp_const_none)) {
        nlr_raise(core_error(e, ERR_NEED_V5));
    }
    size_t j;
    umqtt_prop_t *items = prop_items(d, 2, &j);
    size_t n_auth = prop_auth(items + j, auth);
    j += n_auth;
    if (j == 0) {
        return none;
    }
    // The core sizes the buffer (cap 0), then encodes into it.
    io_t io;
    mp_fun_table.memset_(&io, 0, sizeof(io));
    io.i[0] = ctx;
    io.i[1] = n_auth;
    io.items = items;
    io.n_items = j;
    run(e, OP_PROPS, &io);
    io.cap = (size_t)io.r[0];
    io.out = m_new(uint8_t, io.cap + 1);
    if (io.cap > 0) {
        run(e, OP_PROPS, &io);
    }
    umqtt_bytes_t b = { io.out, (size_t)io.r[0] };
    return b;
}

// The properties of the CONNACK (which 0) or of the last event's packet (1)
// as a dict: user_property a list of (name, value), subscription_identifier
// a list of ints.
static mp_obj_t props_dict(engine_t *e, int which) {
    mp_obj_t d = mp_obj_new_dict(0);
    mp_obj_t get = mp_load_attr(d, MP_QSTR_get);
    for (mp_int_t i = 0;; i++) {
        io_t io;
        mp_fun_table.memset_(&io, 0, sizeof(io));
        io.i[0] = which;
        io.i[1] = i;
        run(e, OP_PROP_AT, &io);
        if (io.r[0] == 0) {
            return d;
        }
        mp_obj_t k = mp_obj_new_str((const char *)io.item.name.ptr, io.item.name.len);
        mp_obj_t v = prop_obj(&io.item);
        if (io.item.list) {
            mp_obj_t l = mp_call_function_n_kw(get, 1, 0, &k);
            if (l == mp_const_none) {
                l = mp_obj_new_list(0, NULL);
                mp_obj_dict_store(d, k, l);
            }
            mp_obj_list_append(l, v);
        } else {
            mp_obj_dict_store(d, k, v);
        }
    }
}
#else
// No MQTT 5 in this build: None or {} only (and no set_auth()).
static umqtt_bytes_t encode_auth(engine_t *e, mp_obj_t d, int ctx, mp_obj_t auth) {
    umqtt_bytes_t none = { NULL, 0 };
    if (d != mp_const_none) {
        prop_dict_check(d);
    }
    if (mp_obj_is_true(d) || auth != mp_const_none) {
        nlr_raise(core_error(e, ERR_NEED_V5));
    }
    return none;
}
#endif

static umqtt_bytes_t encode(engine_t *e, mp_obj_t d, int ctx) {
    return encode_auth(e, d, ctx, mp_const_none);
}

umqtt_bytes_t get_bytes(mp_obj_t o, qstr what) {
    mp_buffer_info_t bi;
    buffer_arg(o, what, &bi);
    umqtt_bytes_t b = { bi.buf, bi.len };
    return b;
}

// None stays None (a null pointer).
umqtt_bytes_t get_opt_bytes(mp_obj_t o, qstr what) {
    umqtt_bytes_t none = { NULL, 0 };
    return o == mp_const_none ? none : get_bytes(o, what);
}

// An int argument for the core to check (c/convert.h); a big int is out of
// every range.
int64_t get_int(mp_obj_t o, qstr what) {
    return int_arg(o, what, INT64_MAX);
}

// A duration in seconds as ms (c/convert.h; here, beside the helpers it
// shares with get_int(), so they are not compiled twice).
int64_t get_ms(mp_obj_t o, qstr what) {
    return seconds_to_ms(o, what);
}

// The core's rule ARG_* `what` for the int argument `name`.
void check_arg(engine_t *e, int what, mp_obj_t v, qstr name) {
    io_t io;
    io.i[0] = what;
    io.i[1] = get_int(v, name);
    run(e, OP_ARG, &io);
}

#if UMQTT_CONN_WS
#include "../c/ws_args.h"

// ws_target(server, port, ssl, transport, ws_path, ws_headers=None) -> (host,
// port, tls, path or None): the blocking client's _ws_target() (core
// args::ws_target_raw), ws_headers only checked. A module function:
// umqtt.aio asks it before it picks the module of its connection.
static mp_obj_t conn_ws_target(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 5, 6, false);
    io_t io;
    mp_fun_table.memset_(&io, 0, sizeof(io));
    io.a = ws_server(args[0]);
    io.i[0] = ws_port(args[1]);
    io.i[1] = mp_obj_is_true(args[2]);
    io.b = get_bytes(args[3], MP_QSTR_transport);
    io.c = get_bytes(args[4], MP_QSTR_ws_path);
    if (umqtt_conn_ws_target(&io) != 0) {
        nlr_raise(make_exc(&io));
    }
    ws_headers_tuple(n_args > 5 ? args[5] : mp_const_none);
    return ws_target_tuple(args[0], io.r[0], io.r[1], io.r[2], io.p, io.q);
}

// ws_headers(ws_headers) -> a tuple of (name, value) (../c/ws_args.h).
static mp_obj_t conn_ws_headers(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 1, 1, false);
    return ws_headers_tuple(args[0]);
}

// ws_open(self, target, headers, nonce, seed): after connect(), MQTT over
// WebSockets on the new socket (target: a _ws_target() result with a path;
// headers: (name, value) pairs; 16 random bytes each).
static mp_obj_t conn_ws_open(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) {
    io_t io;
    engine_t *e = begin(n_args, n_kw, args, 5, &io);
    ws_args_t w;
    ws_args(args[1], args[2], &w);
    io.a = w.host;
    io.b = w.path;
    io.i[0] = w.port;
    io.i[1] = w.tls;
    io.headers = w.hb;
    io.n_headers = w.n_headers;
    io.c = get_bytes(args[3], MP_QSTR_nonce);
    io.d = get_bytes(args[4], MP_QSTR_seed);
    run(e, OP_WS_OPEN, &io);
    return mp_const_none;
}
#endif

mp_obj_t r0(engine_t *e, int op, io_t *io) {
    run(e, op, io);
    return mp_obj_new_int(io->r[0]);
}

// A call with self only: the result r[0] as an int, bool or nothing.
#define SIMPLE(name, op, conv) \
    static mp_obj_t conn_##name(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) { \
        io_t io; \
        engine_t *e = begin(n_args, n_kw, args, 1, &io); \
        run(e, op, &io); \
        return conv; \
    }
#define AS_NONE mp_const_none
#define AS_INT mp_obj_new_int(io.r[0])
#define AS_BOOL mp_obj_new_bool(io.r[0] != 0)

SIMPLE(timeout, OP_TIMEOUT, AS_NONE)
SIMPLE(connected, OP_CONNECTED, AS_BOOL)
SIMPLE(room, OP_ROOM, AS_INT)
SIMPLE(resubscribe, OP_RESUBSCRIBE, AS_INT)

// Rust builds the engine on the stack (heapless containers with
// uninitialised spare capacity) and moves it into the GC block: stale
// pointers left there would keep dropped engines alive (see
// ../c/umqtt_glue.c). Clear that stack first.
static MP_NOINLINE void clear_stack(void) {
    volatile uint8_t buf[2048];
    for (size_t i = 0; i < sizeof(buf); i++) {
        buf[i] = 0;
    }
}

// _Engine(protocol): 4, or 5 in _conn5.mpy.
static mp_obj_t engine_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw, const mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 0, 1, false);
    mp_obj_t ticks = mp_load_attr(mp_import_name(MP_QSTR_time, mp_const_none, MP_OBJ_NEW_SMALL_INT(0)),
        MP_QSTR_ticks_ms);
    engine_t *e = alloc_or_raise(sizeof(engine_t) + umqtt_conn_size());
    e->base.type = type;
    e->ticks_ms = ticks;
    e->bytes_type = &mp_type_bytes;
    clear_stack();
    if (umqtt_conn_init(e->rust) != 0) {
        mp_raise_msg(&mp_type_RuntimeError, "cannot allocate MQTT buffers");
    }
    if (n_args == 1) {
        io_t io;
        io.i[0] = get_int(args[0], MP_QSTR_protocol);
        // 4, or 5 in _conn5.mpy (_conn.mpy: the core's ValueError).
        run(e, OP_PROTOCOL, &io);
        e->v5 = io.r[0] == 5;
    }
    return MP_OBJ_FROM_PTR(e);
}

// connect(self, client_id, user, password, keepalive, clean_session, will=None,
// properties=None, auth=None): will (topic, msg, qos, retain[, properties]),
// auth set_auth()'s (method, data); neither properties nor auth on 3.1.1
static mp_obj_t conn_connect(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) {
    io_t io;
    mp_obj_t will = mp_const_none;
    mp_obj_t props = mp_const_none;
    mp_obj_t auth = mp_const_none;
    if (n_args == 9) {
        auth = args[8];
        n_args = 8;
    }
    if (n_args == 8) {
        props = args[7];
        n_args = 7;
    }
    if (n_args == 7) {
        will = args[6];
        n_args = 6;
    }
    engine_t *e = begin(n_args, n_kw, args, 6, &io);
    io.f = encode_auth(e, props, CTX_CONNECT, auth);
    io.a = get_bytes(args[1], MP_QSTR_client_id);
    io.b = get_opt_bytes(args[2], MP_QSTR_user);
    io.c = get_opt_bytes(args[3], MP_QSTR_password);
    check_arg(e, ARG_KEEPALIVE, args[4], MP_QSTR_keepalive);
    io.i[0] = get_int(args[4], MP_QSTR_keepalive);
    io.i[1] = mp_obj_is_true(args[5]);
    if (will != mp_const_none) {
        size_t n;
        mp_obj_t *w;
        mp_obj_get_array(will, &n, &w);
        if (n != 4 && n != 5) {
            mp_raise_TypeError("will must be (topic, msg, qos, retain[, properties])");
        }
        if (n == 5) {
            io.g = encode(e, w[4], CTX_WILL);
        }
        io.d = get_bytes(w[0], MP_QSTR_topic);
        io.e = get_bytes(w[1], MP_QSTR_msg);
        check_arg(e, ARG_QOS, w[2], MP_QSTR_qos);
        io.i[2] = get_int(w[2], MP_QSTR_qos);
        io.i[3] = mp_obj_is_true(w[3]);
    }
    run(e, OP_CONNECT, &io);
    return mp_const_none;
}

// publish(self, topic, msg, qos, retain, properties=None) -> packet id (0 for QoS 0)
static mp_obj_t conn_publish(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) {
    io_t io;
    engine_t *e = begin_n(n_args, n_kw, args, 5, 6, &io);
    io.a = get_bytes(args[1], MP_QSTR_topic);
    io.b = get_bytes(args[2], MP_QSTR_msg);
    io.i[0] = get_int(args[3], MP_QSTR_qos);
    io.i[1] = mp_obj_is_true(args[4]);
    if (n_args == 6) {
        io.f = encode(e, args[5], CTX_PUBLISH);
    }
    return r0(e, OP_PUBLISH, &io);
}

// subscribe(self, topic, qos, no_local=False, retain_as_published=False,
// retain_handling=0, properties=None) -> packet id; the options need MQTT 5
static mp_obj_t conn_subscribe(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) {
    io_t io;
    engine_t *e = begin_n(n_args, n_kw, args, 3, 7, &io);
    if (mp_obj_is_type(args[1], &mp_type_list)) {
        // One SUBSCRIBE of (filter, qos) pairs; qos is not used.
        mp_obj_t *items;
        mp_obj_get_array(args[1], &io.n_filters, &items);
        filter_t *fl = m_new(filter_t, io.n_filters + 1);
        for (size_t i = 0; i < io.n_filters; i++) {
            mp_obj_t *fq = filter_pair(items[i]);
            fl[i].topic = get_bytes(fq[0], MP_QSTR_topic);
            fl[i].qos = get_int(fq[1], MP_QSTR_qos);
        }
        io.filters = fl;
    } else {
        io.a = get_bytes(args[1], MP_QSTR_topic);
        io.i[0] = get_int(args[2], MP_QSTR_qos);
    }
    io.i[1] = n_args > 3 && mp_obj_is_true(args[3]);
    io.i[2] = n_args > 4 && mp_obj_is_true(args[4]);
    io.i[3] = n_args > 5 && args[5] != mp_const_none ? get_int(args[5], MP_QSTR_retain_handling) : 0;
    if (n_args > 6) {
        io.f = encode(e, args[6], CTX_SUBSCRIBE);
    }
    return r0(e, OP_SUBSCRIBE, &io);
}

// unsubscribe(self, topic, properties=None) -> packet id
static mp_obj_t conn_unsubscribe(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) {
    io_t io;
    engine_t *e = begin_n(n_args, n_kw, args, 2, 3, &io);
    io.a = get_bytes(args[1], MP_QSTR_topic);
    if (n_args > 2) {
        io.f = encode(e, args[2], CTX_UNSUBSCRIBE);
    }
    return r0(e, OP_UNSUBSCRIBE, &io);
}

// disconnect(self, reason=0, properties=None); a reason needs MQTT 5
static mp_obj_t conn_disconnect(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) {
    io_t io;
    engine_t *e = begin_n(n_args, n_kw, args, 1, 3, &io);
    io.i[0] = n_args > 1 ? get_int(args[1], MP_QSTR_reason) : 0;
    if (n_args > 2) {
        io.f = encode(e, args[2], CTX_DISCONNECT);
    }
    run(e, OP_DISCONNECT, &io);
    return mp_const_none;
}

#if UMQTT_CONN_V5
// connack_properties(self) -> the CONNACK's properties (a dict)
static mp_obj_t conn_connack_properties(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) {
    io_t io;
    return props_dict(begin(n_args, n_kw, args, 1, &io), 0);
}

// auth_continue(self, data): answer the broker's AUTH challenge (event 8);
// reauthenticate(self, data): start a re-authentication (AUTH 0x19)
static mp_obj_t auth_op(size_t n_args, size_t n_kw, mp_obj_t *args, int op) {
    io_t io;
    engine_t *e = begin(n_args, n_kw, args, 2, &io);
    io.a = get_bytes(args[1], MP_QSTR_data);
    run(e, op, &io);
    return mp_const_none;
}

static mp_obj_t conn_auth_continue(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) {
    return auth_op(n_args, n_kw, args, OP_AUTH_CONTINUE);
}

static mp_obj_t conn_reauthenticate(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) {
    return auth_op(n_args, n_kw, args, OP_REAUTH);
}
#endif

// out(self) -> bytes to write (taken), or None
static mp_obj_t conn_out(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) {
    io_t io;
    engine_t *e = begin(n_args, n_kw, args, 1, &io);
    run(e, OP_OUT, &io);
    if (io.p.ptr == NULL) {
        return mp_const_none;
    }
    mp_obj_t b = mp_obj_new_bytes(io.p.ptr, io.p.len);
    io.i[0] = (int64_t)io.p.len;
    run(e, OP_TRANSMITTED, &io);
    return b;
}

// feed(self, data) -> bytes taken
static mp_obj_t conn_feed(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) {
    io_t io;
    engine_t *e = begin(n_args, n_kw, args, 2, &io);
    io.a = get_bytes(args[1], MP_QSTR_data);
    return r0(e, OP_FEED, &io);
}

// event(self) -> None or a tuple (kind, ...), as pyo3_binding/src/conn.rs
static mp_obj_t conn_event(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) {
    io_t io;
    engine_t *e = begin(n_args, n_kw, args, 1, &io);
    run(e, OP_EVENT, &io);
    int64_t k = io.r[0];
    if (k == 0) {
        return mp_const_none;
    }
    mp_obj_t t[5] = { MP_OBJ_NEW_SMALL_INT(k), MP_OBJ_NEW_SMALL_INT(io.r[1]), mp_const_none, mp_const_none,
                      mp_const_none };
    switch (k) {
        case 1:  // CONNECTED, PONG: a flag
        case 6:
            t[1] = mp_obj_new_bool(io.r[1] != 0);
            return mp_obj_new_tuple(2, t);
        case 2:  // MESSAGE: topic, payload, first byte[, MQTT 5 properties]
            t[1] = message_bytes(e->bytes_type, io.p.ptr, io.p.len);
            t[2] = message_bytes(e->bytes_type, io.q.ptr, io.q.len);
            t[3] = MP_OBJ_NEW_SMALL_INT(io.r[1]);
            #if UMQTT_CONN_V5
            if (e->v5) {
                t[4] = props_dict(e, 1);
                return mp_obj_new_tuple(5, t);
            }
            #endif
            return mp_obj_new_tuple(4, t);
        case 3:  // PUBLISHED, SUBSCRIBED, UNSUBSCRIBED: id, the refusal's exception
        case 4:  // or None, the reason code / granted QoS (None: 3.1.1's PUBACK, UNSUBACK)
        case 5:  // [, SUBSCRIBED: every code of the SUBACK as bytes]
            if (io.failed) {
                t[2] = make_exc(&io);
            }
            if (io.r[2] >= 0) {
                t[3] = MP_OBJ_NEW_SMALL_INT(io.r[2]);
            }
            if (k == 4) {
                t[4] = mp_obj_new_bytes(io.p.ptr, io.p.len);
                return mp_obj_new_tuple(5, t);
            }
            return mp_obj_new_tuple(4, t);
        case 8:  // AUTH challenge: its authentication_data
            t[1] = mp_obj_new_bytes(io.p.ptr, io.p.len);
            return mp_obj_new_tuple(2, t);
        default:
            return mp_obj_new_tuple(2, t);
    }
}

// deadline(self) -> ms until timeout() has work, or None
static mp_obj_t conn_deadline(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) {
    io_t io;
    engine_t *e = begin(n_args, n_kw, args, 1, &io);
    run(e, OP_DEADLINE, &io);
    return io.r[0] < 0 ? mp_const_none : mp_obj_new_int(io.r[0]);
}

// lost(self) -> the exception of a closed connection
static mp_obj_t conn_lost(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) {
    io_t io;
    engine_t *e = begin(n_args, n_kw, args, 1, &io);
    run(e, OP_LOST, &io);
    return core_error(e, ERR_CLOSED);
}

// closed(self) -> the exception of the requests disconnect() ends
static mp_obj_t conn_closed(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) {
    io_t io;
    engine_t *e = begin(n_args, n_kw, args, 1, &io);
    run(e, OP_CLOSED, &io);
    return core_error(e, ERR_DISCONNECTED);
}

static mp_obj_t module_init(mp_obj_fun_bc_t *self) {
    MP_DYNRUNTIME_INIT_ENTRY
    engine_type.base.type = (void *)&mp_type_type;
    engine_type.flags = MP_TYPE_FLAG_NONE;
    engine_type.name = MP_QSTR__Engine;
    MP_OBJ_TYPE_SET_SLOT(&engine_type, make_new, engine_make_new, 0);
    mp_store_global(MP_QSTR__Engine, MP_OBJ_FROM_PTR(&engine_type));
    mp_store_global(MP_QSTR_connect, MP_DYNRUNTIME_MAKE_FUNCTION(conn_connect));
    mp_store_global(MP_QSTR_publish, MP_DYNRUNTIME_MAKE_FUNCTION(conn_publish));
    mp_store_global(MP_QSTR_subscribe, MP_DYNRUNTIME_MAKE_FUNCTION(conn_subscribe));
    mp_store_global(MP_QSTR_unsubscribe, MP_DYNRUNTIME_MAKE_FUNCTION(conn_unsubscribe));
    mp_store_global(MP_QSTR_disconnect, MP_DYNRUNTIME_MAKE_FUNCTION(conn_disconnect));
    mp_store_global(MP_QSTR_out, MP_DYNRUNTIME_MAKE_FUNCTION(conn_out));
    mp_store_global(MP_QSTR_feed, MP_DYNRUNTIME_MAKE_FUNCTION(conn_feed));
    mp_store_global(MP_QSTR_event, MP_DYNRUNTIME_MAKE_FUNCTION(conn_event));
    mp_store_global(MP_QSTR_deadline, MP_DYNRUNTIME_MAKE_FUNCTION(conn_deadline));
    mp_store_global(MP_QSTR_timeout, MP_DYNRUNTIME_MAKE_FUNCTION(conn_timeout));
    mp_store_global(MP_QSTR_lost, MP_DYNRUNTIME_MAKE_FUNCTION(conn_lost));
    mp_store_global(MP_QSTR_closed, MP_DYNRUNTIME_MAKE_FUNCTION(conn_closed));
    mp_store_global(MP_QSTR_connected, MP_DYNRUNTIME_MAKE_FUNCTION(conn_connected));
    mp_store_global(MP_QSTR_room, MP_DYNRUNTIME_MAKE_FUNCTION(conn_room));
    // conn_settings.c
    mp_store_global(MP_QSTR_set_reconnect, MP_DYNRUNTIME_MAKE_FUNCTION(conn_set_reconnect));
    mp_store_global(MP_QSTR_reconnect_on, MP_DYNRUNTIME_MAKE_FUNCTION(conn_reconnect_on));
    mp_store_global(MP_QSTR_reconnect_begin, MP_DYNRUNTIME_MAKE_FUNCTION(conn_reconnect_begin));
    mp_store_global(MP_QSTR_reconnect_failed, MP_DYNRUNTIME_MAKE_FUNCTION(conn_reconnect_failed));
    mp_store_global(MP_QSTR_should_reconnect, MP_DYNRUNTIME_MAKE_FUNCTION(conn_should_reconnect));
    mp_store_global(MP_QSTR_timed_out, MP_DYNRUNTIME_MAKE_FUNCTION(conn_timed_out));
    mp_store_global(MP_QSTR_needs_v5, MP_DYNRUNTIME_MAKE_FUNCTION(conn_needs_v5));
    mp_store_global(MP_QSTR_set_message_timeout, MP_DYNRUNTIME_MAKE_FUNCTION(conn_set_message_timeout));
    mp_store_global(MP_QSTR_connect_step_ms, MP_DYNRUNTIME_MAKE_FUNCTION(conn_connect_step_ms));
    mp_store_global(MP_QSTR_check_port, MP_DYNRUNTIME_MAKE_FUNCTION(conn_check_port));
    mp_store_global(MP_QSTR_check_timeout, MP_DYNRUNTIME_MAKE_FUNCTION(conn_check_timeout));
    mp_store_global(MP_QSTR_check_will, MP_DYNRUNTIME_MAKE_FUNCTION(conn_check_will));
    mp_store_global(MP_QSTR_check_client, MP_DYNRUNTIME_MAKE_FUNCTION(conn_check_client));
    mp_store_global(MP_QSTR_resubscribe, MP_DYNRUNTIME_MAKE_FUNCTION(conn_resubscribe));
    #if UMQTT_CONN_WS
    mp_store_global(MP_QSTR_ws_target, MP_DYNRUNTIME_MAKE_FUNCTION(conn_ws_target));
    mp_store_global(MP_QSTR_ws_headers, MP_DYNRUNTIME_MAKE_FUNCTION(conn_ws_headers));
    mp_store_global(MP_QSTR_ws_open, MP_DYNRUNTIME_MAKE_FUNCTION(conn_ws_open));
    #endif
    #if UMQTT_CONN_V5
    mp_store_global(MP_QSTR_connack_properties, MP_DYNRUNTIME_MAKE_FUNCTION(conn_connack_properties));
    mp_store_global(MP_QSTR_auth_continue, MP_DYNRUNTIME_MAKE_FUNCTION(conn_auth_continue));
    mp_store_global(MP_QSTR_reauthenticate, MP_DYNRUNTIME_MAKE_FUNCTION(conn_reauthenticate));
    #endif
    MP_DYNRUNTIME_INIT_EXIT
}
