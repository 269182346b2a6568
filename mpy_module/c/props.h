// MQTT 5 properties as items between MicroPython objects and the Rust
// encoders, shared by c/v5.c (simple.mpy) and conn/conn_glue.c
// (_conn5.mpy): a Python value into an item (umqtt_prop_t, PropItem of
// src/ffi.rs and conn/src/lib.rs, in the header cbindgen generates from
// each, which includes this file or is included before it), an item's
// value as a Python object. Every rule is the core's: an item only says
// what Python type the value had.
#ifndef UMQTT_PROPS_H
#define UMQTT_PROPS_H

#include "py/dynruntime.h"
#include "py/smallint.h"


// Packet contexts of the encoders (the core's Context numbering).
#define CTX_CONNECT 0
#define CTX_WILL 1
#define CTX_PUBLISH 3
#define CTX_SUBSCRIBE 5
#define CTX_UNSUBSCRIBE 7
#define CTX_DISCONNECT 9

// Item kinds, umqtt_core::codec::v5::Flat's (any other: a type no property has).
#define PROP_INT 0
#define PROP_STR 1
#define PROP_BYTES 2
#define PROP_PAIR 3
#define PROP_OTHER 4
#define PROP_EMPTY 5


// The bytes of a str or buffer object.
static inline umqtt_bytes_t prop_bytes(mp_obj_t o) {
    mp_buffer_info_t bi;
    mp_get_buffer_raise(o, &bi, MP_BUFFER_READ);
    umqtt_bytes_t b = { bi.buf, bi.len };
    return b;
}

// One value into `p` by its Python type; the core checks it for the name.
static inline void prop_value(umqtt_prop_t *p, mp_obj_t v) {
    p->kind = PROP_OTHER;
    mp_buffer_info_t bi;
    if (mp_obj_is_str(v)) {
        p->kind = PROP_STR;
        p->a = prop_bytes(v);
    } else if (mp_obj_is_int(v) || mp_obj_is_bool(v)) {
        // Booleans are ints (request_problem_information=True); a big int is
        // out of every range (-1; mp_obj_get_int would truncate it).
        p->kind = PROP_INT;
        p->num = mp_obj_is_small_int(v) ? MP_OBJ_SMALL_INT_VALUE(v)
            : mp_obj_is_bool(v) ? mp_obj_is_true(v) : -1;
    } else if (mp_obj_is_type(v, &mp_type_tuple)) {
        size_t n;
        mp_obj_t *kv;
        mp_obj_get_array(v, &n, &kv);
        if (n == 2 && mp_obj_is_str(kv[0]) && mp_obj_is_str(kv[1])) {
            p->kind = PROP_PAIR;
            p->a = prop_bytes(kv[0]);
            p->b = prop_bytes(kv[1]);
        }
    } else if (mp_get_buffer(v, &bi, MP_BUFFER_READ)) {
        p->kind = PROP_BYTES;
        p->a.ptr = bi.buf;
        p->a.len = bi.len;
    }
}

// properties= must be a dict or None (None is the caller's to handle).
static inline void prop_dict_check(mp_obj_t d) {
    mp_obj_t a[2] = { d, mp_load_global(MP_QSTR_dict) };
    if (!mp_obj_is_true(mp_call_function_n_kw(mp_load_global(MP_QSTR_isinstance), 2, 0, a))) {
        mp_raise_TypeError("properties must be a dict or None");
    }
}

// One (name, value) pair of dict.items(): its name, its values (a list's
// items, else the value) and how many; true if the value was a list.
static inline bool prop_pair(mp_obj_t item, mp_obj_t *name, size_t *m, mp_obj_t **vals) {
    size_t two;
    mp_obj_t *pair;
    mp_obj_get_array(item, &two, &pair);
    *name = pair[0];
    *m = 1;
    *vals = &pair[1];
    if (!mp_obj_is_type(pair[1], &mp_type_list)) {
        return false;
    }
    mp_obj_get_array(pair[1], m, vals);
    return true;
}

// The items of the properties dict `d` (None: none) for the core (*n of
// them): one per value, and for a list value one per element with `list`
// set (an empty list: one PROP_EMPTY item), so that the core can tell
// which names take lists; room for `extra` more after them. TypeError for
// a name that is not a str.
static inline umqtt_prop_t *prop_items(mp_obj_t d, size_t extra, size_t *n) {
    size_t np = 0, m, count = 0, j = 0;
    mp_obj_t *kv = NULL, name, *vals;
    if (d != mp_const_none) {
        mp_obj_t view = mp_call_function_n_kw(mp_load_attr(d, MP_QSTR_items), 0, 0, NULL);
        mp_obj_t pairs = mp_call_function_n_kw(mp_load_global(MP_QSTR_list), 1, 0, &view);
        mp_obj_get_array(pairs, &np, &kv);
    }
    for (size_t i = 0; i < np; i++) {
        prop_pair(kv[i], &name, &m, &vals);
        count += m ? m : 1;
    }
    umqtt_prop_t *items = m_new(umqtt_prop_t, count + extra + 1);
    mp_fun_table.memset_(items, 0, sizeof(umqtt_prop_t) * (count + extra + 1));
    for (size_t i = 0; i < np; i++) {
        bool listed = prop_pair(kv[i], &name, &m, &vals);
        if (!mp_obj_is_str(name)) {
            mp_raise_TypeError("property names must be str");
        }
        for (size_t k = 0; k < (m ? m : 1) && j < count; k++, j++) {
            items[j].name = prop_bytes(name);
            items[j].list = listed;
            items[j].kind = PROP_EMPTY;
            if (m) {
                prop_value(&items[j], vals[k]);
            }
        }
    }
    *n = j;
    return items;
}

// set_auth()'s (method, data) `auth` (None: none) into `items` (room for
// two): the method and, unless None, the data; how many. The core puts
// them in place of the dict's.
static inline size_t prop_auth(umqtt_prop_t *items, mp_obj_t auth) {
    size_t n = 0, k = 0;
    mp_obj_t *ma;
    if (auth != mp_const_none) {
        mp_obj_get_array(auth, &n, &ma);
    }
    for (; k < n && k < 2 && (k == 0 || ma[k] != mp_const_none); k++) {
        prop_value(&items[k], ma[k]);
    }
    return k;
}

// An item's value: int, str, (str, str) or bytes.
static inline mp_obj_t prop_obj(const umqtt_prop_t *p) {
    switch (p->kind) {
        case PROP_INT:
            return mp_obj_new_int_from_uint((mp_uint_t)p->num);
        case PROP_STR:
            return mp_obj_new_str((const char *)p->a.ptr, p->a.len);
        case PROP_PAIR: {
            mp_obj_t kv[2] = {
                mp_obj_new_str((const char *)p->a.ptr, p->a.len),
                mp_obj_new_str((const char *)p->b.ptr, p->b.len),
            };
            return mp_obj_new_tuple(2, kv);
        }
        default:
            return mp_obj_new_bytes(p->a.ptr, p->a.len);
    }
}

#endif
