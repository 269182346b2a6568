// MQTT 5: properties between the Python half and the core's encoding
// (umqtt_props_encode, umqtt_prop_at), and the AUTH challenges answered by
// set_auth()'s on_challenge. py/simple.py turns received flat lists into
// dicts; an item's Python side is props.h (shared with
// _conn5.mpy); every rule (names, types, ranges, which packet allows what)
// is the core's.
#include "glue.h"

// The properties dict `d` (None: none) encoded for a packet of ctx, as a
// bytes object (None: no properties), with set_auth()'s (method, data)
// `auth` (None: none) in place of the dict's; with v5 false (a 3.1.1
// client) a non-empty dict is the core's ValueError, before names and
// values are looked at (as the other clients).
mp_obj_t props_encode(mp_obj_t d, int ctx, bool v5, mp_obj_t auth) {
    if (d != mp_const_none) {
        prop_dict_check(d);
    }
    umqtt_out_t out;
    mp_fun_table.memset_(&out, 0, sizeof(out));
    if (!v5 && (mp_obj_is_true(d) || auth != mp_const_none)) {
        umqtt_props_encode(ctx, 0, NULL, 1, 0, NULL, 0, &out);
        raise_out(&out);
    }
    size_t count;
    umqtt_prop_t *props = prop_items(d, 2, &count);
    size_t n_auth = prop_auth(props + count, auth);
    count += n_auth;
    if (count == 0) {
        return mp_const_none;
    }
    // The core sizes the buffer (cap 0), then encodes into it.
    if (umqtt_props_encode(ctx, v5, props, count, n_auth, NULL, 0, &out) == ST_ERROR) {
        raise_out(&out);
    }
    size_t room = out.value;
    uint8_t *buf = m_new(uint8_t, room + 1);
    if (room > 0 && umqtt_props_encode(ctx, v5, props, count, n_auth, buf, room, &out) == ST_ERROR) {
        raise_out(&out);
    }
    return mp_obj_new_bytes(buf, out.value);
}

// _props(props, ctx, v5, auth=None) -> bytes or None: props_encode for simple.py.
mp_obj_t mqtt_props(mp_obj_fun_bc_t *fun, size_t n_args, size_t n_kw, mp_obj_t *args) {
    const qstr names[4] = { MP_QSTR_props, MP_QSTR_ctx, MP_QSTR_v5, MP_QSTR_auth };
    mp_obj_t v[4] = { MP_OBJ_NULL, MP_OBJ_NULL, MP_OBJ_NULL, mp_const_none };
    parse_args(n_args, n_kw, args, 3, 4, names, v);
    return props_encode(v[0], mp_obj_get_int(v[1]), mp_obj_is_true(v[2]), v[3]);
}

// _v5props(self, which) -> [name, value, in_list, ...]: the properties of
// the CONNACK (which 0) or of the packet the last call ended on (1).
mp_obj_t mqtt_v5props(mp_obj_fun_bc_t *fun, size_t n_args, size_t n_kw, mp_obj_t *args) {
    const qstr names[2] = { MP_QSTR_self, MP_QSTR_which };
    mp_obj_t v[2] = { MP_OBJ_NULL, MP_OBJ_NULL };
    parse_args(n_args, n_kw, args, 2, 2, names, v);
    engine_t *e = engine_of(v[0]);
    int which = mp_obj_get_int(v[1]);
    mp_obj_t list = mp_obj_new_list(0, NULL);
    umqtt_prop_t p;
    for (size_t i = 0; umqtt_prop_at(e->rust, which, i, &p); i++) {
        mp_obj_t value = prop_obj(&p);
        mp_obj_list_append(list, mp_obj_new_str((const char *)p.name.ptr, p.name.len));
        mp_obj_list_append(list, value);
        mp_obj_list_append(list, mp_obj_new_bool(p.list));
    }
    return list;
}

typedef struct {
    engine_t *e;
    const uint8_t *data;
    size_t len;
    uint8_t *answer;
    size_t cap;
    size_t n;
} auth_call_t;

static void auth_thunk(void *arg) {
    auth_call_t *c = arg;
    mp_obj_t d = mp_obj_new_bytes(c->data, c->len);
    mp_obj_t a = mp_call_function_n_kw(c->e->auth_cb, 1, 0, &d);
    if (!mp_obj_is_type(a, &mp_type_bytes)) {
        mp_raise_TypeError("on_challenge must return bytes");
    }
    mp_buffer_info_t bi;
    mp_get_buffer_raise(a, &bi, MP_BUFFER_READ);
    c->n = bi.len;
    if (bi.len <= c->cap) {
        mp_fun_table.memmove_(c->answer, bi.buf, bi.len);
    }
}

// The application's answer to an AUTH challenge (Rust: ffi::glue_auth):
// 0, GLUE_EXC (its exception is raised after Rust returned) or 1 (longer
// than cap; its length in *n).
int32_t glue_auth(void *io, const uint8_t *data, size_t len, uint8_t *answer, size_t cap, size_t *n) {
    engine_t *e = io;
    auth_call_t c = { .e = e, .data = data, .len = len, .answer = answer, .cap = cap };
    if (protect(e, auth_thunk, &c) != 0) {
        return GLUE_EXC;
    }
    *n = c.n;
    return c.n <= cap ? 0 : 1;
}
