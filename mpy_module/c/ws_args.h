// The upgrade request's parts from a _ws_target() result (host, port, tls,
// path) and ws_headers as (name, value) pairs, for the core's
// ws::with_raw_request: shared by the glue of simple.mpy (c/connection.c)
// and of _conn*.mpy (conn/conn_glue.c), and ws_headers' rule for both.
// Include after get_bytes().
#ifndef UMQTT_WS_ARGS_H
#define UMQTT_WS_ARGS_H

// Pairs hb holds: one more than the core takes (ws::MAX_HEADERS, 16), so a
// longer list reaches it and is refused there.
#define WS_HEADER_ROOM 17

typedef struct {
    umqtt_bytes_t host, path;
    mp_int_t port;
    bool tls;
    size_t n_headers;
    umqtt_bytes_t hb[2 * WS_HEADER_ROOM];
} ws_args_t;

static inline void ws_args(mp_obj_t target, mp_obj_t headers, ws_args_t *a) {
    size_t n;
    mp_obj_t *t;
    mp_obj_get_array(target, &n, &t);
    if (n != 4) {
        mp_raise_TypeError("websocket: bad target");
    }
    a->host = get_bytes(t[0], MP_QSTR_server);
    a->port = mp_obj_get_int(t[1]);
    a->tls = mp_obj_is_true(t[2]);
    a->path = get_bytes(t[3], MP_QSTR_ws_path);
    mp_obj_t *items;
    mp_obj_get_array(headers, &n, &items);
    a->n_headers = n < WS_HEADER_ROOM ? n : WS_HEADER_ROOM;
    for (size_t i = 0; i < a->n_headers; i++) {
        size_t two;
        mp_obj_t *kv;
        mp_obj_get_array(items[i], &two, &kv);
        if (two != 2) {
            mp_raise_TypeError("ws_headers: (name, value) pairs");
        }
        a->hb[2 * i] = get_bytes(kv[0], MP_QSTR_headers);
        a->hb[2 * i + 1] = get_bytes(kv[1], MP_QSTR_headers);
    }
}

// _ws_target()'s server for the core: one that is not a str is a plain host
// (MQTT over TCP; empty here).
static inline umqtt_bytes_t ws_server(mp_obj_t server) {
    umqtt_bytes_t none = { 0, 0 };
    return mp_obj_is_str(server) ? get_bytes(server, MP_QSTR_server) : none;
}

// _ws_target()'s port for the core: 0 (the default) unless an int in range.
static inline uint32_t ws_port(mp_obj_t port) {
    mp_int_t p = mp_obj_is_small_int(port) ? MP_OBJ_SMALL_INT_VALUE(port) : 0;
    return p >= 0 && p <= 0xffff ? (uint32_t)p : 0;
}

// _ws_target()'s result (host, port, tls, path): for MQTT over TCP
// (server, the port to open, tls, None).
static inline mp_obj_t ws_target_tuple(mp_obj_t server, bool is_ws, mp_int_t port, bool tls, umqtt_bytes_t host,
    umqtt_bytes_t path) {
    mp_obj_t items[4] = { server, MP_OBJ_NEW_SMALL_INT(port), mp_obj_new_bool(tls), mp_const_none };
    if (is_ws) {
        items[0] = mp_obj_new_str((const char *)host.ptr, host.len);
        items[3] = mp_obj_new_str((const char *)path.ptr, path.len);
    }
    return mp_obj_new_tuple(4, items);
}

// ws_headers (None, a dict, or an iterable of (name, value) pairs: tuples or
// lists of two str) as a new tuple of (name, value) tuples; any other shape
// is TypeError, with the CPython binding's message (pyo3_binding/src/ws.rs).
static inline mp_obj_t ws_headers_tuple(mp_obj_t h) {
    if (h == mp_const_none) {
        return mp_obj_new_tuple(0, NULL);
    }
    mp_obj_t dest[2];
    mp_load_method_maybe(h, MP_QSTR_items, dest);
    if (dest[0] != MP_OBJ_NULL) {
        h = mp_fun_table.call_method_n_kw(0, 0, dest);
    }
    // (Checked first: tuple() of a non-iterable raises its own TypeError.)
    bool ok = MP_OBJ_TYPE_HAS_SLOT(mp_obj_get_type(h), iter);
    mp_obj_t t = ok ? mp_call_function_n_kw(mp_load_global(MP_QSTR_tuple), 1, 0, &h) : mp_const_none;
    size_t n = 0;
    mp_obj_t *items = NULL;
    if (ok) {
        mp_obj_get_array(t, &n, &items);
    }
    for (size_t i = 0; ok && i < n; i++) {
        bool list = mp_obj_is_type(items[i], &mp_type_list);
        size_t two = 0;
        mp_obj_t *kv = NULL;
        if (list || mp_obj_is_type(items[i], &mp_type_tuple)) {
            mp_obj_get_array(items[i], &two, &kv);
        }
        ok = two == 2 && mp_obj_is_str(kv[0]) && mp_obj_is_str(kv[1]);
        if (ok && list) {
            // t is ours: its items may be replaced.
            items[i] = mp_obj_new_tuple(2, kv);
        }
    }
    if (!ok) {
        mp_raise_TypeError("ws_headers must be str names and values");
    }
    return t;
}

#endif
