// The C side of the Rust <-> glue boundary; mirrors mpy_module/src/ffi.rs
// (#[repr(C)] structs and constants) and the entry points in src/lib.rs.
#ifndef UMQTT_FFI_H
#define UMQTT_FFI_H

#include <stddef.h>
#include <stdint.h>

// umqtt_bytes_t, umqtt_prop_t, PROP_*, CTX_* (shared with conn/conn_glue.c).
#include "props.h"

#define GLUE_EXC (-1)

// EXC_*: the core's exception classes (shared with conn/conn_glue.c).
#include "exc.h"

// umqtt_error codes.
#define ERR_BUSY 0
#define ERR_NO_CALLBACK 1
#define ERR_NOT_CONNECTED 2
#define ERR_NO_AUTH 3

// umqtt_check_arg kinds.
#define ARG_QOS 0
#define ARG_KEEPALIVE 1
#define ARG_PID 2
#define ARG_PROTOCOL 3
#define ARG_WILL_TOPIC 4
#define ARG_REASON_V4 5  // + 1: of an MQTT 5 client
#define ARG_PORT 7
#define ARG_DURATION 8  // a time in ms (negative: ValueError)

// Status codes of every umqtt_* entry point.
#define ST_OK 0
#define ST_MESSAGE 1
#define ST_IDLE 2
#define ST_PACKET 3
#define ST_ERROR (-1)
// Glue only: the connection failed and reconnect() brought it back.
#define ST_RECONNECTED (-2)

// umqtt_run wait kinds.
#define RUN_ACK 0
#define RUN_ONE 1
#define RUN_NONBLOCKING 2

typedef struct {
    int32_t kind;
    int32_t code;
    const uint8_t *msg;
    size_t msg_len;
    const uint8_t *topic;
    size_t topic_len;
    const uint8_t *payload;
    size_t payload_len;
    uint32_t value;
    // Set: an MQTT 5 refusal (msg: the reason string; raise
    // MQTTException(code, str or None)); after a request: value is the
    // reason code of its MQTT 5 ack (the call returns it).
    int32_t reason;
} umqtt_out_t;

typedef struct {
    umqtt_bytes_t client_id;
    umqtt_bytes_t user;
    umqtt_bytes_t password;
    umqtt_bytes_t will_topic;
    umqtt_bytes_t will_msg;
    int32_t has_user;
    int32_t has_password;
    int32_t has_will;
    int32_t will_qos;
    int32_t will_retain;
    int64_t keepalive;
    int32_t clean_session;
    int64_t timeout_ms;
    int32_t protocol;               // 4 or 5
    umqtt_bytes_t properties;       // MQTT 5: encoded CONNECT properties
    umqtt_bytes_t will_properties;  // and will properties (umqtt_props_encode)
    int32_t has_auth;               // answer AUTH challenges (glue_auth)
} umqtt_connect_args_t;

// umqtt_request kinds.
#define REQ_PUBLISH 0
#define REQ_SUBSCRIBE 1
#define REQ_UNSUBSCRIBE 2
#define REQ_RESUBSCRIBE 3
#define REQ_SUBSCRIBE_LIST 4

// One (filter, qos) of a subscribe() with a list.
typedef struct {
    umqtt_bytes_t topic;
    int32_t qos;
} umqtt_filter_t;

typedef struct {
    umqtt_bytes_t topic;
    umqtt_bytes_t msg;
    umqtt_bytes_t properties;  // MQTT 5: encoded properties
    const umqtt_filter_t *filters;  // REQ_SUBSCRIBE_LIST
    size_t n_filters;
    int32_t kind;
    int32_t qos;
    int32_t retain;
    int32_t no_local;  // MQTT 5 subscription options
    int32_t retain_as_published;
    int32_t retain_handling;
} umqtt_req_t;

// Where a WebSocket connection goes (umqtt_ws_target); is_ws 0: TCP.
typedef struct {
    int32_t is_ws;
    int32_t tls;
    uint32_t port;
    umqtt_bytes_t host;
    umqtt_bytes_t path;
} umqtt_ws_target_t;

// The opening handshake's request (umqtt_ws_open).
typedef struct {
    umqtt_bytes_t host;
    umqtt_bytes_t path;
    const umqtt_bytes_t *headers;  // n_headers (name, value) pairs, flattened
    size_t n_headers;
    uint32_t port;
    int32_t tls;
    int64_t timeout_ms;  // negative: the core's default
} umqtt_ws_args_t;

// umqtt_wsl operations (src/ws_aio.rs).
#define WSL_INIT 0
#define WSL_ACCEPT 1
#define WSL_FRAME 2
#define WSL_DECODE 3
#define WSL_DUE 4
#define WSL_REPLY 5
#define WSL_CHECK 6
#define WSL_CLOSE 7
#define WSL_FRAME_LEN 8

size_t umqtt_engine_size(void);
int umqtt_engine_init(void *eng);
int umqtt_check_connect(const umqtt_connect_args_t *args, umqtt_out_t *out);
uint32_t umqtt_connect_step_ms(void *eng, int64_t timeout_ms);
int umqtt_connect(void *eng, void *io, const umqtt_connect_args_t *args, umqtt_out_t *out);
int umqtt_request(void *eng, void *io, const umqtt_req_t *req, uint32_t *waiting, umqtt_out_t *out);
size_t umqtt_codes(void *eng, uint8_t *buf, size_t cap);
int umqtt_props_encode(int ctx, int v5, const umqtt_prop_t *items, size_t n, uint8_t *buf, size_t cap,
    umqtt_out_t *out);
int umqtt_prop_at(void *eng, int which, size_t index, umqtt_prop_t *item);
int umqtt_reauth(void *eng, void *io, umqtt_bytes_t data, int send, uint64_t *deadline, umqtt_out_t *out);
int umqtt_run(void *eng, void *io, int kind, uint32_t id, umqtt_out_t *out);
int umqtt_flush(void *eng, void *io, umqtt_out_t *out);
int umqtt_ping(void *eng, void *io, umqtt_out_t *out);
int umqtt_disconnect(void *eng, void *io, int reason, umqtt_bytes_t properties, umqtt_out_t *out);
int umqtt_is_connected(void *eng);
void umqtt_abandon(void *eng);
uint32_t umqtt_last_pid(void *eng);
void umqtt_set_pid(void *eng, uint32_t pid);
int umqtt_set_reconnect(void *eng, int64_t attempts, int64_t min_ms, int64_t max_ms, umqtt_out_t *out);
int umqtt_set_timeouts(void *eng, int64_t socket_ms, int64_t message_ms, umqtt_out_t *out);
int umqtt_check_arg(int what, int64_t v, umqtt_bytes_t topic, umqtt_out_t *out);
int umqtt_error(int code, umqtt_out_t *out);
int umqtt_must_resume(void *eng);
int umqtt_should_reconnect(void *eng, int kind, int code);
void umqtt_closed(void *eng);
void umqtt_reconnect_begin(void *eng, uint32_t seed);
int64_t umqtt_reconnect_failed(void *eng, int kind, int code);
int umqtt_ws_target(umqtt_bytes_t server, uint32_t port, int ssl, umqtt_bytes_t transport, umqtt_bytes_t path,
    umqtt_ws_target_t *t, umqtt_out_t *out);
int umqtt_ws_open(void *eng, void *io, const umqtt_ws_args_t *args, umqtt_out_t *out);
size_t umqtt_wsl_size(void);
int umqtt_wsl_request(void *layer, const umqtt_ws_args_t *args, umqtt_bytes_t nonce, uint8_t *buf, size_t cap,
    size_t *n, umqtt_out_t *out);
int umqtt_wsl(void *layer, int op, umqtt_bytes_t data, umqtt_bytes_t mask, uint8_t *buf, size_t cap, size_t *n,
    umqtt_out_t *out);

#endif
