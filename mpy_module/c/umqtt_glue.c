// umqtt.simple native module: the C glue between MicroPython and the Rust
// engine (src/lib.rs). It parses arguments, reads the client's attributes,
// builds objects and raises exceptions; the protocol is all in Rust.
//
// Rules kept here:
// - Rust never runs under a MicroPython call that may raise: every call the
//   Rust side makes into MicroPython (stream read/write/ioctl, select.poll,
//   ticks_ms) goes through protect(), which catches the exception (nlr) and
//   stores it in the engine; it is raised after Rust returned.
// - User callbacks run here, after umqtt_run() returned a message, with no
//   Rust frame on the stack.
// - No initialised data (.data): types and tables live in .bss and are filled
//   in mpy_init; heap objects are only referenced from heap objects.
#include "glue.h"
#include "convert.h"

// mpy_ld jumps to mpy_init from the start of the text with a short branch
// (+-2 KiB on Thumb-1): keep the entry point first (built with
// -fno-toplevel-reorder) and do the work in module_init at the end.
static mp_obj_t module_init(mp_obj_fun_bc_t *self);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    return module_init(self);
}

// ---------------------------------------------------------------------------
// Types (filled in mpy_init).

// MQTTException: umqtt/_exc.mpy's, else (simple.mpy alone) own_exc_type.
mp_obj_t mqtt_exc;
mp_obj_full_type_t own_exc_type;
mp_obj_full_type_t engine_type;

// ---------------------------------------------------------------------------
// _Engine (struct in glue.h).

static mp_obj_t import_attr(qstr module, qstr attr) {
    mp_obj_t m = mp_import_name(module, mp_const_none, MP_OBJ_NEW_SMALL_INT(0));
    return mp_load_attr(m, attr);
}

// Rust builds parts of a new engine on the stack (heapless containers with
// uninitialised spare capacity) and moves them in. Whatever earlier calls
// left on those stack bytes would land in the engine, which the collector
// scans conservatively: a stale pointer to a dropped client's engine keeps
// it alive, and it the one before (a leak of one engine per client that was
// closed without disconnect()). Clear that stack first: the init uses
// 2,920 bytes of it on x64 and about 1,060 on the 32-bit boards (measured
// by painting the stack, MQTT 5 and WebSockets built in).
static MP_NOINLINE void clear_stack(void) {
    volatile uint8_t buf[512 * sizeof(void *)];
    for (size_t i = 0; i < sizeof(buf); i++) {
        buf[i] = 0;
    }
}

static mp_obj_t engine_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw, const mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 0, 0, false);
    mp_obj_t ticks = import_attr(MP_QSTR_time, MP_QSTR_ticks_ms);
    mp_obj_t poll_new = import_attr(MP_QSTR_select, MP_QSTR_poll);
    engine_t *e = new_obj(sizeof(engine_t) + umqtt_engine_size(), type);
    e->ticks_ms = ticks;
    e->poll_new = poll_new;
    e->poller = MP_OBJ_NULL;
    e->poll_stream = MP_OBJ_NULL;
    e->poll_events = 0;
    e->pending = MP_OBJ_NULL;
    e->stream = MP_OBJ_NULL;
    e->mode = MODE_BLOCKING;
    e->busy = 0;
    e->user_timeout = 0;
    e->auth_cb = MP_OBJ_NULL;
    e->bytes_type = &mp_type_bytes;
    clear_stack();
    if (umqtt_engine_init(e->rust) != 0) {
        mp_raise_msg(&mp_type_RuntimeError, "cannot allocate MQTT buffers");
    }
    return MP_OBJ_FROM_PTR(e);
}

// objects. If that fails (MemoryError on a small heap) the application
// cannot get it, so the broker must not see it acknowledged: end the
// connection without its PUBACK/PUBREC (the broker redelivers it after a
// reconnect with clean_session=False), close the socket, raise.
static void take_message(call_t *c, mp_obj_t *args) {
    glue_nlr_buf_t nlr;
    if (GLUE_NLR_PUSH(&nlr) == 0) {
        args[0] = message_bytes(c->e->bytes_type, c->out.topic, c->out.topic_len);
        args[1] = message_bytes(c->e->bytes_type, c->out.payload, c->out.payload_len);
        mp_fun_table.nlr_pop();
        return;
    }
    engine_t *e = c->e;
    // The core remembers the loss: the next operation reconnects first.
    umqtt_abandon(e->rust);
    if (c->sock != mp_const_none) {
        mp_obj_t s = c->sock;
        protect(e, close_thunk, &s);
        e->pending = MP_OBJ_NULL;
    }
    nlr_raise(MP_OBJ_FROM_PTR(nlr.ret_val));
}

// Call self.cb(topic, msg), or after set_callback(f, details=True)
// self.cb(topic, msg, self._details(first byte)). No Rust frame is live.
static void call_cb(call_t *c, mp_obj_t *args) {
    mp_obj_t cb = mp_load_attr(c->self, MP_QSTR_cb);
    if (cb == mp_const_none) {
        return;
    }
    mp_obj_t details = mp_load_attr(c->self, MP_QSTR__details);
    size_t n = 2;
    if (details != mp_const_none) {
        mp_obj_t a[2] = { MP_OBJ_NEW_SMALL_INT(c->out.value), c->self };
        args[2] = mp_call_function_n_kw(details, 2, 0, a);
        n = 3;
    }
    mp_call_function_n_kw(cb, n, 0, args);
}

// Deliver one message to self.cb.
static void deliver(call_t *c) {
    mp_obj_t args[3];
    take_message(c, args);
    call_cb(c, args);
}

static void store_pid(call_t *c) {
    mp_store_attr(c->self, MP_QSTR_pid, MP_OBJ_NEW_SMALL_INT(umqtt_last_pid(c->e->rust)));
}

// Run a publish, subscribe, unsubscribe or resubscription to its end by the
// core's rules (after a reconnect it resends, or only waits for a message
// the session took), delivering messages meanwhile. With `rc` automatic
// reconnect applies (finish_rc); without (reconnect() itself) failures
// raise. Returns the outcome of the last round: value is the granted QoS of
// a SUBACK, or with `reason` set the reason code of an MQTT 5 ack.
static umqtt_out_t request(mp_obj_t self, const umqtt_req_t *req, bool rc) {
    // The pid attribute is what the next packet id follows, as in
    // umqtt.simple (a program may set it; a property on CPython). Checked
    // before begin(): a bad one raises with no call in progress.
    mp_int_t pid = -1;
    if (req->kind != REQ_PUBLISH || req->qos != 0) {
        pid = get_arg(mp_load_attr(self, MP_QSTR_pid), ARG_PID);
    }
    uint32_t waiting = 0;
    for (;;) {
        call_t c;
        if (rc) {
            begin_op(&c, self);
        } else {
            begin(&c, self, true);
        }
        if (pid >= 0) {
            umqtt_set_pid(c.e->rust, (uint32_t)pid);
            pid = -1;
        }
        uint32_t before = waiting;
        int st = umqtt_request(c.e->rust, c.e, req, &waiting, &c.out);
        st = rc ? finish_rc(&c, st) : finish(&c, st);
        if (waiting != before && waiting != 0) {
            store_pid(&c);
        }
        if (st == ST_OK) {
            return c.out;
        }
        if (st == ST_MESSAGE) {
            deliver(&c);
        }
        // ST_RECONNECTED: carry on on the new connection.
    }
}

// properties= of a call: None, or a dict encoded for a packet of ctx (the
// core's rules; a 3.1.1 client refuses any). The bytes object stays
// referenced by the caller's C stack until the call ends.
umqtt_bytes_t props_arg(mp_obj_t self, mp_obj_t props, int ctx) {
    umqtt_bytes_t none = { 0 };
    if (props == mp_const_none) {
        return none;
    }
    bool v5 = get_int_or_neg(mp_load_attr(self, MP_QSTR_protocol), MP_QSTR_protocol) == 5;
    mp_obj_t enc = props_encode(props, ctx, v5, mp_const_none);
    return enc == mp_const_none ? none : get_bytes(enc, MP_QSTR_properties);
}

// What an MQTT 5 ack said (its reason code), else None.
static mp_obj_t ack_code(const umqtt_out_t *o) {
    return o->reason ? MP_OBJ_NEW_SMALL_INT(o->value) : mp_const_none;
}

static mp_obj_t mqtt_ping(mp_obj_fun_bc_t *fun, size_t n_args, size_t n_kw, mp_obj_t *args) {
    const qstr names[1] = { MP_QSTR_self };
    mp_obj_t v[1] = { MP_OBJ_NULL };
    parse_args(n_args, n_kw, args, 1, 1, names, v);
    mp_obj_t self = v[0];
    call_t c;
    do {
        begin_op(&c, self);
    } while (finish_rc(&c, umqtt_ping(c.e->rust, c.e, &c.out)) == ST_RECONNECTED);
    return mp_const_none;
}

// publish(self, topic, msg, retain=False, qos=0, properties=None): MQTT 5
// QoS 1/2 returns the ack's reason code, else None.
static mp_obj_t mqtt_publish(mp_obj_fun_bc_t *fun, size_t n_args, size_t n_kw, mp_obj_t *args_in) {
    const qstr names[6] = { MP_QSTR_self, MP_QSTR_topic, MP_QSTR_msg, MP_QSTR_retain, MP_QSTR_qos,
                            MP_QSTR_properties };
    mp_obj_t args[6] = { MP_OBJ_NULL, MP_OBJ_NULL, MP_OBJ_NULL, mp_const_false, MP_OBJ_NEW_SMALL_INT(0),
                         mp_const_none };
    parse_args(n_args, n_kw, args_in, 3, 6, names, args);
    umqtt_req_t req;
    mp_fun_table.memset_(&req, 0, sizeof(req));
    req.kind = REQ_PUBLISH;
    req.topic = get_bytes(args[1], MP_QSTR_topic);
    req.msg = get_bytes(args[2], MP_QSTR_msg);
    req.qos = get_qos(args[4]);
    req.retain = mp_obj_is_true(args[3]);
    req.properties = props_arg(args[0], args[5], CTX_PUBLISH);
    umqtt_out_t out = request(args[0], &req, true);
    return ack_code(&out);
}

// subscribe(self, topic, qos=0, no_local=False, retain_as_published=False,
// retain_handling=0, properties=None) -> granted QoS; a list of (filter,
// qos) pairs: one SUBSCRIBE, the list of codes (no refusal raises).
static mp_obj_t mqtt_subscribe(mp_obj_fun_bc_t *fun, size_t n_args, size_t n_kw, mp_obj_t *args_in) {
    const qstr names[7] = { MP_QSTR_self, MP_QSTR_topic, MP_QSTR_qos, MP_QSTR_no_local,
                            MP_QSTR_retain_as_published, MP_QSTR_retain_handling, MP_QSTR_properties };
    mp_obj_t args[7] = { MP_OBJ_NULL, MP_OBJ_NULL, MP_OBJ_NEW_SMALL_INT(0), mp_const_false, mp_const_false,
                         MP_OBJ_NEW_SMALL_INT(0), mp_const_none };
    parse_args(n_args, n_kw, args_in, 2, 7, names, args);
    mp_obj_t self = args[0], topic = args[1];
    if (mp_load_attr(self, MP_QSTR_cb) == mp_const_none) {
        raise_error(ERR_NO_CALLBACK);
    }
    umqtt_req_t req;
    mp_fun_table.memset_(&req, 0, sizeof(req));
    req.kind = REQ_SUBSCRIBE;
    req.no_local = mp_obj_is_true(args[3]);
    req.retain_as_published = mp_obj_is_true(args[4]);
    // None: the default 0, as in the CPython binding.
    req.retain_handling = args[5] == mp_const_none ? 0 : get_int_or_neg(args[5], MP_QSTR_retain_handling);
    req.properties = props_arg(self, args[6], CTX_SUBSCRIBE);
    bool list = mp_obj_is_type(topic, &mp_type_list);
    if (list) {
        mp_obj_t *items;
        mp_obj_get_array(topic, &req.n_filters, &items);
        umqtt_filter_t *f = m_new(umqtt_filter_t, req.n_filters + 1);
        for (size_t i = 0; i < req.n_filters; i++) {
            mp_obj_t *fq = filter_pair(items[i]);
            f[i].topic = get_bytes(fq[0], MP_QSTR_topic);
            // An int in a pair (None is no default here, as on CPython).
            f[i].qos = get_arg(fq[1], ARG_QOS);
        }
        req.kind = REQ_SUBSCRIBE_LIST;
        req.filters = f;
    } else {
        req.topic = get_bytes(topic, MP_QSTR_topic);
        req.qos = get_qos(args[2]);
    }
    umqtt_out_t out = request(self, &req, true);
    if (!list) {
        return MP_OBJ_NEW_SMALL_INT(out.value);
    }
    uint8_t codes[16];
    size_t n = umqtt_codes(engine_of(self)->rust, codes, sizeof(codes));
    mp_obj_t r = mp_obj_new_list(0, NULL);
    for (size_t i = 0; i < n; i++) {
        mp_obj_list_append(r, MP_OBJ_NEW_SMALL_INT(codes[i]));
    }
    return r;
}

// unsubscribe(self, topic, properties=None): MQTT 5 returns the UNSUBACK's
// reason code, else None.
static mp_obj_t mqtt_unsubscribe(mp_obj_fun_bc_t *fun, size_t n_args, size_t n_kw, mp_obj_t *args) {
    const qstr names[3] = { MP_QSTR_self, MP_QSTR_topic, MP_QSTR_properties };
    mp_obj_t v[3] = { MP_OBJ_NULL, MP_OBJ_NULL, mp_const_none };
    parse_args(n_args, n_kw, args, 2, 3, names, v);
    umqtt_req_t req;
    mp_fun_table.memset_(&req, 0, sizeof(req));
    req.kind = REQ_UNSUBSCRIBE;
    req.topic = get_bytes(v[1], MP_QSTR_topic);
    req.properties = props_arg(v[0], v[2], CTX_UNSUBSCRIBE);
    umqtt_out_t out = request(v[0], &req, true);
    return ack_code(&out);
}

// reauthenticate(self, data=None): MQTT 5 re-authentication after a connect
// with set_auth() (whose on_challenge answers); messages arriving meanwhile
// are delivered.
static mp_obj_t mqtt_reauthenticate(mp_obj_fun_bc_t *fun, size_t n_args, size_t n_kw, mp_obj_t *args) {
    const qstr names[2] = { MP_QSTR_self, MP_QSTR_data };
    mp_obj_t v[2] = { MP_OBJ_NULL, mp_const_none };
    parse_args(n_args, n_kw, args, 1, 2, names, v);
    umqtt_bytes_t data = { 0 };
    if (v[1] != mp_const_none) {
        data = get_bytes(v[1], MP_QSTR_data);
    }
    mp_obj_t auth = mp_load_attr(v[0], MP_QSTR__auth);
    if (auth == mp_const_none) {
        raise_error(ERR_NO_AUTH);
    }
    uint64_t deadline = 0;
    for (int send = 1;; send = 0) {
        call_t c;
        begin(&c, v[0], true);
        c.e->auth_cb = auth;
        if (finish(&c, umqtt_reauth(c.e->rust, c.e, data, send, &deadline, &c.out)) != ST_MESSAGE) {
            return mp_const_none;
        }
        deliver(&c);
    }
}

// umqtt.simple leaves the socket blocking after wait_msg().
static void leave_blocking(call_t *c) {
    if (mp_obj_get_type(c->sock) == (const mp_obj_type_t *)&sockp_type) {
        // Recorded only; applied to the real socket when next used directly.
        ((sockp_t *)MP_OBJ_TO_PTR(c->sock))->mode = MODE_BLOCKING;
    } else if (c->sock != mp_const_none) {
        mp_obj_t dest[3];
        mp_load_method_maybe(c->sock, MP_QSTR_setblocking, dest);
        if (dest[0] != MP_OBJ_NULL) {
            dest[2] = mp_const_true;
            mp_fun_table.call_method_n_kw(1, 0, dest);
        }
    }
}

// wait_msg(self): process one packet; see PYAPI.md.
static mp_obj_t mqtt_wait_msg(mp_obj_fun_bc_t *fun, size_t n_args, size_t n_kw, mp_obj_t *args) {
    const qstr names[1] = { MP_QSTR_self };
    mp_obj_t v[1] = { MP_OBJ_NULL };
    parse_args(n_args, n_kw, args, 1, 1, names, v);
    mp_obj_t self = v[0];
    call_t c;
    int st;
    for (;;) {
        begin_op(&c, self);
        bool blocking = c.e->mode == MODE_BLOCKING;
        st = umqtt_run(c.e->rust, c.e, RUN_ONE, 0, &c.out);
        if (!blocking) {
            c.e->busy = 0;
            leave_blocking(&c);
            c.e->busy = 1;
        }
        st = finish_rc(&c, st);
        if (st != ST_RECONNECTED) {
            break;
        }
        // Reconnected: a blocking wait goes on on the new connection; a
        // non-blocking one (check_msg) or one with a timeout returns.
        if (!blocking) {
            return mp_const_none;
        }
    }
    if (st == ST_MESSAGE) {
        // Acknowledge right after the callback, even if it raised (the
        // message counts as delivered), as the CPython binding does; but not
        // a message that could not even be copied out (take_message raises).
        mp_obj_t first = MP_OBJ_NEW_SMALL_INT(c.out.value);
        mp_obj_t msg[3];
        take_message(&c, msg);
        glue_nlr_buf_t nlr;
        mp_obj_t exc = MP_OBJ_NULL;
        if (GLUE_NLR_PUSH(&nlr) == 0) {
            call_cb(&c, msg);
            mp_fun_table.nlr_pop();
        } else {
            exc = MP_OBJ_FROM_PTR(nlr.ret_val);
        }
        if (umqtt_has_queued(c.e->rust)) {
            call_t f;
            begin(&f, self, true);
            // After a reconnect the broker resends what was not acknowledged.
            finish_rc(&f, umqtt_flush(f.e->rust, f.e, &f.out));
        }
        if (exc != MP_OBJ_NULL) {
            nlr_raise(exc);
        }
        // As umqtt.simple: the PUBLISH's first byte (48 | flags).
        return first;
    }
    if (st == ST_PACKET) {
        return MP_OBJ_NEW_SMALL_INT(c.out.value);
    }
    // ST_IDLE: the PINGRESP of ping(), or nothing on a non-blocking socket.
    return mp_const_none;
}

// _resubscribe(self): restore the remembered subscriptions after connect()
// returned session present 0 (reconnect() in simple.py). Failures raise.
static mp_obj_t mqtt_resubscribe(mp_obj_fun_bc_t *fun, size_t n_args, size_t n_kw, mp_obj_t *args) {
    const qstr names[1] = { MP_QSTR_self };
    mp_obj_t v[1] = { MP_OBJ_NULL };
    parse_args(n_args, n_kw, args, 1, 1, names, v);
    umqtt_req_t req;
    mp_fun_table.memset_(&req, 0, sizeof(req));
    req.kind = REQ_RESUBSCRIBE;
    request(v[0], &req, false);
    return mp_const_none;
}

// check_msg(self): wait_msg() on a non-blocking socket; None at once while
// another call of this client is in progress (that call delivers).
static mp_obj_t mqtt_check_msg(mp_obj_fun_bc_t *fun, size_t n_args, size_t n_kw, mp_obj_t *args) {
    const qstr names[1] = { MP_QSTR_self };
    mp_obj_t v[1] = { MP_OBJ_NULL };
    parse_args(n_args, n_kw, args, 1, 1, names, v);
    mp_obj_t self = v[0];
    engine_t *e = engine_of(self);
    if (e->busy) {
        return mp_const_none;
    }
    if (umqtt_must_resume(e->rust)) {
        // The last reconnect gave up: try again (raises if it fails).
        call_reconnect(self);
    }
    mp_obj_t sock = mp_load_attr(self, MP_QSTR_sock);
    if (sock == mp_const_none) {
        not_connected();
    }
    if (mp_obj_get_type(sock) == (const mp_obj_type_t *)&sockp_type) {
        // Recorded only, as setblocking(False) on the wrapper does.
        ((sockp_t *)MP_OBJ_TO_PTR(sock))->mode = 0;
    } else {
        mp_obj_t f = mp_const_false;
        call_method(sock, MP_QSTR_setblocking, 1, &f);
    }
    // Through the method table: a subclass's wait_msg applies.
    mp_obj_t dest[2];
    mp_load_method(self, MP_QSTR_wait_msg, dest);
    return mp_fun_table.call_method_n_kw(0, 0, dest);
}

// ---------------------------------------------------------------------------

static mp_obj_t module_init(mp_obj_fun_bc_t *self) {
    MP_DYNRUNTIME_INIT_ENTRY

    // The package's one MQTTException (umqtt.aio raises it too); a board
    // given simple.mpy alone gets a class of its own.
    glue_nlr_buf_t nlr;
    if (GLUE_NLR_PUSH(&nlr) == 0) {
        mqtt_exc = import_mqtt_exception();
        mp_fun_table.nlr_pop();
    } else {
        mp_obj_exception_init(&own_exc_type, MP_QSTR_MQTTException, &mp_type_Exception);
        mqtt_exc = MP_OBJ_FROM_PTR(&own_exc_type);
    }
    mp_store_global(MP_QSTR_MQTTException, mqtt_exc);

    engine_type.base.type = (void *)&mp_type_type;
    engine_type.flags = MP_TYPE_FLAG_NONE;
    engine_type.name = MP_QSTR__Engine;
    MP_OBJ_TYPE_SET_SLOT(&engine_type, make_new, engine_make_new, 0);
    mp_store_global(MP_QSTR__Engine, MP_OBJ_FROM_PTR(&engine_type));

    sockp_type_init();
    mp_store_global(MP_QSTR__Sock, MP_OBJ_FROM_PTR(&sockp_type));

    mp_store_global(MP_QSTR__check_connect, MP_DYNRUNTIME_MAKE_FUNCTION(mqtt_check_connect));
    mp_store_global(MP_QSTR__connect, MP_DYNRUNTIME_MAKE_FUNCTION(mqtt_connect));
    mp_store_global(MP_QSTR__disconnect, MP_DYNRUNTIME_MAKE_FUNCTION(mqtt_disconnect));
    mp_store_global(MP_QSTR__ping, MP_DYNRUNTIME_MAKE_FUNCTION(mqtt_ping));
    mp_store_global(MP_QSTR__publish, MP_DYNRUNTIME_MAKE_FUNCTION(mqtt_publish));
    mp_store_global(MP_QSTR__subscribe, MP_DYNRUNTIME_MAKE_FUNCTION(mqtt_subscribe));
    mp_store_global(MP_QSTR__unsubscribe, MP_DYNRUNTIME_MAKE_FUNCTION(mqtt_unsubscribe));
    mp_store_global(MP_QSTR__wait_msg, MP_DYNRUNTIME_MAKE_FUNCTION(mqtt_wait_msg));
    mp_store_global(MP_QSTR__resubscribe, MP_DYNRUNTIME_MAKE_FUNCTION(mqtt_resubscribe));
    mp_store_global(MP_QSTR__check_msg, MP_DYNRUNTIME_MAKE_FUNCTION(mqtt_check_msg));
    mp_store_global(MP_QSTR__set_reconnect, MP_DYNRUNTIME_MAKE_FUNCTION(mqtt_set_reconnect));
    mp_store_global(MP_QSTR__set_timeouts, MP_DYNRUNTIME_MAKE_FUNCTION(mqtt_set_timeouts));
    mp_store_global(MP_QSTR__arg, MP_DYNRUNTIME_MAKE_FUNCTION(mqtt_arg));
    mp_store_global(MP_QSTR__check_client, MP_DYNRUNTIME_MAKE_FUNCTION(mqtt_check_client));
    mp_store_global(MP_QSTR__will, MP_DYNRUNTIME_MAKE_FUNCTION(mqtt_will));
    mp_store_global(MP_QSTR__retry_begin, MP_DYNRUNTIME_MAKE_FUNCTION(mqtt_retry_begin));
    mp_store_global(MP_QSTR__retry_failed, MP_DYNRUNTIME_MAKE_FUNCTION(mqtt_retry_failed));
    mp_store_global(MP_QSTR__ws_target, MP_DYNRUNTIME_MAKE_FUNCTION(mqtt_ws_target));
    mp_store_global(MP_QSTR__ws_headers, MP_DYNRUNTIME_MAKE_FUNCTION(mqtt_ws_headers));
    mp_store_global(MP_QSTR__ws_open, MP_DYNRUNTIME_MAKE_FUNCTION(mqtt_ws_open));
    mp_store_global(MP_QSTR__props, MP_DYNRUNTIME_MAKE_FUNCTION(mqtt_props));
    mp_store_global(MP_QSTR__v5props, MP_DYNRUNTIME_MAKE_FUNCTION(mqtt_v5props));
    mp_store_global(MP_QSTR__reauthenticate, MP_DYNRUNTIME_MAKE_FUNCTION(mqtt_reauthenticate));

    MP_DYNRUNTIME_INIT_EXIT
}
