//! A table of hostile MQTT 5 server frames, each citing the statement of
//! MQTT 5.0 it breaks, run through the parts a connection chains for every
//! frame (size check, `decode_from_server`, receive quota, inbound topic
//! aliases): each must end in the DISCONNECT reason the spec asks for, and
//! the legal-but-unusual frames around them must pass. The next session's
//! Python hostile-broker tables can take the rows as they are.
#![cfg(feature = "v5")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use umqtt_core::codec::v5::{decode_from_server, Disconnect, Properties, ServerPacket};
use umqtt_core::v5::{check_inbound_size, InboundAliases, ReceiveQuota};
use umqtt_core::ProtocolError;

/// What a connection keeps per network connection for inbound frames.
struct Inbound {
    aliases: InboundAliases<2, 64>,
    quota: ReceiveQuota,
    max_size: u32,
}

impl Inbound {
    fn new() -> Self {
        Inbound {
            aliases: InboundAliases::new(),
            quota: ReceiveQuota::new(2),
            max_size: 64,
        }
    }

    /// One frame in: the resolved topic of a PUBLISH, or `None`.
    fn frame(&mut self, f: &[u8]) -> Result<Option<Vec<u8>>, ProtocolError> {
        check_inbound_size(f.len(), self.max_size)?;
        match decode_from_server(f)? {
            ServerPacket::Publish(p) => {
                self.quota.on_publish(p.qos)?;
                Ok(Some(self.aliases.resolve_publish(&p)?.to_vec()))
            }
            _ => Ok(None),
        }
    }
}

/// The DISCONNECT a connection sends for `e`.
fn disconnect_for(e: ProtocolError) -> Vec<u8> {
    let d = Disconnect {
        reason_code: e.reason_code(),
        properties: Properties::EMPTY,
    };
    let mut out = vec![0u8; d.encoded_len().unwrap()];
    d.encode(&mut out).unwrap();
    out
}

#[path = "support/v5_frames.rs"]
mod v5_frames;
use v5_frames::{CONNACK, HOSTILE, LEGAL};

#[test]
fn hostile_frames_end_in_the_right_disconnect() {
    for (spec, before, frame, reason) in HOSTILE {
        let mut c = Inbound::new();
        for f in *before {
            c.frame(f)
                .unwrap_or_else(|e| panic!("{spec}: setup frame refused: {e:?}"));
        }
        let e = c.frame(frame).expect_err(spec);
        assert_eq!(e.reason_code(), *reason, "{spec}: {e:?}");
        assert_eq!(disconnect_for(e), [0xE0, 1, *reason], "{spec}");
    }
}

#[test]
fn legal_frames_pass() {
    for (spec, before, frame, topic) in LEGAL {
        let mut c = Inbound::new();
        for f in *before {
            c.frame(f)
                .unwrap_or_else(|e| panic!("{spec}: setup frame refused: {e:?}"));
        }
        let got = c.frame(frame).unwrap_or_else(|e| panic!("{spec}: {e:?}"));
        assert_eq!(got.as_deref(), *topic, "{spec}");
    }
}

#[test]
fn frame_above_our_maximum_packet_size() {
    // 3.1.2-25: the server must not send more than we announced (64 here).
    let mut c = Inbound::new();
    c.frame(CONNACK).unwrap();
    let mut f = vec![0x30, 65, 0, 1, b't', 0];
    f.extend([b'x'; 61]);
    assert_eq!(f.len(), 67);
    let e = c.frame(&f).unwrap_err();
    assert_eq!(disconnect_for(e), [0xE0, 1, 0x95]);
    f.truncate(64);
    f[1] = 62;
    assert_eq!(c.frame(&f), Ok(Some(b"t".to_vec())));
}

#[test]
fn every_hostile_frame_is_refused_at_every_truncation_too() {
    // Cutting a frame short never makes it acceptable as something else
    // with a different length: decode sees the remaining length.
    for (spec, _, frame, _) in HOSTILE {
        for cut in 1..frame.len() {
            assert!(
                decode_from_server(&frame[..cut]).is_err(),
                "{spec} cut at {cut}"
            );
        }
    }
}
