// The core's exception classes (ExcKind in core/src/error.rs) and a Python
// exception as the core's retry rules see it, shared by the glue of
// simple.mpy (c/) and of _conn*.mpy (conn/conn_glue.c).
#ifndef UMQTT_EXC_H
#define UMQTT_EXC_H

#include "py/dynruntime.h"

#define EXC_MQTT 0
#define EXC_OSERROR 1
#define EXC_VALUEERROR 2
#define EXC_TYPEERROR 3
#define EXC_MEMORYERROR 4
#define EXC_RUNTIMEERROR 5
#define EXC_PENDING 6

// exc's class (EXC_MQTT for an instance of `mqtt`, EXC_OSERROR, else
// EXC_PENDING) and code (args[0] when a small int, else 0).
static inline void classify_exc(mp_obj_t exc, mp_obj_t mqtt, int *kind, int *code) {
    mp_obj_t a[2] = { exc, mqtt };
    mp_obj_t isinst = mp_load_global(MP_QSTR_isinstance);
    *kind = EXC_PENDING;
    *code = 0;
    if (mp_obj_is_true(mp_call_function_n_kw(isinst, 2, 0, a))) {
        *kind = EXC_MQTT;
    } else {
        a[1] = mp_load_global(MP_QSTR_OSError);
        if (!mp_obj_is_true(mp_call_function_n_kw(isinst, 2, 0, a))) {
            return;
        }
        *kind = EXC_OSERROR;
    }
    size_t n;
    mp_obj_t *items;
    mp_obj_get_array(mp_load_attr(exc, MP_QSTR_args), &n, &items);
    if (n > 0 && mp_obj_is_small_int(items[0])) {
        *code = MP_OBJ_SMALL_INT_VALUE(items[0]);
    }
}

#endif
