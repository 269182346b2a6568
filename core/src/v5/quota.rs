//! Flow control (MQTT 5 sec 4.9): the broker's `receive_maximum` caps our
//! unacknowledged QoS 1/2 PUBLISH ([`SendQuota`]); ours caps the broker's
//! ([`ReceiveQuota`]).

use crate::codec::v5::reason::is_failure;
use crate::codec::PacketType;
use crate::error::ProtocolError;
use crate::types::QoS;

/// MQTT 5's default receive maximum when the property is absent (3.2.2.3.3).
pub const DEFAULT_RECEIVE_MAXIMUM: u16 = u16::MAX;

/// How many QoS 1/2 PUBLISH we may still send before an acknowledgement.
///
/// [`SendQuota::reset`] at every CONNACK with its `receive_maximum`; then
/// [`SendQuota::acquire`] before sending (or resending, after a reconnect)
/// each QoS 1/2 PUBLISH (4.9-1: never more than the broker allows), and
/// [`SendQuota::on_ack`] for every PUBACK, PUBCOMP and PUBREC received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendQuota {
    max: u16,
    in_flight: u16,
}

impl Default for SendQuota {
    fn default() -> Self {
        Self::new()
    }
}

impl SendQuota {
    /// The default quota (65,535) and nothing in flight.
    pub const fn new() -> Self {
        SendQuota {
            max: DEFAULT_RECEIVE_MAXIMUM,
            in_flight: 0,
        }
    }

    /// A new connection: the CONNACK's `receive_maximum` (`None` if absent;
    /// the decoder already refused 0). Nothing is in flight on the wire.
    pub fn reset(&mut self, receive_maximum: Option<u32>) {
        self.max = receive_maximum
            .and_then(|v| u16::try_from(v).ok())
            .filter(|&v| v != 0)
            .unwrap_or(DEFAULT_RECEIVE_MAXIMUM);
        self.in_flight = 0;
    }

    /// The broker's receive maximum on this connection.
    pub const fn maximum(&self) -> u16 {
        self.max
    }

    /// Unacknowledged QoS 1/2 PUBLISH sent on this connection.
    pub const fn in_flight(&self) -> u16 {
        self.in_flight
    }

    /// May one more QoS 1/2 PUBLISH go out now?
    pub const fn available(&self) -> bool {
        self.in_flight < self.max
    }

    /// Take one unit for a QoS 1/2 PUBLISH about to be sent; false (and
    /// nothing taken) when the quota is used up: wait for an ack. QoS 0
    /// always passes and takes nothing (4.9: not subject to the quota).
    pub fn acquire(&mut self, qos: QoS) -> bool {
        if qos == QoS::AtMostOnce {
            return true;
        }
        if !self.available() {
            return false;
        }
        self.in_flight = self.in_flight.saturating_add(1);
        true
    }

    /// An acknowledgement arrived: PUBACK or PUBCOMP (any code) and a
    /// PUBREC with a failure code end a flow and give the unit back; a
    /// successful PUBREC does not (the flow goes on to PUBCOMP).
    pub fn on_ack(&mut self, kind: PacketType, reason_code: u8) {
        let done = match kind {
            PacketType::PubAck | PacketType::PubComp => true,
            PacketType::PubRec => is_failure(reason_code),
            _ => false,
        };
        if done {
            self.in_flight = self.in_flight.saturating_sub(1);
        }
    }
}

/// The broker's unacknowledged QoS 1/2 PUBLISH to us, against the
/// `receive_maximum` we announced: more is a protocol error with reason
/// 0x93 (3.3.4-9 binds the broker; 4.13 has us disconnect).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiveQuota {
    max: u16,
    pending: u16,
}

impl ReceiveQuota {
    /// Announce `receive_maximum` (0 is taken as 1: MQTT forbids 0).
    pub const fn new(receive_maximum: u16) -> Self {
        ReceiveQuota {
            max: if receive_maximum == 0 {
                1
            } else {
                receive_maximum
            },
            pending: 0,
        }
    }

    /// The value to send as `receive_maximum` in CONNECT.
    pub const fn maximum(&self) -> u16 {
        self.max
    }

    /// A new connection: nothing is pending.
    pub fn reset(&mut self) {
        self.pending = 0;
    }

    /// A PUBLISH arrived (not a duplicate of a QoS 2 id still pending).
    pub fn on_publish(&mut self, qos: QoS) -> Result<(), ProtocolError> {
        if qos == QoS::AtMostOnce {
            return Ok(());
        }
        if self.pending >= self.max {
            return Err(ProtocolError::ReceiveMaximumExceeded);
        }
        self.pending = self.pending.saturating_add(1);
        Ok(())
    }

    /// We sent the PUBACK (QoS 1) or PUBCOMP (QoS 2) that ends a flow.
    pub fn on_ack_sent(&mut self) {
        self.pending = self.pending.saturating_sub(1);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn send_quota_follows_receive_maximum() {
        let mut q = SendQuota::new();
        assert_eq!(q.maximum(), 65_535);
        q.reset(Some(2));
        assert!(q.acquire(QoS::AtLeastOnce));
        assert!(q.acquire(QoS::ExactlyOnce));
        assert!(
            !q.acquire(QoS::AtLeastOnce),
            "third unacked publish refused"
        );
        assert!(q.acquire(QoS::AtMostOnce), "QoS 0 is not counted");
        assert_eq!(q.in_flight(), 2);
        q.on_ack(PacketType::PubRec, 0);
        assert!(!q.available(), "PUBREC success keeps the unit");
        q.on_ack(PacketType::PubComp, 0);
        assert!(q.acquire(QoS::AtLeastOnce));
        q.on_ack(PacketType::PubRec, 0x87);
        q.on_ack(PacketType::PubAck, 0x10);
        assert_eq!(q.in_flight(), 0);
        q.on_ack(PacketType::PubAck, 0);
        assert_eq!(q.in_flight(), 0, "a stray ack never underflows");
        q.acquire(QoS::AtLeastOnce);
        q.reset(None);
        assert_eq!((q.maximum(), q.in_flight()), (65_535, 0));
        q.reset(Some(0));
        assert_eq!(q.maximum(), 65_535);
    }

    #[test]
    fn receive_quota() {
        let mut r = ReceiveQuota::new(1);
        assert_eq!(r.maximum(), 1);
        assert_eq!(r.on_publish(QoS::AtLeastOnce), Ok(()));
        assert_eq!(r.on_publish(QoS::AtMostOnce), Ok(()));
        let e = r.on_publish(QoS::ExactlyOnce).unwrap_err();
        assert_eq!(e.reason_code(), 0x93);
        r.on_ack_sent();
        assert_eq!(r.on_publish(QoS::ExactlyOnce), Ok(()));
        r.reset();
        assert_eq!(r.on_publish(QoS::AtLeastOnce), Ok(()));
        assert_eq!(ReceiveQuota::new(0).maximum(), 1);
    }
}
