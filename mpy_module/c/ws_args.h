// The upgrade request's parts from a _ws_target() result (host, port, tls,
// path) and ws_headers as (name, value) pairs, for the core's
// ws::with_raw_request: shared by the glue of simple.mpy (c/connection.c)
// and of _conn*.mpy (conn/conn_glue.c). Include after get_bytes().
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

#endif
