//! CONNECT (MQTT 3.1.1 sec 3.1).

use super::{
    add_len, check_sent_topic_name, check_sent_utf8, frame_len, str_len, PacketType, Writer,
};
use crate::error::{ArgError, Error};
use crate::types::{ProtocolVersion, QoS};

/// Last will: published by the broker when the client vanishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Will<'a> {
    /// Topic name (validated like a PUBLISH topic).
    pub topic: &'a [u8],
    /// Message body (binary, at most 65,535 bytes).
    pub message: &'a [u8],
    /// QoS of the will message.
    pub qos: QoS,
    /// Publish the will as retained.
    pub retain: bool,
}

/// A CONNECT packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connect<'a> {
    /// Protocol level to speak.
    pub protocol: ProtocolVersion,
    /// Client identifier; empty is allowed only with `clean_session`.
    pub client_id: &'a [u8],
    /// Keepalive in seconds (0 = off).
    pub keepalive: u16,
    /// Start a fresh session (and drop it at disconnect).
    pub clean_session: bool,
    /// User name (UTF-8).
    pub username: Option<&'a [u8]>,
    /// Password (binary); needs a user name in MQTT 3.1.1.
    pub password: Option<&'a [u8]>,
    /// Last will.
    pub will: Option<Will<'a>>,
}

const PROTOCOL_NAME: &[u8] = b"MQTT";

/// CONNECT flags (3.1.2.2 in both versions): user name, password, will
/// retain, will QoS, will, clean session / clean start.
pub(super) fn connect_flags(user: bool, pass: bool, will: Option<(QoS, bool)>, clean: bool) -> u8 {
    let mut f = 0u8;
    if user {
        f |= 0x80;
    }
    if pass {
        f |= 0x40;
    }
    if let Some((qos, retain)) = will {
        if retain {
            f |= 0x20;
        }
        f |= (qos as u8) << 3;
        f |= 0x04;
    }
    if clean {
        f |= 0x02;
    }
    f
}

impl Connect<'_> {
    /// Validate the fields and return the remaining length.
    fn remaining_len(&self) -> Result<usize, Error> {
        if self.protocol != ProtocolVersion::V311 {
            return Err(ArgError::NeedsV5Codec.into());
        }
        check_sent_utf8(self.client_id)?;
        if self.client_id.is_empty() && !self.clean_session {
            return Err(ArgError::EmptyClientIdNeedsCleanSession.into());
        }
        if self.password.is_some() && self.username.is_none() {
            return Err(ArgError::PasswordWithoutUser.into());
        }
        // Variable header: protocol name, level, flags, keepalive.
        let mut n = add_len(str_len(PROTOCOL_NAME)?, 4)?;
        n = add_len(n, str_len(self.client_id)?)?;
        if let Some(w) = &self.will {
            check_sent_topic_name(w.topic)?;
            n = add_len(n, str_len(w.topic)?)?;
            n = add_len(n, str_len(w.message)?)?;
        }
        if let Some(u) = self.username {
            check_sent_utf8(u)?;
            n = add_len(n, str_len(u)?)?;
        }
        if let Some(p) = self.password {
            n = add_len(n, str_len(p)?)?;
        }
        Ok(n)
    }

    /// The same CONNECT as MQTT 5 with no properties (MQTT 5's own rules:
    /// an empty client id and a password without user name are allowed).
    #[cfg(feature = "v5")]
    pub fn to_v5(&self) -> super::v5::Connect<'_> {
        use super::v5::{Connect, Properties, Will};
        Connect {
            client_id: self.client_id,
            keepalive: self.keepalive,
            clean_start: self.clean_session,
            username: self.username,
            password: self.password,
            will: self.will.map(|w| Will {
                topic: w.topic,
                payload: w.message,
                qos: w.qos,
                retain: w.retain,
                properties: Properties::EMPTY,
            }),
            properties: Properties::EMPTY,
        }
    }

    fn flags(&self) -> u8 {
        connect_flags(
            self.username.is_some(),
            self.password.is_some(),
            self.will.map(|w| (w.qos, w.retain)),
            self.clean_session,
        )
    }

    /// Size of the encoded packet, after validating the fields.
    pub fn encoded_len(&self) -> Result<usize, Error> {
        frame_len(self.remaining_len()?)
    }

    /// Encode into `out`; returns the length. Nothing is written on error.
    /// `protocol: V5` is `InvalidArgument(NeedsV5Codec)`: an MQTT 5 CONNECT
    /// is a [`super::v5::Connect`] ([`Connect::to_v5`]), so a 3.1.1-only
    /// build does not link the MQTT 5 encoder.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        let remaining = self.remaining_len()?;
        let total = frame_len(remaining)?;
        let dst = out
            .get_mut(..total)
            .ok_or(Error::BufferTooSmall { needed: total })?;
        let mut w = Writer::new(dst);
        w.put_header(PacketType::Connect.first_byte(), remaining)?;
        w.put_str(PROTOCOL_NAME)?;
        w.put_u8(self.protocol.level())?;
        w.put_u8(self.flags())?;
        w.put_u16(self.keepalive)?;
        w.put_str(self.client_id)?;
        if let Some(will) = &self.will {
            w.put_str(will.topic)?;
            w.put_str(will.message)?;
        }
        if let Some(u) = self.username {
            w.put_str(u)?;
        }
        if let Some(p) = self.password {
            w.put_str(p)?;
        }
        Ok(w.position())
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unreachable,
    clippy::arithmetic_side_effects
)]
mod tests {
    use super::*;

    fn base() -> Connect<'static> {
        Connect {
            protocol: ProtocolVersion::V311,
            client_id: b"cid",
            keepalive: 60,
            clean_session: true,
            username: None,
            password: None,
            will: None,
        }
    }

    #[test]
    fn minimal_connect_bytes() {
        let mut out = [0u8; 64];
        let n = base().encode(&mut out).unwrap();
        let expected: &[u8] = &[
            0x10, 15, // fixed header, remaining 15
            0, 4, b'M', b'Q', b'T', b'T', 4,    // protocol name + level
            0x02, // clean session
            0, 60, // keepalive
            0, 3, b'c', b'i', b'd',
        ];
        assert_eq!(&out[..n], expected);
        assert_eq!(base().encoded_len().unwrap(), n);
    }

    #[test]
    fn full_connect_bytes() {
        let c = Connect {
            username: Some(b"u"),
            password: Some(b"p\x00"),
            clean_session: false,
            keepalive: 0x1234,
            will: Some(Will {
                topic: b"w/t",
                message: b"bye",
                qos: QoS::ExactlyOnce,
                retain: true,
            }),
            ..base()
        };
        let mut out = [0u8; 64];
        let n = c.encode(&mut out).unwrap();
        let expected: &[u8] = &[
            0x10,
            32,
            0,
            4,
            b'M',
            b'Q',
            b'T',
            b'T',
            4,
            0b1111_0100, // user, pass, will retain, will qos 2, will flag, no clean
            0x12,
            0x34,
            0,
            3,
            b'c',
            b'i',
            b'd',
            0,
            3,
            b'w',
            b'/',
            b't',
            0,
            3,
            b'b',
            b'y',
            b'e',
            0,
            1,
            b'u',
            0,
            2,
            b'p',
            0,
        ];
        assert_eq!(&out[..n], expected);
    }

    #[test]
    fn will_qos1_flags() {
        let c = Connect {
            will: Some(Will {
                topic: b"t",
                message: b"",
                qos: QoS::AtLeastOnce,
                retain: false,
            }),
            ..base()
        };
        let mut out = [0u8; 64];
        c.encode(&mut out).unwrap();
        assert_eq!(out[9], 0b0000_1110);
    }

    #[test]
    fn validation() {
        let mut out = [0u8; 128];
        let e = |c: Connect| c.encode(&mut [0u8; 128]).unwrap_err();
        assert_eq!(
            e(Connect {
                client_id: b"",
                clean_session: false,
                ..base()
            }),
            Error::InvalidArgument(ArgError::EmptyClientIdNeedsCleanSession)
        );
        assert!(Connect {
            client_id: b"",
            ..base()
        }
        .encode(&mut out)
        .is_ok());
        assert_eq!(
            e(Connect {
                password: Some(b"x"),
                ..base()
            }),
            Error::InvalidArgument(ArgError::PasswordWithoutUser)
        );
        assert_eq!(
            e(Connect {
                client_id: b"a\xff",
                ..base()
            }),
            Error::InvalidArgument(ArgError::InvalidUtf8)
        );
        assert_eq!(
            e(Connect {
                username: Some(b"a\x00"),
                ..base()
            }),
            Error::InvalidArgument(ArgError::InvalidUtf8)
        );
        let will = Will {
            topic: b"a/#",
            message: b"",
            qos: QoS::AtMostOnce,
            retain: false,
        };
        assert_eq!(
            e(Connect {
                will: Some(will),
                ..base()
            }),
            Error::InvalidArgument(ArgError::WildcardInTopic)
        );
        let big = [b'a'; 65_536];
        assert_eq!(
            e(Connect {
                client_id: &big,
                ..base()
            }),
            Error::InvalidArgument(ArgError::StringTooLong)
        );
        let will = Will {
            topic: b"t",
            message: &big,
            qos: QoS::AtMostOnce,
            retain: false,
        };
        assert_eq!(
            e(Connect {
                will: Some(will),
                ..base()
            }),
            Error::InvalidArgument(ArgError::StringTooLong)
        );
    }

    #[test]
    fn short_buffer_writes_nothing() {
        let len = base().encoded_len().unwrap();
        for size in 0..len {
            let mut out = [0xAAu8; 64];
            assert_eq!(
                base().encode(&mut out[..size]),
                Err(Error::BufferTooSmall { needed: len })
            );
            assert!(out.iter().all(|&b| b == 0xAA));
        }
    }
}
