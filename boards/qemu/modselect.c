// select.poll for the test firmware (the boards have no extmod): waits on the
// MP_STREAM_POLL ioctl of up to four registered streams, idling the CPU until
// an interrupt between checks. poll() returns a list; ipoll() returns the
// poller itself as an iterator over reused (obj, events) tuples, as
// MicroPython's own does not allocate per call.
#include "py/mperrno.h"
#include "py/mphal.h"
#include "py/obj.h"
#include "py/objtuple.h"
#include "py/runtime.h"
#include "py/stream.h"

#define POLL_MAX 4

typedef struct {
    mp_obj_base_t base;
    size_t n;
    mp_obj_t obj[POLL_MAX];
    mp_uint_t events[POLL_MAX];
    mp_uint_t ready[POLL_MAX];
    mp_obj_tuple_t *item[POLL_MAX];  // reused by ipoll()
    size_t iter_pos;
} poll_obj_t;

static const mp_obj_type_t poll_type;

static int find(poll_obj_t *self, mp_obj_t obj) {
    for (size_t i = 0; i < self->n; i++) {
        if (self->obj[i] == obj) {
            return (int)i;
        }
    }
    return -1;
}

static mp_obj_t poll_register(size_t n_args, const mp_obj_t *args) {
    poll_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    mp_uint_t ev = n_args > 2 ? mp_obj_get_int(args[2]) : (MP_STREAM_POLL_RD | MP_STREAM_POLL_WR);
    mp_get_stream_raise(args[1], MP_STREAM_OP_IOCTL);
    int i = find(self, args[1]);
    if (i < 0) {
        if (self->n == POLL_MAX) {
            mp_raise_ValueError(MP_ERROR_TEXT("too many streams"));
        }
        i = (int)self->n++;
        self->obj[i] = args[1];
        self->item[i] = MP_OBJ_TO_PTR(mp_obj_new_tuple(2, NULL));
    }
    self->events[i] = ev;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(poll_register_obj, 2, 3, poll_register);

static mp_obj_t poll_modify(mp_obj_t self_in, mp_obj_t obj, mp_obj_t ev) {
    poll_obj_t *self = MP_OBJ_TO_PTR(self_in);
    int i = find(self, obj);
    if (i < 0) {
        mp_raise_OSError(MP_ENOENT);
    }
    self->events[i] = mp_obj_get_int(ev);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(poll_modify_obj, poll_modify);

static mp_obj_t poll_unregister(mp_obj_t self_in, mp_obj_t obj) {
    poll_obj_t *self = MP_OBJ_TO_PTR(self_in);
    int i = find(self, obj);
    if (i >= 0) {
        for (size_t j = i + 1; j < self->n; j++) {
            self->obj[j - 1] = self->obj[j];
            self->events[j - 1] = self->events[j];
            self->item[j - 1] = self->item[j];
        }
        self->n--;
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(poll_unregister_obj, poll_unregister);

// Check every stream once -> how many are ready.
static size_t check(poll_obj_t *self) {
    size_t count = 0;
    for (size_t i = 0; i < self->n; i++) {
        const mp_stream_p_t *sp = mp_get_stream(self->obj[i]);
        int err;
        mp_uint_t want = self->events[i] | MP_STREAM_POLL_ERR | MP_STREAM_POLL_HUP;
        mp_uint_t r = sp->ioctl(self->obj[i], MP_STREAM_POLL, want, &err);
        if (r == MP_STREAM_ERROR) {
            r = MP_STREAM_POLL_ERR;
        }
        self->ready[i] = r & want;
        count += self->ready[i] != 0;
    }
    return count;
}

static size_t wait(poll_obj_t *self, size_t n_args, const mp_obj_t *args) {
    mp_int_t timeout = -1;
    if (n_args > 1 && args[1] != mp_const_none) {
        timeout = mp_obj_get_int(args[1]);
    }
    mp_uint_t t0 = mp_hal_ticks_ms();
    for (;;) {
        size_t count = check(self);
        if (count || timeout == 0
            || (timeout > 0 && (mp_int_t)(mp_hal_ticks_ms() - t0) >= timeout)) {
            return count;
        }
        board_idle();
    }
}

static mp_obj_t poll_poll(size_t n_args, const mp_obj_t *args) {
    poll_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    size_t count = wait(self, n_args, args);
    mp_obj_t list = mp_obj_new_list(0, NULL);
    for (size_t i = 0; count && i < self->n; i++) {
        if (self->ready[i]) {
            mp_obj_t t[2] = { self->obj[i], MP_OBJ_NEW_SMALL_INT(self->ready[i]) };
            mp_obj_list_append(list, mp_obj_new_tuple(2, t));
        }
    }
    return list;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(poll_poll_obj, 1, 2, poll_poll);

static mp_obj_t poll_ipoll(size_t n_args, const mp_obj_t *args) {
    poll_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    wait(self, n_args, args);
    self->iter_pos = 0;
    return args[0];
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(poll_ipoll_obj, 1, 3, poll_ipoll);

static mp_obj_t poll_iternext(mp_obj_t self_in) {
    poll_obj_t *self = MP_OBJ_TO_PTR(self_in);
    while (self->iter_pos < self->n) {
        size_t i = self->iter_pos++;
        if (self->ready[i]) {
            mp_obj_tuple_t *t = self->item[i];
            t->items[0] = self->obj[i];
            t->items[1] = MP_OBJ_NEW_SMALL_INT(self->ready[i]);
            return MP_OBJ_FROM_PTR(t);
        }
    }
    return MP_OBJ_STOP_ITERATION;
}

static const mp_rom_map_elem_t poll_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_register), MP_ROM_PTR(&poll_register_obj) },
    { MP_ROM_QSTR(MP_QSTR_unregister), MP_ROM_PTR(&poll_unregister_obj) },
    { MP_ROM_QSTR(MP_QSTR_modify), MP_ROM_PTR(&poll_modify_obj) },
    { MP_ROM_QSTR(MP_QSTR_poll), MP_ROM_PTR(&poll_poll_obj) },
    { MP_ROM_QSTR(MP_QSTR_ipoll), MP_ROM_PTR(&poll_ipoll_obj) },
};
static MP_DEFINE_CONST_DICT(poll_locals, poll_locals_table);

static MP_DEFINE_CONST_OBJ_TYPE(
    poll_type, MP_QSTR_poll, MP_TYPE_FLAG_ITER_IS_ITERNEXT,
    iter, poll_iternext,
    locals_dict, &poll_locals);

static mp_obj_t select_poll(void) {
    poll_obj_t *p = mp_obj_malloc(poll_obj_t, &poll_type);
    p->n = 0;
    p->iter_pos = 0;
    return MP_OBJ_FROM_PTR(p);
}
static MP_DEFINE_CONST_FUN_OBJ_0(select_poll_obj, select_poll);

static const mp_rom_map_elem_t select_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_select) },
    { MP_ROM_QSTR(MP_QSTR_poll), MP_ROM_PTR(&select_poll_obj) },
    { MP_ROM_QSTR(MP_QSTR_POLLIN), MP_ROM_INT(MP_STREAM_POLL_RD) },
    { MP_ROM_QSTR(MP_QSTR_POLLOUT), MP_ROM_INT(MP_STREAM_POLL_WR) },
    { MP_ROM_QSTR(MP_QSTR_POLLERR), MP_ROM_INT(MP_STREAM_POLL_ERR) },
    { MP_ROM_QSTR(MP_QSTR_POLLHUP), MP_ROM_INT(MP_STREAM_POLL_HUP) },
};
static MP_DEFINE_CONST_DICT(select_globals, select_globals_table);
const mp_obj_module_t select_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&select_globals,
};
MP_REGISTER_MODULE(MP_QSTR_select, select_module);
