// What the Rust engine calls: exception catching, and the
// glue_* primitives of src/ffi.rs (stream I/O, waits, clock, memory).
#include "glue.h"

int glue_poisoned;

// ---------------------------------------------------------------------------
// Catching exceptions (see glue.h).

int protect(engine_t *e, void (*f)(void *), void *arg) {
    glue_nlr_buf_t nlr;
    if (GLUE_NLR_PUSH(&nlr) == 0) {
        f(arg);
        mp_fun_table.nlr_pop();
        return 0;
    }
    // nlr_jump already unlinked the buffer.
    e->pending = MP_OBJ_FROM_PTR(nlr.ret_val);
    return GLUE_EXC;
}

// ---------------------------------------------------------------------------
// Primitives for the Rust host (src/host.rs). `io` is the engine_t.

typedef struct {
    engine_t *e;
    void *buf;
    size_t len;
    mp_uint_t ret;
    int err;
    mp_uint_t events;
    mp_int_t timeout;
} io_call_t;

static void read_thunk(void *arg) {
    io_call_t *c = arg;
    mp_obj_t s = c->e->stream;
    c->ret = mp_get_stream(s)->read(s, c->buf, c->len, &c->err);
}

static void write_thunk(void *arg) {
    io_call_t *c = arg;
    mp_obj_t s = c->e->stream;
    c->ret = mp_get_stream(s)->write(s, c->buf, c->len, &c->err);
}

static void ioctl_poll_thunk(void *arg) {
    io_call_t *c = arg;
    mp_obj_t s = c->e->stream;
    c->ret = mp_get_stream(s)->ioctl(s, MP_STREAM_POLL, c->events, &c->err);
}

// Block in select.poll until the stream is ready or the timeout passed;
// c->ret: the events ipoll() reported (0: timed out).
static void wait_thunk(void *arg) {
    io_call_t *c = arg;
    engine_t *e = c->e;
    if (e->poller == MP_OBJ_NULL || e->poll_stream != e->stream) {
        e->poller = MP_OBJ_NULL;
        mp_obj_t poller = mp_call_function_n_kw(e->poll_new, 0, 0, NULL);
        mp_obj_t a[2] = { e->stream, MP_OBJ_NEW_SMALL_INT(c->events) };
        call_method(poller, MP_QSTR_register, 2, a);
        // The function behind poller.ipoll, looked up once per poller.
        mp_obj_t dest[2];
        mp_load_method(poller, MP_QSTR_ipoll, dest);
        e->ipoll = dest[0];
        e->poller = poller;
        e->poll_stream = e->stream;
        e->poll_events = c->events;
    } else if (e->poll_events != c->events) {
        mp_obj_t a[2] = { e->stream, MP_OBJ_NEW_SMALL_INT(c->events) };
        call_method(e->poller, MP_QSTR_modify, 2, a);
        e->poll_events = c->events;
    }
    // ipoll() reuses its result tuple: no allocation per wait. Its answer
    // (only our stream is registered) saves asking the stream again; for a
    // TLS stream it is the socket's readiness, which is all that is left to
    // know once MP_STREAM_POLL said no decrypted bytes are waiting.
    mp_obj_t call[3] = { e->ipoll, e->poller, MP_OBJ_NEW_SMALL_INT(c->timeout) };
    mp_obj_t ready = mp_fun_table.call_method_n_kw(1, 0, call);
    mp_obj_iter_buf_t iter;
    mp_fun_table.getiter(ready, &iter);
    mp_obj_t item = mp_fun_table.iternext(&iter);
    c->ret = 0;
    if (item != MP_OBJ_STOP_ITERATION) {
        size_t n;
        mp_obj_t *ev;
        mp_obj_get_array(item, &n, &ev);
        if (n >= 2) {
            c->ret = (mp_uint_t)mp_obj_get_int(ev[1]);
        }
    }
}

static void ticks_thunk(void *arg) {
    io_call_t *c = arg;
    mp_obj_t t = mp_call_function_n_kw(c->e->ticks_ms, 0, 0, NULL);
    c->ret = (mp_uint_t)mp_obj_get_int_truncated(t);
}

size_t glue_ticks_ms(void *io) {
    io_call_t c = { .e = io };
    if (protect(io, ticks_thunk, &c) != 0) {
        return 0;
    }
    return c.ret;
}

size_t glue_ticks_mask(void) {
    // ticks_ms() wraps at MICROPY_PY_TIME_TICKS_PERIOD, the small-int range.
    return MP_SMALL_INT_POSITIVE_MASK;
}

void glue_user_timeout(void *io) {
    ((engine_t *)io)->user_timeout = 1;
}

int32_t glue_sock_mode(void *io) {
    engine_t *e = io;
    return e->mode > 0x7fffffff ? 0x7fffffff : (int)e->mode;
}

static int stream_result(io_call_t *c, size_t *n) {
    if (c->ret == MP_STREAM_ERROR) {
        *n = 0;
        // Some ports report "would block" as ETIMEDOUT on a socket with a
        // timeout; both mean "no data now" after MP_STREAM_POLL said ready.
        return c->err == MP_EAGAIN ? 11 : c->err;
    }
    *n = c->ret;
    return 0;
}

int32_t glue_read(void *io, uint8_t *buf, size_t len, size_t *n) {
    io_call_t c = { .e = io, .buf = buf, .len = len };
    if (protect(io, read_thunk, &c) != 0) {
        return GLUE_EXC;
    }
    return stream_result(&c, n);
}

int32_t glue_write(void *io, const uint8_t *buf, size_t len, size_t *n) {
    io_call_t c = { .e = io, .buf = (void *)buf, .len = len };
    if (protect(io, write_thunk, &c) != 0) {
        return GLUE_EXC;
    }
    return stream_result(&c, n);
}

int32_t glue_poll(void *io, uint32_t events, int32_t timeout_ms, uint32_t *ready) {
    engine_t *e = io;
    io_call_t c = { .e = e, .events = events, .timeout = timeout_ms };
    const mp_uint_t any = events | MP_STREAM_POLL_ERR | MP_STREAM_POLL_HUP;
    // The stream first: it knows about buffered (e.g. decrypted) bytes.
    if (protect(e, ioctl_poll_thunk, &c) != 0) {
        return GLUE_EXC;
    }
    if (c.ret == MP_STREAM_ERROR) {
        *ready = 0;
        return c.err;
    }
    if ((c.ret & any) == 0 && timeout_ms != 0) {
        if (protect(e, wait_thunk, &c) != 0) {
            return GLUE_EXC;
        }
    }
    *ready = (uint32_t)c.ret;
    return 0;
}

static void random_thunk(void *arg) {
    io_call_t *c = arg;
    mp_obj_t os = mp_import_name(MP_QSTR_os, mp_const_none, MP_OBJ_NEW_SMALL_INT(0));
    mp_obj_t n = MP_OBJ_NEW_SMALL_INT(c->len);
    mp_obj_t b = mp_call_function_n_kw(mp_load_attr(os, MP_QSTR_urandom), 1, 0, &n);
    mp_buffer_info_t bi;
    mp_get_buffer_raise(b, &bi, MP_BUFFER_READ);
    if (bi.len != c->len) {
        mp_raise_ValueError("os.urandom: short result");
    }
    mp_fun_table.memmove_(c->buf, bi.buf, c->len);
}

// os.urandom(len) into buf: the WebSocket nonce and masks (the unix port
// and the boards' ports all have it).
int32_t glue_random(void *io, uint8_t *buf, size_t len) {
    io_call_t c = { .e = io, .buf = buf, .len = len };
    return protect(io, random_thunk, &c);
}

uint8_t *glue_realloc(uint8_t *ptr, size_t len) {
    if (len == 0) {
        m_free(ptr);
        return NULL;
    }
    return m_realloc(ptr, len);
}

void glue_panic(void) {
    glue_poisoned = 1;
    mp_raise_msg(&mp_type_RuntimeError, "umqtt: internal error");
}

