//! MQTT 5 session parts: each is a small no-alloc value (const-generic
//! capacity where it stores topics) with its own tests. The session
//! (`crate::session::v5`) and the connection (`crate::connection`) use
//! them as below (the send quota as a count of the session's in-flight
//! messages, so resent ones count too).
//!
//! How a connection plugs them in, per network connection:
//!
//! 1. **CONNECT**: announce [`InboundAliases::maximum`] as
//!    `topic_alias_maximum`, [`ReceiveQuota::maximum`] as `receive_maximum`,
//!    [`announced_maximum_packet_size`] (the program's value capped by the
//!    receive buffer) as `maximum_packet_size`, and
//!    [`connect_session_expiry`] as `session_expiry_interval`.
//! 2. **CONNACK** (success): [`ServerLimits::from_connack`]; then
//!    [`InboundAliases::reset`], [`OutboundAliases::reset`] with
//!    `topic_alias_maximum`, [`SendQuota::reset`] with `receive_maximum`,
//!    [`ReceiveQuota::reset`]. Apply `server_keep_alive` and
//!    `assigned_client_identifier` (a later reconnect uses that id).
//! 3. **publish()**: encode the full frame, check it with
//!    [`ServerLimits::check_publish`] (a `ValueError` before anything is
//!    sent); QoS 1/2: [`SendQuota::acquire`] (false: wait for acks first);
//!    store the full frame for resending; send the frame from
//!    [`OutboundAliases::assign`] +
//!    [`crate::codec::v5::Publish::encode_aliased`] when it gives an alias.
//!    Every other packet we send: [`ServerLimits::check_size`].
//! 4. **A frame in**: [`check_inbound_size`] against what we announced,
//!    then [`crate::codec::v5::decode_from_server`]. A PUBLISH:
//!    [`ReceiveQuota::on_publish`] (QoS 1/2, not for a QoS 2 id already
//!    pending), [`InboundAliases::resolve_publish`] for its topic;
//!    [`ReceiveQuota::on_ack_sent`] when its PUBACK / PUBCOMP goes out.
//!    PUBACK / PUBREC / PUBCOMP: [`SendQuota::on_ack`]. Every packet:
//!    [`check_problem_information`] when we asked for none.
//!    AUTH: [`AuthFlow::on_auth`]; a challenge is answered with
//!    [`auth_packet`] (0x18). CONNACK: [`AuthFlow::on_connack`] (after
//!    [`AuthFlow::on_connect`] at CONNECT). `reauthenticate()`:
//!    [`AuthFlow::start_reauth`], then [`auth_packet`] with 0x19.
//!    A frame the framer skipped as too large for the receive buffer is
//!    [`crate::ProtocolError::PacketTooLarge`] on MQTT 5 (we announced that
//!    size): disconnect with 0x95 instead of skipping it.
//!    A DISCONNECT from the server: close, and reconnect only if
//!    [`crate::codec::v5::reason::is_retryable`] (`server_reference` says
//!    where for 0x9C / 0x9D).
//! 5. **Any [`crate::ProtocolError`]**: send DISCONNECT with
//!    [`crate::ProtocolError::reason_code`] and close.
//! 6. **Reconnect**: back to 1. Resent QoS 1/2 frames are the stored full
//!    ones (no alias) and take quota again.

mod auth;
mod limits;
mod quota;
mod topic_alias;

pub use auth::{auth_packet, AuthFlow, AuthPhase, AuthStep};
pub use limits::{
    announced_maximum_packet_size, check_inbound_size, check_problem_information,
    connect_session_expiry, ServerLimits,
};
pub use quota::{ReceiveQuota, SendQuota, DEFAULT_RECEIVE_MAXIMUM};
pub use topic_alias::{AliasUse, InboundAliases, OutboundAliases};
