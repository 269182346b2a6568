// umqtt.simple native module: one call of a method into the engine, its
// frame (begin ... finish: the engine taken, the socket's mode, what is
// raised afterwards, the socket closed when the connection is over) and the
// automatic reconnect around the operations (set_reconnect()).
#include "glue.h"

// ---------------------------------------------------------------------------
// Calls into the engine.

static mp_obj_t mqtt_class(void) {
    return mqtt_exc;
}

// Raise what the core's table says for a failed call (out.kind/code/msg).
void raise_out(const umqtt_out_t *o) {
    nlr_raise(exc_make(mqtt_class, o->kind, o->code, o->msg, o->msg_len, o->reason));
}

// Raise one of the core's errors (ERR_*).
void raise_error(int code) {
    umqtt_out_t out;
    umqtt_error(code, &out);
    raise_out(&out);
}

void not_connected(void) {
    raise_error(ERR_NOT_CONNECTED);
}

// Load self._e and self.sock for an operation. Raises before anything runs.
engine_t *engine_of(mp_obj_t self) {
    mp_obj_t eo = mp_load_attr(self, MP_QSTR__e);
    if (mp_obj_get_type(eo) != (const mp_obj_type_t *)&engine_type) {
        mp_raise_TypeError("MQTTClient not initialised");
    }
    return MP_OBJ_TO_PTR(eo);
}

// begin() with the engine already looked up (begin_op: one lookup per call).
static void begin_with(call_t *c, engine_t *eng, mp_obj_t self, bool need_sock) {
    if (glue_poisoned) {
        mp_raise_msg(&mp_type_RuntimeError, "umqtt: internal error");
    }
    c->self = self;
    c->e = eng;
    if (c->e->busy) {
        raise_error(ERR_BUSY);
    }
    c->sock = mp_load_attr(self, MP_QSTR_sock);
    engine_t *e = c->e;
    if (c->sock == mp_const_none) {
        if (need_sock) {
            not_connected();
        }
        e->stream = MP_OBJ_NULL;
        e->mode = MODE_BLOCKING;
    } else if (mp_obj_get_type(c->sock) == (const mp_obj_type_t *)&sockp_type) {
        sockp_t *p = MP_OBJ_TO_PTR(c->sock);
        e->stream = p->sock;
        e->mode = p->mode;
        if (p->applied != 0 && umqtt_is_connected(e->rust)) {
            // The engine never blocks inside the stream (it polls with its own
            // deadlines, so socket_timeout bounds a write too): the real socket
            // stays non-blocking; the wrapper restores the caller's mode when
            // the socket is used directly. (Not on a closed one: the engine
            // says "not connected" there.)
            mp_obj_t f = mp_const_false;
            call_method(p->sock, MP_QSTR_setblocking, 1, &f);
            p->applied = 0;
        }
    } else {
        // A stream the user put there: its mode cannot be known.
        e->stream = c->sock;
        e->mode = MODE_BLOCKING;
    }
    if (e->stream != MP_OBJ_NULL) {
        mp_get_stream_raise(e->stream, MP_STREAM_OP_READ | MP_STREAM_OP_WRITE | MP_STREAM_OP_IOCTL);
    }
    mp_fun_table.memset_(&c->out, 0, sizeof(c->out));
    e->pending = MP_OBJ_NULL;
    e->user_timeout = 0;
    e->busy = 1;
}

void begin(call_t *c, mp_obj_t self, bool need_sock) {
    begin_with(c, engine_of(self), self, need_sock);
}

void close_thunk(void *arg) {
    mp_obj_t s = *(mp_obj_t *)arg;
    mp_obj_t dest[2];
    mp_load_method_maybe(s, MP_QSTR_close, dest);
    if (dest[0] != MP_OBJ_NULL) {
        mp_fun_table.call_method_n_kw(0, 0, dest);
    }
}

// After an engine call: release the engine, close a dead connection (or any
// connection with `close`), raise what went wrong.
int finish_close(call_t *c, int st, bool close) {
    engine_t *e = c->e;
    e->busy = 0;
    mp_obj_t pending = e->pending;
    e->pending = MP_OBJ_NULL;
    if (st == ST_ERROR && !umqtt_is_connected(e->rust)) {
        close = true;
    }
    if (close && c->sock != mp_const_none) {
        // The connection is over (or never came up): like the CPython
        // binding, close the socket; a failing close changes nothing.
        mp_obj_t s = c->sock;
        protect(e, close_thunk, &s);
        e->pending = MP_OBJ_NULL;
    }
    if (pending != MP_OBJ_NULL) {
        nlr_raise(pending);
    }
    if (st != ST_ERROR) {
        return st;
    }
    if (c->out.kind == EXC_PENDING && e->user_timeout) {
        nlr_raise(exc_make(mqtt_class, EXC_OSERROR, MP_ETIMEDOUT, NULL, 0, 0));
    }
    raise_out(&c->out);
    return st;
}

int finish(call_t *c, int st) {
    return finish_close(c, st, false);
}

// ---------------------------------------------------------------------------
// Automatic reconnect (set_reconnect(); the loop is reconnect() in
// py/simple.py, the same shape as the CPython binding's reconnect.rs).

// self.reconnect(), through the method table (a subclass's version applies).
void call_reconnect(mp_obj_t self) {
    mp_obj_t dest[2];
    mp_load_method(self, MP_QSTR_reconnect, dest);
    mp_fun_table.call_method_n_kw(0, 0, dest);
}

// Whether the failure of this call is one automatic reconnect takes over
// (the core's rule, on the pending exception or the core's error).
static bool should_reconnect(call_t *c) {
    int kind = c->out.kind, code = c->out.code;
    if (c->e->pending != MP_OBJ_NULL) {
        classify(c->e->pending, &kind, &code);
    }
    return umqtt_should_reconnect(c->e->rust, kind, code);
}

// finish() for the operations automatic reconnect covers: with
// set_reconnect() on, a failure that lost the connection is not raised; the
// socket is closed, self.reconnect() runs (its exception propagates if it
// gives up) and ST_RECONNECTED tells the caller to carry on.
int finish_rc(call_t *c, int st) {
    engine_t *e = c->e;
    if (st == ST_ERROR && should_reconnect(c)) {
        e->pending = MP_OBJ_NULL;
        finish_close(c, ST_OK, true);
        call_reconnect(c->self);
        return ST_RECONNECTED;
    }
    return finish(c, st);
}

// begin() for an operation: with automatic reconnect on, a connection that
// failed and was not brought back (reconnect() gave up) is retried first.
void begin_op(call_t *c, mp_obj_t self) {
    engine_t *e = engine_of(self);
    if (!e->busy && umqtt_must_resume(e->rust)) {
        call_reconnect(self);
    }
    begin_with(c, e, self, true);
}

