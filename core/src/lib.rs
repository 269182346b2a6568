//! umqtt-core: a `no_std`, allocation-free, sans-IO MQTT 3.1.1 and 5.0
//! client engine (the protocol is chosen by the CONNECT: `connect` or
//! `connect_v5`).
//!
//! Layers, bottom up:
//! - [`codec`]: zero-copy encode/decode of MQTT packets into caller slices.
//! - [`framer`]: incremental framing of a byte stream into whole packets.
//! - [`session`]: the protocol state machine ([`session::Session`]): packet
//!   ids, in-flight QoS 1/2, inbound QoS 2, keepalive. It owns no socket and
//!   reads no clock: the caller passes bytes and the time in milliseconds.
//! - [`connection`]: the sans-IO connection ([`connection::Connection`]):
//!   session, framer, transmit buffer, the stored frames of in-flight QoS
//!   1/2 messages, the subscriptions and the reconnect state; bytes in,
//!   events and bytes out, deadlines.
//! - [`client`]: a blocking driver ([`client::Client`]) looping over the
//!   connection and a caller-supplied [`client::Host`] (clock + byte
//!   stream), with umqtt.simple's waits and [`client::Request`] (publish /
//!   subscribe across reconnects). Both Python bindings are thin wrappers
//!   around it, so they behave the same.
//! - [`subscriptions`] and [`backoff`]: what reconnecting needs, shared by
//!   the bindings: the registry of granted subscriptions (restored when a
//!   broker lost the session) and jittered exponential delays; the policy
//!   itself (retry or raise, delays, give up, the "lost" state) is
//!   [`connection::Policy`] / [`connection::Connection::reconnect_failed`].
//! - [`args`] and [`error::Error::report`]: the Python API's argument rules
//!   and the one table from errors to exceptions and codes
//!   (spec/PYAPI.md), so the bindings decide nothing.
//! - [`codec::v5`] and [`v5`]: MQTT 5: the codec (properties, reason codes,
//!   every packet) and its session parts (topic aliases, flow control, the
//!   broker's limits), wired into the session (`session::v5`: v5 packets,
//!   [`session::Extra`]), the connection (`connect_v5`, `publish_v5`,
//!   `last_properties`, `connack_properties`, topic aliases both ways) and
//!   the client (`connect_v5`, `client::Op::PublishV5`, ...). Feature `v5`
//!   (default on): without it a 3.1.1-only build does not link them.
//! - [`ws`] (feature `ws`, on by default): MQTT over WebSockets, a sans-IO
//!   byte-stream layer under the MQTT connection (handshake and framing).
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod args;
pub mod backoff;
pub mod buffer;
pub mod client;
pub mod codec;
pub mod connection;
pub mod error;
pub mod framer;
pub mod session;
pub mod sign;
pub mod subscriptions;
mod types;
#[cfg(feature = "v5")]
pub mod v5;
#[cfg(feature = "ws")]
pub mod ws;

pub use buffer::Buffer;
#[cfg(feature = "v5")]
pub use error::PropertyError;
pub use error::{ArgError, Error, ExcKind, ProtocolError, Report};
pub use types::{PacketId, ProtocolVersion, QoS};
