//! The boundary with the C glue (`c/umqtt_glue.c`; its header
//! `umqtt_ffi.h` is generated from this crate by cbindgen, see
//! `cbindgen.toml`). Rust never touches MicroPython's data structures or
//! `mp_fun_table`: everything goes through these few C functions, which
//! catch any MicroPython exception (nlr) so that nothing ever long-jumps over
//! Rust frames. Their contract: return 0 on success, a positive errno from the
//! stream, or `GLUE_EXC` when a Python exception was caught and stored in the
//! engine (the glue raises it after Rust has returned).
use core::ffi::c_void;

/// A Python exception is pending in the glue.
pub const GLUE_EXC: i32 = -1;
/// `MP_STREAM_POLL_RD` / `_WR` / `_ERR` / `_HUP` (Linux-compatible values).
pub const POLL_RD: u32 = 0x0001;
pub const POLL_WR: u32 = 0x0004;
pub const POLL_ERR: u32 = 0x0008;
pub const POLL_HUP: u32 = 0x0010;
/// Errno values MicroPython uses on every port.
pub const EAGAIN: i32 = 11;
pub use umqtt_core::error::code::{EIO, ETIMEDOUT};

extern "C" {
    /// `time.ticks_ms()` (wraps at `glue_ticks_mask() + 1`).
    pub fn glue_ticks_ms(io: *mut c_void) -> usize;
    pub fn glue_ticks_mask() -> usize;
    /// Socket mode seen by the glue for this call: -1 blocking, 0 non-blocking,
    /// n > 0 timeout of n ms (set by the caller through `sock.settimeout`).
    pub fn glue_sock_mode(io: *mut c_void) -> i32;
    /// The timeout the caller set on the socket ran out: the glue raises
    /// OSError(ETIMEDOUT) and keeps the connection (as the CPython binding).
    pub fn glue_user_timeout(io: *mut c_void);
    /// Stream read; `*n == 0` with status 0 is end of stream.
    pub fn glue_read(io: *mut c_void, buf: *mut u8, len: usize, n: *mut usize) -> i32;
    /// Stream write of at most `len` bytes; `*n` is what was taken.
    pub fn glue_write(io: *mut c_void, buf: *const u8, len: usize, n: *mut usize) -> i32;
    /// Readiness (`POLL_*` flags in `*ready`) after waiting at most
    /// `timeout_ms` (0: just ask, -1: no limit) for one of `events`.
    pub fn glue_poll(io: *mut c_void, events: u32, timeout_ms: i32, ready: *mut u32) -> i32;
    /// `m_realloc` on the MicroPython heap (never raises; null on failure;
    /// `len == 0` frees).
    pub fn glue_realloc(ptr: *mut u8, len: usize) -> *mut u8;
    /// `os.urandom(len)` into `buf` (the WebSocket nonce and masks).
    #[cfg(feature = "ws")]
    pub fn glue_random(io: *mut c_void, buf: *mut u8, len: usize) -> i32;
    /// MQTT 5 enhanced authentication: the application's answer to an AUTH
    /// challenge with `data`, at most `cap` bytes into `answer`, its length
    /// in `*n`.
    #[cfg(feature = "v5")]
    pub fn glue_auth(
        io: *mut c_void,
        data: *const u8,
        len: usize,
        answer: *mut u8,
        cap: usize,
        n: *mut usize,
    ) -> i32;
    /// Last resort after a bug: raises RuntimeError and marks the module
    /// unusable. Only reached from the panic handler.
    pub fn glue_panic() -> !;
}

/// Status returned by every entry point.
pub const ST_OK: i32 = 0;
pub const ST_MESSAGE: i32 = 1;
pub const ST_IDLE: i32 = 2;
pub const ST_PACKET: i32 = 3;
pub const ST_ERROR: i32 = -1;

/// Results handed back to the glue. Pointers borrow the engine's buffers and
/// stay valid until the next call into the engine.
#[repr(C)]
pub struct Out {
    pub kind: i32,
    pub code: i32,
    pub msg: *const u8,
    pub msg_len: usize,
    pub topic: *const u8,
    pub topic_len: usize,
    pub payload: *const u8,
    pub payload_len: usize,
    /// Packet id, session-present flag, packet type byte or granted QoS.
    pub value: u32,
    /// 1: an MQTT 5 refusal or server DISCONNECT; `msg` is the packet's
    /// reason string (none: `msg_len` 0), raised as
    /// MQTTException(code, reason_string or None).
    pub reason: i32,
}

/// A byte string from Python (`ptr` may be null when `len == 0`).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Bytes {
    pub ptr: *const u8,
    pub len: usize,
}

impl Bytes {
    /// # Safety
    /// `ptr` must point to `len` readable bytes that outlive `'a`.
    pub unsafe fn as_slice<'a>(self) -> &'a [u8] {
        if self.ptr.is_null() || self.len == 0 {
            &[]
        } else {
            // SAFETY: guaranteed by the caller (a Python buffer kept alive by
            // the arguments of the running call).
            unsafe { core::slice::from_raw_parts(self.ptr, self.len) }
        }
    }
}

/// Arguments of CONNECT, read by the glue from the client's attributes.
#[repr(C)]
pub struct ConnectArgs {
    pub client_id: Bytes,
    pub user: Bytes,
    pub password: Bytes,
    pub will_topic: Bytes,
    pub will_msg: Bytes,
    pub has_user: i32,
    pub has_password: i32,
    pub has_will: i32,
    pub will_qos: i32,
    pub will_retain: i32,
    pub keepalive: i64,
    pub clean_session: i32,
    /// CONNACK wait in ms; negative: the default response timeout.
    pub timeout_ms: i64,
    /// 4 (MQTT 3.1.1) or 5.
    pub protocol: i32,
    /// MQTT 5: encoded CONNECT and will properties (`umqtt_props_encode`).
    pub properties: Bytes,
    pub will_properties: Bytes,
    /// MQTT 5: answer AUTH challenges through `glue_auth`.
    pub has_auth: i32,
}

/// One filter of a subscribe() with a list.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Filter {
    pub topic: Bytes,
    pub qos: i32,
}

/// What `umqtt_request` does (`kind`: REQ_*).
#[repr(C)]
pub struct ReqArgs {
    pub topic: Bytes,
    pub msg: Bytes,
    /// Encoded properties (MQTT 5).
    pub properties: Bytes,
    /// REQ_SUBSCRIBE_LIST: the filters.
    pub filters: *const Filter,
    pub n_filters: usize,
    pub kind: i32,
    pub qos: i32,
    pub retain: i32,
    /// Subscription options (MQTT 5).
    pub no_local: i32,
    pub retain_as_published: i32,
    pub retain_handling: i32,
}

/// A property between the glue and the core: its name, and a value by
/// `kind` (PROP_*): `num`, `a`, or the pair `a`, `b`. `list`: the Python
/// dict has it in a list (one item of a list to send; a received
/// user_property or subscription_identifier).
#[repr(C)]
pub struct PropItem {
    pub name: Bytes,
    pub a: Bytes,
    pub b: Bytes,
    pub num: i64,
    pub kind: i32,
    pub list: i32,
}

/// Where a WebSocket connection goes (`umqtt_ws_target`); `is_ws` 0: TCP.
#[repr(C)]
pub struct WsTargetOut {
    pub is_ws: i32,
    pub tls: i32,
    pub port: u32,
    pub host: Bytes,
    pub path: Bytes,
}

/// The opening handshake's request (`umqtt_ws_open`).
#[repr(C)]
pub struct WsArgs {
    pub host: Bytes,
    pub path: Bytes,
    /// `n_headers` (name, value) pairs, flattened.
    pub headers: *const Bytes,
    pub n_headers: usize,
    pub port: u32,
    pub tls: i32,
    /// Handshake bound in ms; negative: the core's default.
    pub timeout_ms: i64,
}
