// connect(), the WebSocket opening handshake and disconnect(): opening and
// closing a connection on self.sock (sockets are opened by simple.py's
// _open). The operations on an open connection are in umqtt_glue.c.
#include "glue.h"
#include "ws_args.h"

// Read the CONNECT fields from the client's attributes.
static void connect_args(mp_obj_t self, umqtt_connect_args_t *a) {
    mp_fun_table.memset_(a, 0, sizeof(*a));
    a->client_id = get_bytes(mp_load_attr(self, MP_QSTR_client_id), MP_QSTR_client_id);
    mp_obj_t user = mp_load_attr(self, MP_QSTR_user);
    if (user != mp_const_none) {
        a->user = get_bytes(user, MP_QSTR_user);
        a->has_user = 1;
    }
    mp_obj_t pswd = mp_load_attr(self, MP_QSTR_pswd);
    if (pswd != mp_const_none) {
        a->password = get_bytes(pswd, MP_QSTR_pswd);
        a->has_password = 1;
    }
    mp_obj_t lw_topic = mp_load_attr(self, MP_QSTR_lw_topic);
    if (lw_topic != mp_const_none) {
        a->will_topic = get_bytes(lw_topic, MP_QSTR_lw_topic);
        // An empty will topic means "no will", as in umqtt.simple.
        if (a->will_topic.len > 0) {
            a->has_will = 1;
            a->will_msg = get_bytes(mp_load_attr(self, MP_QSTR_lw_msg), MP_QSTR_lw_msg);
            a->will_qos = get_qos(mp_load_attr(self, MP_QSTR_lw_qos));
            a->will_retain = mp_obj_is_true(mp_load_attr(self, MP_QSTR_lw_retain));
        }
    }
    a->keepalive = get_int_or_neg(mp_load_attr(self, MP_QSTR_keepalive), MP_QSTR_keepalive);
    a->timeout_ms = -1;
    // MQTT 5: the encoded properties simple.py keeps, set_auth()'s callback.
    a->protocol = get_int_or_neg(mp_load_attr(self, MP_QSTR_protocol), MP_QSTR_protocol);
    mp_obj_t props = mp_load_attr(self, MP_QSTR__cprops);
    if (props != mp_const_none) {
        a->properties = get_bytes(props, MP_QSTR_properties);
    }
    props = mp_load_attr(self, MP_QSTR__wprops);
    if (a->has_will && props != mp_const_none) {
        a->will_properties = get_bytes(props, MP_QSTR_properties);
    }
    a->has_auth = mp_load_attr(self, MP_QSTR__auth) != mp_const_none;
}

static void check_connect_args(const umqtt_connect_args_t *a) {
    umqtt_out_t out;
    if (umqtt_check_connect(a, &out) == ST_ERROR) {
        raise_out(&out);
    }
}

// _check_connect(self, clean_session, timeout) -> ms: validate the
// attributes before connect() opens a socket, with the clean_session of this
// very call; returns how long opening the socket (TCP and TLS) may take.
mp_obj_t mqtt_check_connect(mp_obj_fun_bc_t *fun, size_t n_args, size_t n_kw, mp_obj_t *args) {
    const qstr names[3] = { MP_QSTR_self, MP_QSTR_clean_session, MP_QSTR_timeout };
    mp_obj_t v[3] = { MP_OBJ_NULL, MP_OBJ_NULL, MP_OBJ_NULL };
    parse_args(n_args, n_kw, args, 3, 3, names, v);
    umqtt_connect_args_t a;
    connect_args(v[0], &a);
    a.clean_session = mp_obj_is_true(v[1]);
    check_connect_args(&a);
    // A plain attribute here (a property on CPython): its range at connect().
    get_arg(mp_load_attr(v[0], MP_QSTR_pid), ARG_PID);
    // timeout None: MODE_BLOCKING (-1), "none given" to the core.
    return mp_obj_new_int_from_uint(umqtt_connect_step_ms(engine_of(v[0])->rust, timeout_to_mode(v[2])));
}

// _connect(self, clean_session, timeout): MQTT handshake on self.sock.
mp_obj_t mqtt_connect(mp_obj_fun_bc_t *fun, size_t n_args, size_t n_kw, mp_obj_t *args) {
    const qstr names[3] = { MP_QSTR_self, MP_QSTR_clean_session, MP_QSTR_timeout };
    mp_obj_t v[3] = { MP_OBJ_NULL, mp_const_true, mp_const_none };
    parse_args(n_args, n_kw, args, 1, 3, names, v);
    mp_obj_t self = v[0], clean = v[1], timeout = v[2];
    umqtt_connect_args_t a;
    connect_args(self, &a);
    a.clean_session = mp_obj_is_true(clean);
    if (timeout != mp_const_none) {
        a.timeout_ms = timeout_to_mode(timeout);
    }
    check_connect_args(&a);
    mp_obj_t pid = mp_load_attr(self, MP_QSTR_pid);
    call_t c;
    begin(&c, self, true);
    umqtt_set_pid(c.e->rust, (uint32_t)mp_obj_get_int(pid));
    c.e->auth_cb = mp_load_attr(self, MP_QSTR__auth);
    // A failed handshake leaves the session disconnected: finish() closes.
    finish(&c, umqtt_connect(c.e->rust, c.e, &a, &c.out));
    return MP_OBJ_NEW_SMALL_INT(c.out.value);
}

// disconnect(self, reason=0, properties=None): DISCONNECT (MQTT 5: with a
// reason code, e.g. 4 to have the will sent), then close the socket
// whatever happened.
mp_obj_t mqtt_disconnect(mp_obj_fun_bc_t *fun, size_t n_args, size_t n_kw, mp_obj_t *args) {
    const qstr names[3] = { MP_QSTR_self, MP_QSTR_reason, MP_QSTR_properties };
    mp_obj_t v[3] = { MP_OBJ_NULL, MP_OBJ_NEW_SMALL_INT(0), mp_const_none };
    parse_args(n_args, n_kw, args, 1, 3, names, v);
    mp_obj_t self = v[0];
    bool v5 = get_int_or_neg(mp_load_attr(self, MP_QSTR_protocol), MP_QSTR_protocol) == 5;
    // None: the default 0, as in the CPython binding.
    mp_int_t reason = v[1] == mp_const_none ? 0 : get_arg(v[1], ARG_REASON_V4 + v5);
    umqtt_bytes_t props = props_arg(self, v[2], CTX_DISCONNECT);
    call_t c;
    begin(&c, self, false);
    if (c.sock == mp_const_none || !umqtt_is_connected(c.e->rust)) {
        // Gone on purpose: automatic reconnect does not bring it back.
        umqtt_closed(c.e->rust);
        // No connection (never made, lost, or already closed): only close what
        // is left, like the CPython binding, so disconnect() is safe in finally:.
        finish_close(&c, ST_OK, true);
        return mp_const_none;
    }
    finish_close(&c, umqtt_disconnect(c.e->rust, c.e, (int)reason, props, &c.out), true);
    return mp_const_none;
}

// _ws_open(self, target, headers, timeout): the WebSocket opening handshake on
// self.sock for a _ws_target() result (headers: a list of (name, value)), or
// with target None: MQTT over TCP on this connection.
mp_obj_t mqtt_ws_open(mp_obj_fun_bc_t *fun, size_t n_args, size_t n_kw, mp_obj_t *args) {
    const qstr names[4] = { MP_QSTR_self, MP_QSTR_target, MP_QSTR_headers, MP_QSTR_timeout };
    mp_obj_t v[4] = { MP_OBJ_NULL, MP_OBJ_NULL, MP_OBJ_NULL, MP_OBJ_NULL };
    parse_args(n_args, n_kw, args, 4, 4, names, v);
    if (v[1] == mp_const_none) {
        engine_t *e = engine_of(v[0]);
        umqtt_out_t out;
        umqtt_ws_open(e->rust, e, NULL, &out);
        return mp_const_none;
    }
    ws_args_t w;
    ws_args(v[1], v[2], &w);
    umqtt_ws_args_t a = {
        .host = w.host,
        .path = w.path,
        .headers = w.hb,
        .n_headers = w.n_headers,
        .port = (uint32_t)w.port,
        .tls = w.tls,
        .timeout_ms = v[3] == mp_const_none ? -1 : timeout_to_mode(v[3]),
    };
    call_t c;
    begin(&c, v[0], true);
    // A refused handshake leaves the session disconnected: finish() closes.
    finish(&c, umqtt_ws_open(c.e->rust, c.e, &a, &c.out));
    return mp_const_none;
}
