// umqtt._sign native module: the C glue of sign/src/lib.rs. It converts
// objects and allocates the result; the HMAC and encodings are the core's.
#include "py/dynruntime.h"

#define KIND_HEX 0
#define KIND_B64_ENCODE 1
#define KIND_B64_DECODE 2
#define KIND_QUOTE 3

intptr_t umqtt_sign_hmac(uint32_t sha256, const uint8_t *key, size_t key_len, const uint8_t *msg, size_t msg_len,
    uint8_t *out);
size_t umqtt_sign_encoded_len(uint32_t kind, const uint8_t *data, size_t len);
intptr_t umqtt_sign_encode(uint32_t kind, const uint8_t *data, size_t len, uint8_t *out, size_t cap);

static mp_obj_t module_init(mp_obj_fun_bc_t *self);

// Entry point first in the text (see umqtt_glue.c).
mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    return module_init(self);
}

void sign_glue_panic(void) {
    mp_raise_msg(&mp_type_RuntimeError, "umqtt._sign: internal error");
}

// bytes, bytearray, memoryview or str (its UTF-8 bytes).
static void get_data(mp_obj_t o, mp_buffer_info_t *buf) {
    mp_get_buffer_raise(o, buf, MP_BUFFER_READ);
}

static mp_obj_t mac(size_t n_args, size_t n_kw, mp_obj_t *args, uint32_t sha256) {
    mp_arg_check_num(n_args, n_kw, 2, 2, false);
    mp_buffer_info_t key, msg;
    get_data(args[0], &key);
    get_data(args[1], &msg);
    uint8_t out[32];
    intptr_t n = umqtt_sign_hmac(sha256, key.buf, key.len, msg.buf, msg.len, out);
    if (n < 0) {
        sign_glue_panic();
    }
    return mp_obj_new_bytes(out, (size_t)n);
}

// hmac_sha1(key, msg) -> 20 bytes
static mp_obj_t sign_hmac_sha1(mp_obj_fun_bc_t *fun, size_t n_args, size_t n_kw, mp_obj_t *args) {
    return mac(n_args, n_kw, args, 0);
}

// hmac_sha256(key, msg) -> 32 bytes
static mp_obj_t sign_hmac_sha256(mp_obj_fun_bc_t *fun, size_t n_args, size_t n_kw, mp_obj_t *args) {
    return mac(n_args, n_kw, args, 1);
}

static mp_obj_t encode(size_t n_args, size_t n_kw, mp_obj_t *args, uint32_t kind) {
    mp_arg_check_num(n_args, n_kw, 1, 1, false);
    mp_buffer_info_t in;
    get_data(args[0], &in);
    size_t cap = umqtt_sign_encoded_len(kind, in.buf, in.len);
    // One byte more so that an empty result is still a valid allocation.
    uint8_t *out = m_malloc(cap + 1);
    intptr_t n = umqtt_sign_encode(kind, in.buf, in.len, out, cap);
    if (n < 0) {
        m_free(out);
        if (n == -2) {
            mp_raise_ValueError("invalid base64");
        }
        sign_glue_panic();
    }
    mp_obj_t r = kind == KIND_B64_DECODE ? mp_obj_new_bytes(out, (size_t)n) : mp_obj_new_str((const char *)out, (size_t)n);
    m_free(out);
    return r;
}

// hex(data) -> str
static mp_obj_t sign_hex(mp_obj_fun_bc_t *fun, size_t n_args, size_t n_kw, mp_obj_t *args) {
    return encode(n_args, n_kw, args, KIND_HEX);
}

// b64encode(data) -> str
static mp_obj_t sign_b64encode(mp_obj_fun_bc_t *fun, size_t n_args, size_t n_kw, mp_obj_t *args) {
    return encode(n_args, n_kw, args, KIND_B64_ENCODE);
}

// b64decode(text) -> bytes
static mp_obj_t sign_b64decode(mp_obj_fun_bc_t *fun, size_t n_args, size_t n_kw, mp_obj_t *args) {
    return encode(n_args, n_kw, args, KIND_B64_DECODE);
}

// quote(data) -> str
static mp_obj_t sign_quote(mp_obj_fun_bc_t *fun, size_t n_args, size_t n_kw, mp_obj_t *args) {
    return encode(n_args, n_kw, args, KIND_QUOTE);
}

static mp_obj_t module_init(mp_obj_fun_bc_t *self) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_hmac_sha1, MP_DYNRUNTIME_MAKE_FUNCTION(sign_hmac_sha1));
    mp_store_global(MP_QSTR_hmac_sha256, MP_DYNRUNTIME_MAKE_FUNCTION(sign_hmac_sha256));
    mp_store_global(MP_QSTR_hex, MP_DYNRUNTIME_MAKE_FUNCTION(sign_hex));
    mp_store_global(MP_QSTR_b64encode, MP_DYNRUNTIME_MAKE_FUNCTION(sign_b64encode));
    mp_store_global(MP_QSTR_b64decode, MP_DYNRUNTIME_MAKE_FUNCTION(sign_b64decode));
    mp_store_global(MP_QSTR_quote, MP_DYNRUNTIME_MAKE_FUNCTION(sign_quote));
    MP_DYNRUNTIME_INIT_EXIT
}
