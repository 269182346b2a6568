// umqtt.aio's WebSocket layer (src/ws_aio.rs): a _WsLayer object holds the
// core's sans-IO Layer; the _wsl_* functions are bound as methods of
// umqtt/_aio_ws.py's WsLayer, whose self._e is the _WsLayer. Conversions
// only: every rule and error is the core's.
#include "glue.h"
#include "convert.h"

// The upgrade request's arguments from a _ws_target() result and a list of
// (name, value) pairs (_ws_open and _wsl_request); hb: room for 16 pairs
// (the core refuses more).
void ws_args_of(mp_obj_t target, mp_obj_t headers, umqtt_ws_args_t *a, umqtt_bytes_t *hb) {
    size_t n;
    mp_obj_t *t;
    mp_obj_get_array(target, &n, &t);
    if (n != 4) {
        mp_raise_TypeError("websocket: bad target");
    }
    mp_fun_table.memset_(a, 0, sizeof(*a));
    a->host = get_bytes(t[0], MP_QSTR_server);
    a->port = (uint32_t)mp_obj_get_int(t[1]);
    a->tls = mp_obj_is_true(t[2]);
    a->path = get_bytes(t[3], MP_QSTR_ws_path);
    mp_obj_t *items;
    mp_obj_get_array(headers, &a->n_headers, &items);
    if (a->n_headers <= 16) {
        for (size_t i = 0; i < a->n_headers; i++) {
            size_t two;
            mp_obj_t *kv;
            mp_obj_get_array(items[i], &two, &kv);
            if (two != 2) {
                mp_raise_TypeError("ws_headers: (name, value) pairs");
            }
            hb[2 * i] = get_bytes(kv[0], MP_QSTR_headers);
            hb[2 * i + 1] = get_bytes(kv[1], MP_QSTR_headers);
        }
        a->headers = hb;
    }
}

#if UMQTT_WS

mp_obj_full_type_t wsl_type;

typedef struct {
    mp_obj_base_t base;
    uint64_t layer[];  // the Rust Layer (8-byte aligned)
} wsl_t;

// One umqtt_wsl call; raises its error. Returns *n, or (size_t)-1 for ST_IDLE.
static size_t wsl(void *l, int op, umqtt_bytes_t data, umqtt_bytes_t mask, uint8_t *buf, size_t cap) {
    size_t n;
    umqtt_out_t out;
    int st = umqtt_wsl(l, op, data, mask, buf, cap, &n, &out);
    if (st == ST_ERROR) {
        raise_out(&out);
    }
    return st == ST_IDLE ? (size_t)-1 : n;
}

static const umqtt_bytes_t none = { 0, 0 };

static mp_obj_t wsl_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw, const mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 0, 0, false);
    wsl_t *o = new_obj(sizeof(wsl_t) + umqtt_wsl_size(), type);
    wsl(o->layer, WSL_INIT, none, none, NULL, 0);
    return MP_OBJ_FROM_PTR(o);
}

// self._e's layer; args[0] is self, n_want the arguments after it.
static void *layer_of(size_t n_args, size_t n_kw, mp_obj_t *args, size_t n_want) {
    if (n_kw != 0 || n_args != n_want + 1) {
        mp_raise_TypeError("WsLayer: wrong arguments");
    }
    mp_obj_t e = mp_load_attr(args[0], MP_QSTR__e);
    if (mp_obj_get_type(e) != (const mp_obj_type_t *)&wsl_type) {
        mp_raise_TypeError("WsLayer: no _e");
    }
    return ((wsl_t *)MP_OBJ_TO_PTR(e))->layer;
}

// _wsl_request(self, target, headers, nonce) -> bytes: the upgrade request
// for a _ws_target() result and (name, value) pairs.
NATIVE(wsl_request) {
    void *l = layer_of(n_args, n_kw, args, 3);
    umqtt_ws_args_t a;
    umqtt_bytes_t hb[32];
    ws_args_of(args[1], args[2], &a, hb);
    // Enough for the request's own lines; grown once if the core asks.
    size_t n, cap = 320 + a.host.len + a.path.len;
    umqtt_bytes_t nonce = get_bytes(args[3], MP_QSTR_nonce);
    uint8_t *buf = alloc_or_raise(cap);
    umqtt_out_t out;
    int st = umqtt_wsl_request(l, &a, nonce, buf, cap, &n, &out);
    if (st == ST_IDLE) {
        cap = n;
        m_free(buf);
        buf = alloc_or_raise(cap);
        st = umqtt_wsl_request(l, &a, nonce, buf, cap, &n, &out);
    }
    if (st != ST_OK) {
        raise_out(&out);
    }
    mp_obj_t r = mp_obj_new_bytes(buf, n);
    m_free(buf);
    return r;
}

// _wsl_accept(self, data) -> None (more needed) or the bytes behind the answer.
NATIVE(wsl_accept) {
    void *l = layer_of(n_args, n_kw, args, 1);
    umqtt_bytes_t d = get_bytes(args[1], MP_QSTR_data);
    size_t used = wsl(l, WSL_ACCEPT, d, none, NULL, 0);
    if (used == (size_t)-1) {
        return mp_const_none;
    }
    return mp_obj_new_bytes(d.ptr + used, d.len - used);
}

// _wsl_frame(self, data, mask) -> bytearray: one masked binary frame.
NATIVE(wsl_frame) {
    void *l = layer_of(n_args, n_kw, args, 2);
    umqtt_bytes_t d = get_bytes(args[1], MP_QSTR_data);
    size_t len = wsl(l, WSL_FRAME_LEN, d, none, NULL, 0);
    uint8_t *buf = alloc_or_raise(len);
    wsl(l, WSL_FRAME, d, get_bytes(args[2], MP_QSTR_mask), buf, len);
    return mp_obj_new_bytearray_by_ref(len, buf);
}

// _wsl_decode(self, data) -> bytearray: the MQTT bytes received data carried.
NATIVE(wsl_decode) {
    void *l = layer_of(n_args, n_kw, args, 1);
    umqtt_bytes_t d = get_bytes(args[1], MP_QSTR_data);
    uint8_t *buf = alloc_or_raise(d.len ? d.len : 1);
    mp_fun_table.memmove_(buf, d.ptr, d.len);
    size_t n = wsl(l, WSL_DECODE, none, none, buf, d.len);
    return mp_obj_new_bytearray_by_ref(n, buf);
}

// _wsl_due(self) -> bool: a pong or a close reply is to be sent.
NATIVE(wsl_due) {
    void *l = layer_of(n_args, n_kw, args, 0);
    return mp_obj_new_bool(wsl(l, WSL_DUE, none, none, NULL, 0) != 0);
}

// _wsl_reply(self, mask) / _wsl_close(self, mask) -> bytes (b"": none).
static mp_obj_t control(int op, size_t n_args, size_t n_kw, mp_obj_t *args) {
    void *l = layer_of(n_args, n_kw, args, 1);
    uint8_t buf[144];
    size_t n = wsl(l, op, none, get_bytes(args[1], MP_QSTR_mask), buf, sizeof(buf));
    return mp_obj_new_bytes(buf, n);
}

NATIVE(wsl_reply) {
    return control(WSL_REPLY, n_args, n_kw, args);
}

NATIVE(wsl_close) {
    return control(WSL_CLOSE, n_args, n_kw, args);
}

// _wsl_check(self): raises the server's close (OSError(-1, ...)), if any.
NATIVE(wsl_check) {
    void *l = layer_of(n_args, n_kw, args, 0);
    wsl(l, WSL_CHECK, none, none, NULL, 0);
    return mp_const_none;
}

// The type; umqtt_glue.c stores the functions (MP_DYNRUNTIME_MAKE_FUNCTION
// needs mpy_init's context).
void wsl_register(void) {
    wsl_type.base.type = (void *)&mp_type_type;
    wsl_type.flags = MP_TYPE_FLAG_NONE;
    wsl_type.name = MP_QSTR__WsLayer;
    MP_OBJ_TYPE_SET_SLOT(&wsl_type, make_new, wsl_make_new, 0);
    mp_store_global(MP_QSTR__WsLayer, MP_OBJ_FROM_PTR(&wsl_type));
}

#endif
