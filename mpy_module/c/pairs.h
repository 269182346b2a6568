// The two items of one (filter, qos) pair of a subscribe() list, shared by
// c/umqtt_glue.c (simple.mpy) and conn/conn_glue.c (_conn*.mpy): anything
// but a 2-tuple is the TypeError CPython's binding raises too.
#ifndef UMQTT_PAIRS_H
#define UMQTT_PAIRS_H

#include "py/dynruntime.h"

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

#endif
