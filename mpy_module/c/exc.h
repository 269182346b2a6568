// The core's exception classes (ExcKind in core/src/error/report.rs) and a Python
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

// umqtt/_exc.mpy's MQTTException (py/_exc.py): the one class of umqtt.simple
// and umqtt.aio. Raises ImportError without that file.
static inline mp_obj_t import_mqtt_exception(void) {
    mp_obj_t from[1] = { MP_OBJ_NEW_QSTR(MP_QSTR__exc) };
    mp_obj_t pkg = mp_import_name(MP_QSTR_umqtt, mp_obj_new_tuple(1, from), MP_OBJ_NEW_SMALL_INT(0));
    return mp_load_attr(mp_import_from(pkg, MP_QSTR__exc), MP_QSTR_MQTTException);
}

// The exception of a failed call by the core's table (ExcKind `kind`, code,
// message; MQTT 5 `reason`: a refusal), made, not raised. MQTTException
// (mqtt_class(), asked for only then) and OSError take the code first; a
// refusal always has a second argument, its reason string or None.
static inline mp_obj_t exc_make(mp_obj_t (*mqtt_class)(void), int kind, mp_int_t code, const uint8_t *msg,
    size_t len, int reason) {
    mp_obj_t args[2];
    size_t n = 0;
    mp_obj_t cls;
    switch (kind) {
        case EXC_MQTT: cls = mqtt_class(); break;
        case EXC_OSERROR: cls = mp_load_global(MP_QSTR_OSError); break;
        case EXC_VALUEERROR: cls = mp_load_global(MP_QSTR_ValueError); break;
        case EXC_TYPEERROR: cls = mp_load_global(MP_QSTR_TypeError); break;
        case EXC_MEMORYERROR: cls = mp_load_global(MP_QSTR_MemoryError); break;
        default: cls = mp_load_global(MP_QSTR_RuntimeError); break;
    }
    if (kind == EXC_MQTT || kind == EXC_OSERROR) {
        args[n++] = MP_OBJ_NEW_SMALL_INT(code);
    }
    if (len > 0) {
        args[n++] = mp_obj_new_str((const char *)msg, len);
    } else if (reason && kind == EXC_MQTT) {
        args[n++] = mp_const_none;
    }
    return mp_call_function_n_kw(cls, n, 0, args);
}

#endif
