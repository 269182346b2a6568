//! Session target: the protocol engine fed arbitrary broker bytes and timer
//! events, interleaved with the application's calls, in two modes:
//!
//! - `direct`: a `Session` driven by hand (frames from a framer over the
//!   broker stream, `handle_frame`, `poll_transmit`, `handle_timeout` at
//!   advancing times), checked against a model of what it must deliver,
//!   acknowledge, resend and report, plus liveness: no spurious timeout
//!   before `next_deadline()`, no deadline that is already due after the
//!   work is done, and a silent broker is detected within the configured
//!   bounds.
//! - `client`: the blocking `Client` over a fake `Host` that serves the
//!   broker stream in pieces, with silences, closes and non-blocking reads;
//!   checked for bounded waits (virtual time and host calls), one whole
//!   packet per write, stored frames matching the in-flight table, and the
//!   session dropped after every fatal error.
//!
//! Input layout: `[cfg] [n] [n op bytes] [broker stream...]`. cfg bit 0
//! picks the mode; bits 1-6 pick the timing configuration; bit 7 a small
//! receive buffer (client mode). Each op byte is `op | arg << 4`.

mod client;
mod direct;
mod model;

use umqtt_core::codec::Connect;
use umqtt_core::session::Config;
use umqtt_core::ProtocolVersion;

use crate::Input;

/// In-flight table size (small, so "full" is reachable). Inbound QoS 2 ids
/// have no limit (a bitmap over every packet id).
pub const INFLIGHT: usize = 4;

/// Timing configuration from cfg bits 1-6.
fn config(cfg: u8) -> Config {
    Config {
        response_timeout_ms: [30_000, 2_000, 1, 100][usize::from(cfg >> 1 & 3)],
        retransmit_ms: [10_000, 0, 500, 50][usize::from(cfg >> 3 & 3)],
        ping_timeout_ms: [None, Some(1_000), Some(0), Some(50)][usize::from(cfg >> 5 & 3)],
    }
}

/// Keepalive (seconds) for a CONNECT.
fn keepalive(arg: u8) -> u16 {
    [0, 1, 5, 60][usize::from(arg & 3)]
}

/// Milliseconds for a clock step or a broker silence.
fn millis(arg: u8) -> u64 {
    [
        0,
        1,
        10,
        100,
        499,
        500,
        999,
        1_000,
        1_500,
        3_750,
        10_000,
        29_999,
        30_000,
        60_000,
        3_600_000,
        1 << 40,
    ][usize::from(arg & 15)]
}

/// Publish topics: valid ones and each kind of invalid one.
fn topic(arg: u8) -> &'static [u8] {
    [
        &b"t"[..],
        b"a/b",
        b"",
        b"a/+",
        b"#",
        b"\xff",
        b"t\0",
        b"sensors/temp",
    ][usize::from(arg & 7)]
}

/// Subscription filters, valid and invalid.
fn filter(i: u8) -> &'static [u8] {
    [
        &b"a/#"[..],
        b"+/b",
        b"t",
        b"a/#/b",
        b"",
        b"#",
        b"a+",
        b"sensors/+",
    ][usize::from(i & 7)]
}

/// The payload of a publish (its length derived from the op).
fn payload(arg: u8) -> &'static [u8] {
    const P: [u8; 300] = [0x5a; 300];
    &P[..[0, 1, 2, 127, 128, 200, 300, 5][usize::from(arg >> 1 & 7)]]
}

/// A CONNECT; an empty client id with `clean_session = false` is refused
/// by the encoder, which is part of what is exercised.
fn connect(arg: u8) -> Connect<'static> {
    Connect {
        protocol: ProtocolVersion::V311,
        client_id: if arg & 8 != 0 && arg & 1 == 0 {
            b""
        } else {
            b"fuzz"
        },
        keepalive: keepalive(arg >> 1),
        clean_session: arg & 1 != 0,
        username: None,
        password: None,
        will: None,
    }
}

/// Longest time a silent broker may keep a session alive from `now`: the
/// next PINGREQ plus its timeout, or a response deadline (twice for QoS 2:
/// PUBREC restarts it for PUBCOMP), plus rounding slack.
fn silence_bound(cfg: &Config, keepalive_s: u16) -> u64 {
    let ping_timeout = match cfg.ping_timeout_ms {
        Some(ms) => u64::from(ms),
        None if keepalive_s == 0 => u64::from(cfg.response_timeout_ms),
        None => (u64::from(keepalive_s) * 500).max(1_000),
    };
    let ping = u64::from(keepalive_s) * 750 + ping_timeout;
    let response = 2 * u64::from(cfg.response_timeout_ms);
    ping.max(response) + 1_000
}

/// The harness.
pub fn run(data: &[u8]) {
    let mut input = Input::new(data);
    let cfg = input.byte();
    let n = usize::from(input.byte());
    let ops = input.take(n);
    let stream = input.rest();
    if cfg & 1 == 0 {
        direct::run(cfg, ops, stream);
    } else {
        client::run(cfg, ops, stream);
    }
}
