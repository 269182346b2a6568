// Seconds (int or float) as milliseconds for the core, shared by c/args.c
// (simple.mpy) and conn/conn_glue.c (_conn*.mpy): int(t * 1000)
// through the runtime (C here may have no floats). A non-number is a
// TypeError, as on CPython (a str would multiply into a string of digits);
// past a machine word: as long as possible, or -1 if negative; a
// tiny positive time is still 1 ms. The range is the core's to check.
#ifndef UMQTT_MS_H
#define UMQTT_MS_H

#include "py/dynruntime.h"

static inline int64_t seconds_to_ms(mp_obj_t t) {
    // Only numbers subtract: anything else raises the runtime's TypeError.
    mp_binary_op(MP_BINARY_OP_SUBTRACT, t, MP_OBJ_NEW_SMALL_INT(0));
    mp_obj_t ms = mp_binary_op(MP_BINARY_OP_MULTIPLY, t, MP_OBJ_NEW_SMALL_INT(1000));
    mp_obj_t i = mp_call_function_n_kw(mp_load_global(MP_QSTR_int), 1, 0, &ms);
    if (!mp_obj_is_small_int(i)) {
        return mp_obj_is_true(mp_binary_op(MP_BINARY_OP_LESS, i, MP_OBJ_NEW_SMALL_INT(0))) ? -1 : INT64_MAX;
    }
    mp_int_t v = MP_OBJ_SMALL_INT_VALUE(i);
    return (v == 0 && mp_obj_is_true(t)) ? 1 : v;
}

#endif
