// Argument and result conversions shared by simple.mpy's glue (c/) and
// _conn*.mpy's (conn/conn_glue.c), with the CPython binding's TypeError texts
// (pyo3_binding/src/convert.rs): "<name> must be <kind>, not <type>".
// The ranges are the core's to check.
#ifndef UMQTT_CONVERT_H
#define UMQTT_CONVERT_H

#include "py/dynruntime.h"

// An int64 argument of the core that was None or left out: its default
// (the core's args::NOT_GIVEN).
#define NOT_GIVEN INT64_MIN

// TypeError("<what> must be <kind>, not <o's type>"); kind: a literal.
#define raise_type(o, what, kind) \
    raise_type_text((o), (what), " must be " kind ", not ", sizeof(" must be " kind ", not ") - 1)

static inline void raise_type_text(mp_obj_t o, qstr what, const char *text, size_t len) {
    mp_obj_t msg = mp_binary_op(MP_BINARY_OP_ADD, MP_OBJ_NEW_QSTR(what), mp_obj_new_str(text, len));
    msg = mp_binary_op(MP_BINARY_OP_ADD, msg, MP_OBJ_NEW_QSTR(mp_obj_get_type(o)->name));
    nlr_raise(mp_call_function_n_kw(mp_load_global(MP_QSTR_TypeError), 1, 0, &msg));
}

// bytes, str, bytearray, memoryview: their buffer.
static inline void buffer_arg(mp_obj_t o, qstr what, mp_buffer_info_t *bi) {
    if (!mp_get_buffer(o, bi, MP_BUFFER_READ)) {
        raise_type(o, what, "bytes or str");
    }
}

// An int (True/False: 1/0). The dynruntime's mp_obj_get_int truncates a
// big int to its low bits (2**70 + 1 would be 1): an int past a small int
// is reported as `big` if positive (out of every range, or a saturated
// count), -1 if negative.
static inline int64_t int_arg(mp_obj_t o, qstr what, int64_t big) {
    if (mp_obj_is_small_int(o)) {
        return MP_OBJ_SMALL_INT_VALUE(o);
    }
    if (o == mp_const_true || o == mp_const_false) {
        return o == mp_const_true;
    }
    if (mp_obj_get_type(o)->name != MP_QSTR_int) {
        raise_type(o, what, "an int");
    }
    return mp_obj_is_true(mp_binary_op(MP_BINARY_OP_LESS, o, MP_OBJ_NEW_SMALL_INT(0))) ? -1 : big;
}

// Seconds (int or float) as milliseconds: int(t * 1000) through the runtime
// (C here may have no floats); past a small int (inf too) as long as
// possible, or -1 if negative or NaN (the core's ValueError, as on
// CPython); a tiny positive time is still 1 ms.
static inline int64_t seconds_to_ms(mp_obj_t t, qstr what) {
    qstr type = mp_obj_get_type(t)->name;
    if (type != MP_QSTR_int && type != MP_QSTR_float && type != MP_QSTR_bool) {
        raise_type(t, what, "a number");
    }
    mp_obj_t ms = mp_binary_op(MP_BINARY_OP_MULTIPLY, t, MP_OBJ_NEW_SMALL_INT(1000));
    if (!mp_obj_is_true(mp_binary_op(MP_BINARY_OP_EQUAL, ms, ms))
        || mp_obj_is_true(mp_binary_op(MP_BINARY_OP_LESS, ms, MP_OBJ_NEW_SMALL_INT(0)))) {
        return -1;
    }
    if (mp_obj_is_true(mp_binary_op(MP_BINARY_OP_MORE, ms, MP_OBJ_NEW_SMALL_INT(MP_SMALL_INT_MAX)))) {
        return INT64_MAX;
    }
    mp_obj_t i = mp_call_function_n_kw(mp_load_global(MP_QSTR_int), 1, 0, &ms);
    if (!mp_obj_is_small_int(i)) {
        // A float that rounds past the small int limit in the comparison.
        return INT64_MAX;
    }
    mp_int_t v = MP_OBJ_SMALL_INT_VALUE(i);
    return (v == 0 && mp_obj_is_true(t)) ? 1 : v;
}

// The two items of one (filter, qos) pair of a subscribe() list.
static inline mp_obj_t *filter_pair(mp_obj_t item) {
    size_t two = 0;
    mp_obj_t *fq = NULL;
    if (mp_obj_is_type(item, &mp_type_tuple)) {
        mp_obj_get_array(item, &two, &fq);
    }
    if (two != 2) {
        mp_raise_TypeError("topic list items must be (filter, qos) pairs");
    }
    return fq;
}

// m_malloc of a native module returns NULL when the heap is full.
static inline void *alloc_or_raise(size_t n) {
    void *p = m_malloc(n);
    if (p == NULL) {
        nlr_raise(mp_load_global(MP_QSTR_MemoryError));
    }
    return p;
}

// A received message's topic or payload as a new bytes object, its hash
// left uncomputed (0 means "not yet": MicroPython computes it when one is
// asked for, e.g. for a dict key). mp_obj_new_bytes hashes every byte:
// about 600 of the 8,100 instructions a 64-byte message costs on x64.
// bytes_type: &mp_type_bytes, looked up once per client (a globals lookup
// in a native module).
static inline mp_obj_t message_bytes(const mp_obj_type_t *bytes_type, const uint8_t *data, size_t len) {
    uint8_t *p = alloc_or_raise(len + 1);
    mp_obj_str_t *o = alloc_or_raise(sizeof(mp_obj_str_t));
    __builtin_memcpy(p, data, len);
    p[len] = 0;  // as mp_obj_new_bytes: NUL-terminated
    o->base.type = bytes_type;
    o->hash = 0;
    o->len = len;
    o->data = p;
    return MP_OBJ_FROM_PTR(o);
}

#endif
