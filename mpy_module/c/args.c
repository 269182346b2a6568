// Arguments: Python values to what the core checks (its rules decide), and
// the natives that only configure the engine or ask the core a rule
// (set_reconnect, timeouts, _arg, _will, the reconnect policy, _ws_target).
#include "glue.h"
#include "convert.h"
#include "ws_args.h"

// bytes/str/bytearray argument -> (ptr, len); TypeError otherwise.
umqtt_bytes_t get_bytes(mp_obj_t o, qstr what) {
    mp_buffer_info_t bi;
    buffer_arg(o, what, &bi);
    umqtt_bytes_t b = { bi.buf, bi.len };
    return b;
}

// Methods are made with MP_DYNRUNTIME_MAKE_FUNCTION: such functions bind
// self when stored in a Python class (builtin functions would behave as
// staticmethods there) and receive the raw call: n_args positional values,
// then n_kw (name, value) pairs. Fill vals[i] for names[i] (self first);
// the first n_req are required, the others keep the defaults in vals.
void parse_args(size_t n_args, size_t n_kw, const mp_obj_t *args, size_t n_req, size_t n_names,
    const qstr *names, mp_obj_t *vals) {
    if (n_args > n_names) {
        mp_raise_TypeError("too many arguments");
    }
    for (size_t i = 0; i < n_args; i++) {
        vals[i] = args[i];
    }
    for (size_t k = 0; k < n_kw; k++) {
        mp_obj_t key = args[n_args + 2 * k];
        size_t i = 1;
        while (i < n_names && key != MP_OBJ_NEW_QSTR(names[i])) {
            i++;
        }
        if (i == n_names) {
            mp_raise_TypeError("unexpected keyword argument");
        }
        if (i < n_args) {
            mp_raise_TypeError("argument given twice");
        }
        vals[i] = args[n_args + 2 * k + 1];
    }
    for (size_t i = 0; i < n_req; i++) {
        if (vals[i] == MP_OBJ_NULL) {
            mp_raise_TypeError("missing required argument");
        }
    }
}

// An int argument named `what` (c/convert.h); a big int is -1, out of
// every range.
mp_int_t get_int_or_neg(mp_obj_t o, qstr what) {
    return (mp_int_t)int_arg(o, what, -1);
}

// The argument name of the core's rule ARG_* (for a TypeError).
static qstr arg_name(int what) {
    switch (what) {
        case ARG_QOS:
            return MP_QSTR_qos;
        case ARG_KEEPALIVE:
            return MP_QSTR_keepalive;
        case ARG_PID:
            return MP_QSTR_pid;
        case ARG_PROTOCOL:
            return MP_QSTR_protocol;
        case ARG_PORT:
            return MP_QSTR_port;
        default:
            return MP_QSTR_reason;
    }
}

// An int argument checked by the core's rule ARG_*.
mp_int_t get_arg(mp_obj_t o, int what) {
    mp_int_t v = get_int_or_neg(o, arg_name(what));
    umqtt_out_t out;
    umqtt_bytes_t none = { 0, 0 };
    if (umqtt_check_arg(what, v, none, &out) == ST_ERROR) {
        raise_out(&out);
    }
    return v;
}

mp_int_t get_qos(mp_obj_t o) {
    // None means the default QoS 0, as in the CPython binding.
    return o == mp_const_none ? 0 : get_arg(o, ARG_QOS);
}

// Seconds to ms for the core (c/convert.h); None: the default.
int64_t get_ms(mp_obj_t t, qstr what) {
    return t == mp_const_none ? NOT_GIVEN : seconds_to_ms(t, what);
}

// The core's exception class id and code of a Python exception, for its
// retry rules (c/exc.h).
void classify(mp_obj_t exc, int *kind, int *code) {
    classify_exc(exc, mqtt_exc, kind, code);
}

// _set_reconnect(self, attempts, min_delay, max_delay): the core's policy.
mp_obj_t mqtt_set_reconnect(mp_obj_fun_bc_t *fun, size_t n_args, size_t n_kw, mp_obj_t *args) {
    const qstr names[4] = { MP_QSTR_self, MP_QSTR_attempts, MP_QSTR_min_delay, MP_QSTR_max_delay };
    mp_obj_t v[4] = { MP_OBJ_NULL, MP_OBJ_NULL, MP_OBJ_NULL, MP_OBJ_NULL };
    parse_args(n_args, n_kw, args, 4, 4, names, v);
    umqtt_out_t out;
    // Past a small int: as many as the core counts (negative: refused).
    int64_t attempts = v[1] == mp_const_none ? NOT_GIVEN : int_arg(v[1], MP_QSTR_attempts, INT64_MAX);
    int64_t min_delay = get_ms(v[2], MP_QSTR_min_delay), max_delay = get_ms(v[3], MP_QSTR_max_delay);
    if (umqtt_set_reconnect(engine_of(v[0])->rust, attempts, min_delay, max_delay, &out) == ST_ERROR) {
        raise_out(&out);
    }
    return mp_const_none;
}

// _set_timeouts(self, socket_timeout, message_timeout): seconds or None.
mp_obj_t mqtt_set_timeouts(mp_obj_fun_bc_t *fun, size_t n_args, size_t n_kw, mp_obj_t *args) {
    const qstr names[3] = { MP_QSTR_self, MP_QSTR_socket_timeout, MP_QSTR_message_timeout };
    mp_obj_t v[3] = { MP_OBJ_NULL, MP_OBJ_NULL, MP_OBJ_NULL };
    parse_args(n_args, n_kw, args, 3, 3, names, v);
    umqtt_out_t out;
    int64_t socket_ms = get_ms(v[1], MP_QSTR_socket_timeout), message_ms = get_ms(v[2], MP_QSTR_message_timeout);
    if (umqtt_set_timeouts(engine_of(v[0])->rust, socket_ms, message_ms, &out) == ST_ERROR) {
        raise_out(&out);
    }
    return mp_const_none;
}

// _arg(value, what): the core's rule ARG_* for an int (returns it).
mp_obj_t mqtt_arg(mp_obj_fun_bc_t *fun, size_t n_args, size_t n_kw, mp_obj_t *args) {
    const qstr names[2] = { MP_QSTR_value, MP_QSTR_what };
    mp_obj_t v[2] = { MP_OBJ_NULL, MP_OBJ_NULL };
    parse_args(n_args, n_kw, args, 2, 2, names, v);
    return MP_OBJ_NEW_SMALL_INT(get_arg(v[0], MP_OBJ_SMALL_INT_VALUE(v[1])));
}

// _check_client(client_id, user, password, keepalive): the constructor's
// checks, before any I/O (user and password may be None).
mp_obj_t mqtt_check_client(mp_obj_fun_bc_t *fun, size_t n_args, size_t n_kw, mp_obj_t *args) {
    const qstr names[4] = { MP_QSTR_client_id, MP_QSTR_user, MP_QSTR_password, MP_QSTR_keepalive };
    mp_obj_t v[4] = { MP_OBJ_NULL, MP_OBJ_NULL, MP_OBJ_NULL, MP_OBJ_NULL };
    parse_args(n_args, n_kw, args, 4, 4, names, v);
    for (int i = 0; i < 3; i++) {
        if (i == 0 || v[i] != mp_const_none) {
            get_bytes(v[i], names[i]);
        }
    }
    get_arg(v[3], ARG_KEEPALIVE);
    return mp_const_none;
}

// _will(topic, msg, qos) -> qos: set_last_will()'s checks (core rules).
mp_obj_t mqtt_will(mp_obj_fun_bc_t *fun, size_t n_args, size_t n_kw, mp_obj_t *args) {
    const qstr names[3] = { MP_QSTR_topic, MP_QSTR_msg, MP_QSTR_qos };
    mp_obj_t v[3] = { MP_OBJ_NULL, MP_OBJ_NULL, MP_OBJ_NULL };
    parse_args(n_args, n_kw, args, 3, 3, names, v);
    umqtt_bytes_t topic = get_bytes(v[0], MP_QSTR_topic);
    get_bytes(v[1], MP_QSTR_msg);
    mp_int_t q = get_qos(v[2]);
    umqtt_out_t out;
    if (umqtt_check_arg(ARG_WILL_TOPIC, 0, topic, &out) == ST_ERROR) {
        raise_out(&out);
    }
    return MP_OBJ_NEW_SMALL_INT(q);
}

// _retry_begin(self, seed): reconnect() starts (simple.py).
mp_obj_t mqtt_retry_begin(mp_obj_fun_bc_t *fun, size_t n_args, size_t n_kw, mp_obj_t *args) {
    const qstr names[2] = { MP_QSTR_self, MP_QSTR_seed };
    mp_obj_t v[2] = { MP_OBJ_NULL, MP_OBJ_NULL };
    parse_args(n_args, n_kw, args, 2, 2, names, v);
    umqtt_reconnect_begin(engine_of(v[0])->rust, (uint32_t)mp_obj_get_int_truncated(v[1]));
    return mp_const_none;
}

// _retry_failed(self, exc) -> ms to sleep before the next attempt; raises
// exc when the core's policy says so (given up, or not retryable).
mp_obj_t mqtt_retry_failed(mp_obj_fun_bc_t *fun, size_t n_args, size_t n_kw, mp_obj_t *args) {
    const qstr names[2] = { MP_QSTR_self, MP_QSTR_exc };
    mp_obj_t v[2] = { MP_OBJ_NULL, MP_OBJ_NULL };
    parse_args(n_args, n_kw, args, 2, 2, names, v);
    int kind, code;
    classify(v[1], &kind, &code);
    int64_t ms = umqtt_reconnect_failed(engine_of(v[0])->rust, kind, code);
    if (ms < 0) {
        nlr_raise(v[1]);
    }
    return mp_obj_new_int_from_uint((mp_uint_t)ms);
}

// _ws_target(server, port, ssl, transport, ws_path) -> (host, port, tls, path):
// the core's rules for transport=, ws:// URLs and the default port; path None
// for MQTT over TCP.
mp_obj_t mqtt_ws_target(mp_obj_fun_bc_t *fun, size_t n_args, size_t n_kw, mp_obj_t *args) {
    const qstr names[5] = { MP_QSTR_server, MP_QSTR_port, MP_QSTR_ssl, MP_QSTR_transport, MP_QSTR_ws_path };
    mp_obj_t v[5] = { MP_OBJ_NULL, MP_OBJ_NULL, MP_OBJ_NULL, MP_OBJ_NULL, MP_OBJ_NULL };
    parse_args(n_args, n_kw, args, 5, 5, names, v);
    umqtt_ws_target_t t;
    umqtt_out_t out;
    if (umqtt_ws_target(ws_server(v[0]), ws_port(v[1]), mp_obj_is_true(v[2]), get_bytes(v[3], MP_QSTR_transport),
        get_bytes(v[4], MP_QSTR_ws_path), &t, &out) == ST_ERROR) {
        raise_out(&out);
    }
    return ws_target_tuple(v[0], t.is_ws, t.port, t.tls, t.host, t.path);
}

// _ws_headers(ws_headers) -> a tuple of (name, value) (c/ws_args.h).
mp_obj_t mqtt_ws_headers(mp_obj_fun_bc_t *fun, size_t n_args, size_t n_kw, mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 1, 1, false);
    return ws_headers_tuple(args[0]);
}
