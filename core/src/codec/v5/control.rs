//! MQTT 5 DISCONNECT (sec 3.14) and AUTH (sec 3.15): a reason code and
//! properties, both left out when they are 0 / empty.

use super::property::{Context, Role};
use super::reason::{is_valid, ReasonPacket};
use super::{begin, Properties};
use crate::codec::packet::finish;
use crate::codec::{add_len, frame_len, Reader};
use crate::error::{ArgError, Error, ProtocolError};

/// A DISCONNECT, from either side. Reason 0 is a normal disconnection,
/// 0x04 asks the server to publish the will.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disconnect<'a> {
    /// DISCONNECT reason code (3.14.2.1).
    pub reason_code: u8,
    /// Session expiry (client), server reference (server), reason string,
    /// user properties.
    pub properties: Properties<'a>,
}

/// An AUTH (enhanced authentication exchange).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Auth<'a> {
    /// 0x00 success, 0x18 continue authentication, 0x19 re-authenticate.
    pub reason_code: u8,
    /// Authentication method and data, reason string, user properties.
    pub properties: Properties<'a>,
}

pub(super) const DISCONNECT_FIRST: u8 = 0xE0;
pub(super) const AUTH_FIRST: u8 = 0xF0;

/// Remaining length of a reason + properties body. `reason_only_len` is
/// what a non-zero reason without properties takes: DISCONNECT may stop
/// after the code (3.14.2.2); AUTH is written with its property length.
fn body_len(
    code: u8,
    props: &Properties<'_>,
    kind: ReasonPacket,
    reason_only_len: usize,
) -> Result<usize, Error> {
    if !is_valid(code, kind) {
        return Err(ArgError::InvalidReasonCode.into());
    }
    Ok(if !props.is_empty() {
        add_len(1, props.wire_len()?)?
    } else if code != 0 {
        reason_only_len
    } else {
        0
    })
}

fn encode_body(
    first: u8,
    code: u8,
    props: &Properties<'_>,
    remaining: usize,
    out: &mut [u8],
) -> Result<usize, Error> {
    let mut w = begin(out, first, remaining)?;
    if remaining > 0 {
        w.put_u8(code)?;
    }
    if remaining > 1 {
        props.write(&mut w)?;
    }
    Ok(w.position())
}

/// Read a reason + properties body (either may be absent).
fn decode_body<'a>(
    mut r: Reader<'a>,
    kind: ReasonPacket,
    ctx: Context,
    sender: Role,
) -> Result<(u8, Properties<'a>), ProtocolError> {
    if r.is_empty() {
        return Ok((0, Properties::EMPTY));
    }
    let code = r.u8()?;
    if !is_valid(code, kind) {
        return Err(ProtocolError::InvalidReasonCode);
    }
    if r.is_empty() {
        // AUTH leaves out both or neither (3.15.2.1); DISCONNECT may stop
        // after the code (3.14.2.2).
        if kind == ReasonPacket::Auth {
            return Err(ProtocolError::PacketTooShort);
        }
        return Ok((code, Properties::EMPTY));
    }
    let props = Properties::read(&mut r, ctx, sender)?;
    finish(&r)?;
    Ok((code, props))
}

impl Disconnect<'_> {
    /// A normal disconnection without properties (2 bytes).
    pub const NORMAL: Disconnect<'static> = Disconnect {
        reason_code: 0,
        properties: Properties::EMPTY,
    };

    /// Size of the encoded packet.
    pub fn encoded_len(&self) -> Result<usize, Error> {
        frame_len(body_len(
            self.reason_code,
            &self.properties,
            ReasonPacket::Disconnect,
            1,
        )?)
    }

    /// Encode into `out` in the shortest form.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        let n = body_len(
            self.reason_code,
            &self.properties,
            ReasonPacket::Disconnect,
            1,
        )?;
        encode_body(DISCONNECT_FIRST, self.reason_code, &self.properties, n, out)
    }
}

impl Auth<'_> {
    /// Size of the encoded packet.
    pub fn encoded_len(&self) -> Result<usize, Error> {
        frame_len(body_len(
            self.reason_code,
            &self.properties,
            ReasonPacket::Auth,
            2,
        )?)
    }

    /// Encode into `out`.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        let n = body_len(self.reason_code, &self.properties, ReasonPacket::Auth, 2)?;
        encode_body(AUTH_FIRST, self.reason_code, &self.properties, n, out)
    }
}

pub(super) fn decode_disconnect(
    r: Reader<'_>,
    sender: Role,
) -> Result<Disconnect<'_>, ProtocolError> {
    let (reason_code, properties) =
        decode_body(r, ReasonPacket::Disconnect, Context::Disconnect, sender)?;
    Ok(Disconnect {
        reason_code,
        properties,
    })
}

pub(super) fn decode_auth(r: Reader<'_>, sender: Role) -> Result<Auth<'_>, ProtocolError> {
    let (reason_code, properties) = decode_body(r, ReasonPacket::Auth, Context::Auth, sender)?;
    Ok(Auth {
        reason_code,
        properties,
    })
}
