// umqtt._conn: the settings, argument checks and reconnect policy of a
// connection (the core's rules, forwarded), beside conn_glue.c's connection
// itself (conn.h: CONN_SETTINGS).
#include "conn.h"

// timed_out(self) -> the exception of a wait that timed out
mp_obj_t conn_timed_out(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) {
    io_t io;
    return core_error(begin(n_args, n_kw, args, 1, &io), ERR_TIMEOUT);
}

// needs_v5(self) -> the exception of an MQTT 5 call on a protocol 4 client
mp_obj_t conn_needs_v5(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) {
    io_t io;
    return core_error(begin(n_args, n_kw, args, 1, &io), ERR_NEED_V5);
}

// set_message_timeout(self, seconds): CONNACK (and the socket's opening)
// and the acknowledgements.
mp_obj_t conn_set_message_timeout(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) {
    io_t io;
    engine_t *e = begin(n_args, n_kw, args, 2, &io);
    io.i[0] = get_ms(args[1], MP_QSTR_message_timeout);
    run(e, OP_MESSAGE_TIMEOUT, &io);
    return mp_const_none;
}

// check_client(self, client_id, user, password, keepalive): the
// constructor's checks (the blocking client's)
mp_obj_t conn_check_client(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) {
    io_t io;
    engine_t *e = begin(n_args, n_kw, args, 5, &io);
    get_bytes(args[1], MP_QSTR_client_id);
    get_opt_bytes(args[2], MP_QSTR_user);
    get_opt_bytes(args[3], MP_QSTR_password);
    check_arg(e, ARG_KEEPALIVE, args[4], MP_QSTR_keepalive);
    return mp_const_none;
}

// check_will(self, topic, msg, qos): set_last_will()'s checks (the core's)
mp_obj_t conn_check_will(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) {
    io_t io;
    engine_t *e = begin(n_args, n_kw, args, 4, &io);
    io.a = get_bytes(args[1], MP_QSTR_topic);
    get_bytes(args[2], MP_QSTR_msg);
    io.i[0] = ARG_WILL_TOPIC;
    run(e, OP_ARG, &io);
    check_arg(e, ARG_QOS, args[3], MP_QSTR_qos);
    return mp_const_none;
}

// check_timeout(self, seconds): the blocking client's rule for a timeout
mp_obj_t conn_check_timeout(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) {
    io_t io;
    engine_t *e = begin(n_args, n_kw, args, 2, &io);
    io.i[0] = ARG_DURATION;
    io.i[1] = get_ms(args[1], MP_QSTR_timeout);
    run(e, OP_ARG, &io);
    return mp_const_none;
}

// check_port(self, port, ssl=False) -> the port to open: an int port's range
// and the default for 0 (the core's rules)
mp_obj_t conn_check_port(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) {
    io_t io;
    engine_t *e = begin_n(n_args, n_kw, args, 2, 3, &io);
    io.i[0] = ARG_PORT;
    io.i[1] = get_int(args[1], MP_QSTR_port);
    io.i[2] = n_args > 2 && mp_obj_is_true(args[2]);
    return r0(e, OP_ARG, &io);
}

// connect_step_ms(self) -> how long opening the socket may take (ms)
mp_obj_t conn_connect_step_ms(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) {
    io_t io;
    run(begin(n_args, n_kw, args, 1, &io), OP_CONNECT_STEP, &io);
    return mp_obj_new_int(io.r[0]);
}

// set_reconnect(self, attempts, min_delay, max_delay): seconds
mp_obj_t conn_set_reconnect(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) {
    io_t io;
    engine_t *e = begin(n_args, n_kw, args, 4, &io);
    // None: the core's default, as in the blocking client.
    io.i[0] = args[1] == mp_const_none ? NOT_GIVEN : get_int(args[1], MP_QSTR_attempts);
    io.i[1] = args[2] == mp_const_none ? NOT_GIVEN : get_ms(args[2], MP_QSTR_min_delay);
    io.i[2] = args[3] == mp_const_none ? NOT_GIVEN : get_ms(args[3], MP_QSTR_max_delay);
    run(e, OP_SET_RECONNECT, &io);
    return mp_const_none;
}

// reconnect_begin(self, seed)
mp_obj_t conn_reconnect_begin(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) {
    io_t io;
    engine_t *e = begin(n_args, n_kw, args, 2, &io);
    io.i[0] = get_int(args[1], MP_QSTR_seed) & 0xFFFFFFFF;
    run(e, OP_RECONNECT_BEGIN, &io);
    return mp_const_none;
}

// reconnect_failed(self, exc) -> ms to sleep, -1 give up, -2 raise
mp_obj_t conn_reconnect_failed(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) {
    io_t io;
    engine_t *e = begin(n_args, n_kw, args, 2, &io);
    classify(args[1], &io.i[0], &io.i[1]);
    return r0(e, OP_RECONNECT_FAILED, &io);
}

// should_reconnect(self, exc) -> bool
mp_obj_t conn_should_reconnect(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) {
    io_t io;
    engine_t *e = begin(n_args, n_kw, args, 2, &io);
    classify(args[1], &io.i[0], &io.i[1]);
    run(e, OP_SHOULD_RECONNECT, &io);
    return mp_obj_new_bool(io.r[0] != 0);
}

// reconnect_on(self) -> bool: set_reconnect() is on
mp_obj_t conn_reconnect_on(mp_obj_fun_bc_t *f, size_t n_args, size_t n_kw, mp_obj_t *args) {
    io_t io;
    run(begin(n_args, n_kw, args, 1, &io), OP_RECONNECT_ON, &io);
    return mp_obj_new_bool(io.r[0] != 0);
}
