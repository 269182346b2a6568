// _Sock: the wrapper around the socket that connect() makes.
#include "glue.h"
#include "convert.h"

mp_obj_full_type_t sockp_type;
mp_stream_p_t sockp_stream_p;
mp_map_elem_t sockp_locals_table[2];
static MP_DEFINE_CONST_DICT(sockp_locals_dict, sockp_locals_table);

// ---------------------------------------------------------------------------
// _Sock: wraps the socket that connect() made. MicroPython sockets cannot
// report whether they are blocking, yet wait_msg() must honour a socket that
// the caller (umqtt.robust) made non-blocking: the wrapper records
// setblocking()/settimeout() and forwards everything else (attributes and
// the stream protocol, so select.poll() and stream reads work on it too).

// mp_obj_malloc() of dynruntime writes through a NULL block on OOM.
void *new_obj(size_t size, const mp_obj_type_t *type) {
    mp_obj_base_t *o = alloc_or_raise(size);
    o->type = type;
    return o;
}

mp_obj_t call_method(mp_obj_t obj, qstr name, size_t n, const mp_obj_t *args) {
    mp_obj_t dest[4];
    mp_load_method(obj, name, dest);
    for (size_t i = 0; i < n && i < 2; i++) {
        dest[2 + i] = args[i];
    }
    return mp_fun_table.call_method_n_kw(n, 0, dest);
}

// Bring the real socket to the recorded mode (may raise).
static void sockp_sync(sockp_t *p) {
    if (p->applied == p->mode) {
        return;
    }
    if (p->mode > 0) {
        call_method(p->sock, MP_QSTR_settimeout, 1, &p->timeout_arg);
    } else {
        mp_obj_t flag = mp_obj_new_bool(p->mode != 0);
        call_method(p->sock, MP_QSTR_setblocking, 1, &flag);
    }
    p->applied = p->mode;
}

// settimeout()'s argument in ms: -1 for None, else at least 1 if positive
// (get_ms); negative: the core's ValueError.
mp_int_t timeout_to_mode(mp_obj_t t) {
    if (t == mp_const_none) {
        return MODE_BLOCKING;
    }
    int64_t v = get_ms(t, MP_QSTR_timeout);
    umqtt_out_t out;
    umqtt_bytes_t none = { 0, 0 };
    if (umqtt_check_arg(ARG_DURATION, v, none, &out) == ST_ERROR) {
        raise_out(&out);
    }
    return v > MP_SMALL_INT_MAX ? MP_SMALL_INT_MAX : (mp_int_t)v;
}

static mp_obj_t sockp_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw, const mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 1, 2, false);
    mp_get_stream_raise(args[0], MP_STREAM_OP_READ | MP_STREAM_OP_WRITE | MP_STREAM_OP_IOCTL);
    mp_obj_t t = n_args > 1 ? args[1] : mp_const_none;
    mp_int_t mode = timeout_to_mode(t);
    sockp_t *p = new_obj(sizeof(sockp_t), type);
    p->sock = args[0];
    p->mode = mode;
    p->applied = mode;  // connect() set it on the socket already
    p->timeout_arg = t;
    return MP_OBJ_FROM_PTR(p);
}

static mp_obj_t sockp_setblocking(mp_obj_t self_in, mp_obj_t flag) {
    sockp_t *p = MP_OBJ_TO_PTR(self_in);
    p->mode = mp_obj_is_true(flag) ? MODE_BLOCKING : 0;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(sockp_setblocking_obj, sockp_setblocking);

static mp_obj_t sockp_settimeout(mp_obj_t self_in, mp_obj_t t) {
    sockp_t *p = MP_OBJ_TO_PTR(self_in);
    mp_int_t mode = timeout_to_mode(t);
    p->mode = mode;
    p->timeout_arg = t;
    if (mode > 0) {
        // A timeout is forwarded now so a bad value raises here.
        p->applied = MODE_BLOCKING - 1;
        sockp_sync(p);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(sockp_settimeout_obj, sockp_settimeout);

static void sockp_attr(mp_obj_t self_in, qstr attr, mp_obj_t *dest) {
    if (dest[0] != MP_OBJ_NULL) {
        return;  // stores and deletes are refused
    }
    if (attr == MP_QSTR_setblocking || attr == MP_QSTR_settimeout) {
        dest[1] = MP_OBJ_SENTINEL;  // look in locals_dict
        return;
    }
    // Any other attribute is the real socket's, in the mode asked for.
    sockp_t *p = MP_OBJ_TO_PTR(self_in);
    sockp_sync(p);
    dest[0] = mp_load_attr(p->sock, attr);
}

static mp_uint_t sockp_read(mp_obj_t self_in, void *buf, mp_uint_t size, int *errcode) {
    sockp_t *p = MP_OBJ_TO_PTR(self_in);
    sockp_sync(p);
    const mp_stream_p_t *sp = mp_get_stream(p->sock);
    return sp->read(p->sock, buf, size, errcode);
}

static mp_uint_t sockp_write(mp_obj_t self_in, const void *buf, mp_uint_t size, int *errcode) {
    sockp_t *p = MP_OBJ_TO_PTR(self_in);
    sockp_sync(p);
    const mp_stream_p_t *sp = mp_get_stream(p->sock);
    return sp->write(p->sock, buf, size, errcode);
}

static mp_uint_t sockp_ioctl(mp_obj_t self_in, mp_uint_t request, uintptr_t arg, int *errcode) {
    sockp_t *p = MP_OBJ_TO_PTR(self_in);
    const mp_stream_p_t *sp = mp_get_stream(p->sock);
    return sp->ioctl(p->sock, request, arg, errcode);
}

void sockp_type_init(void) {
    sockp_stream_p.read = sockp_read;
    sockp_stream_p.write = sockp_write;
    sockp_stream_p.ioctl = sockp_ioctl;
    sockp_locals_table[0] = (mp_map_elem_t) { MP_OBJ_NEW_QSTR(MP_QSTR_setblocking), MP_OBJ_FROM_PTR(&sockp_setblocking_obj) };
    sockp_locals_table[1] = (mp_map_elem_t) { MP_OBJ_NEW_QSTR(MP_QSTR_settimeout), MP_OBJ_FROM_PTR(&sockp_settimeout_obj) };
    sockp_type.base.type = (void *)&mp_type_type;
    sockp_type.flags = MP_TYPE_FLAG_NONE;
    sockp_type.name = MP_QSTR__Sock;
    MP_OBJ_TYPE_SET_SLOT(&sockp_type, make_new, sockp_make_new, 0);
    MP_OBJ_TYPE_SET_SLOT(&sockp_type, attr, sockp_attr, 1);
    MP_OBJ_TYPE_SET_SLOT(&sockp_type, protocol, &sockp_stream_p, 2);
    MP_OBJ_TYPE_SET_SLOT(&sockp_type, locals_dict, (void *)&sockp_locals_dict, 3);
}
