//! Enhanced authentication (MQTT 5 sec 4.12): the order of AUTH packets
//! for `set_auth(method, data, on_challenge)` and `reauthenticate(data)`.
//! The exchange's bytes (method, data, the challenge answers) belong to
//! the caller; this tracks whose turn it is and checks what arrives.

use crate::codec::v5::{
    reason, Auth, ConnAck, Context, Properties, PropertyBuilder, PropertyId, Role, Value,
};
use crate::error::{ArgError, Error, ProtocolError};

/// Where the exchange is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthPhase {
    /// No authentication method: the server must never send AUTH.
    Off,
    /// CONNECT sent with a method; AUTH challenges until CONNACK.
    Connecting,
    /// Authenticated; `reauthenticate()` may start a new exchange.
    Connected,
    /// AUTH 0x19 sent; challenges until AUTH 0x00 (success).
    Reauthenticating,
}

/// What an AUTH from the server asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthStep<'a> {
    /// Answer with `on_challenge(data)` in an AUTH 0x18 ([`auth_packet`]).
    Challenge(&'a [u8]),
    /// Re-authentication succeeded (AUTH 0x00).
    Done,
}

/// The state of enhanced authentication on one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthFlow {
    phase: AuthPhase,
}

impl Default for AuthFlow {
    fn default() -> Self {
        Self::new()
    }
}

fn same_method(props: &Properties<'_>, method: &str) -> bool {
    props.get_str(PropertyId::AuthenticationMethod) == Some(method)
}

impl AuthFlow {
    /// No exchange.
    pub const fn new() -> Self {
        AuthFlow {
            phase: AuthPhase::Off,
        }
    }

    /// The current phase.
    pub const fn phase(&self) -> AuthPhase {
        self.phase
    }

    /// A CONNECT goes out, with an authentication method or without.
    pub fn on_connect(&mut self, with_method: bool) {
        self.phase = if with_method {
            AuthPhase::Connecting
        } else {
            AuthPhase::Off
        };
    }

    /// An AUTH from the server, for our `method` (`None`: no
    /// `set_auth()`). It must carry our method (4.12.0-5) and come while
    /// an exchange is on (4.12.0-6: never without a method); 0x18 is a
    /// challenge, 0x00 ends a re-authentication, 0x19 never comes from a
    /// server. Anything else is `UnexpectedAuth` (0x82).
    pub fn on_auth<'a>(
        &mut self,
        auth: &Auth<'a>,
        method: Option<&str>,
    ) -> Result<AuthStep<'a>, ProtocolError> {
        let method = method.ok_or(ProtocolError::UnexpectedAuth)?;
        if !same_method(&auth.properties, method) {
            return Err(ProtocolError::UnexpectedAuth);
        }
        let data = auth
            .properties
            .get_binary(PropertyId::AuthenticationData)
            .unwrap_or_default();
        match (self.phase, auth.reason_code) {
            (
                AuthPhase::Connecting | AuthPhase::Reauthenticating,
                reason::CONTINUE_AUTHENTICATION,
            ) => Ok(AuthStep::Challenge(data)),
            (AuthPhase::Reauthenticating, reason::SUCCESS) => {
                self.phase = AuthPhase::Connected;
                Ok(AuthStep::Done)
            }
            _ => Err(ProtocolError::UnexpectedAuth),
        }
    }

    /// The CONNACK: with a method, a successful one must name it
    /// (3.2.2.3.17); without, it must not name one (3.1.2-29 / 4.12.0-6).
    pub fn on_connack(
        &mut self,
        ack: &ConnAck<'_>,
        method: Option<&str>,
    ) -> Result<(), ProtocolError> {
        let named = ack
            .properties
            .get(PropertyId::AuthenticationMethod)
            .is_some();
        match method {
            None if named => return Err(ProtocolError::UnexpectedAuth),
            None => self.phase = AuthPhase::Off,
            Some(m) => {
                if ack.reason_code == reason::SUCCESS && !same_method(&ack.properties, m) {
                    return Err(ProtocolError::UnexpectedAuth);
                }
                self.phase = AuthPhase::Connected;
            }
        }
        Ok(())
    }

    /// `reauthenticate()`: only after an authenticated CONNACK and not
    /// during another exchange (4.12.1-1). Send [`auth_packet`] with
    /// reason 0x19 next.
    pub fn start_reauth(&mut self) -> Result<(), ArgError> {
        if self.phase != AuthPhase::Connected {
            return Err(ArgError::NoAuthInProgress);
        }
        self.phase = AuthPhase::Reauthenticating;
        Ok(())
    }
}

/// An AUTH with our `method` and `data` (0x18 to answer a challenge, 0x19
/// to re-authenticate), its properties written into `buf`.
pub fn auth_packet<'b>(
    reason_code: u8,
    method: &str,
    data: &[u8],
    buf: &'b mut [u8],
) -> Result<Auth<'b>, Error> {
    let mut b = PropertyBuilder::new(buf, Context::Auth, Role::Client);
    b.push(PropertyId::AuthenticationMethod, Value::Str(method))?;
    b.push(PropertyId::AuthenticationData, Value::Binary(data))?;
    Ok(Auth {
        reason_code,
        properties: b.finish(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::codec::v5::{decode, Packet};
    use ProtocolError as E;

    fn connack_naming<'b>(method: &str, buf: &'b mut [u8]) -> Properties<'b> {
        let mut b = PropertyBuilder::new(buf, Context::ConnAck, Role::Server);
        b.push(PropertyId::AuthenticationMethod, Value::Str(method))
            .unwrap();
        b.finish()
    }

    fn server_auth<'b>(code: u8, method: &str, data: &[u8], buf: &'b mut [u8]) -> Auth<'b> {
        auth_packet(code, method, data, buf).unwrap()
    }

    #[test]
    fn connect_exchange_then_reauth() {
        let mut f = AuthFlow::new();
        f.on_connect(true);
        let mut b = [0u8; 64];
        let a = server_auth(0x18, "SCRAM", b"nonce", &mut b);
        assert_eq!(
            f.on_auth(&a, Some("SCRAM")),
            Ok(AuthStep::Challenge(&b"nonce"[..]))
        );
        // Our answer is a well-formed AUTH 0x18 with the same method.
        let mut pb = [0u8; 64];
        let ans = auth_packet(0x18, "SCRAM", b"proof", &mut pb).unwrap();
        let mut out = [0u8; 64];
        let n = ans.encode(&mut out).unwrap();
        assert_eq!(decode(&out[..n], Role::Client), Ok(Packet::Auth(ans)));
        let mut cb = [0u8; 64];
        let props = connack_naming("SCRAM", &mut cb);
        let ok = ConnAck {
            session_present: false,
            reason_code: 0,
            properties: props,
        };
        assert_eq!(f.on_connack(&ok, Some("SCRAM")), Ok(()));
        assert_eq!(f.phase(), AuthPhase::Connected);
        // A challenge now, unasked, is a protocol error; so is 0x00.
        assert_eq!(f.on_auth(&a, Some("SCRAM")), Err(E::UnexpectedAuth));
        assert_eq!(f.start_reauth(), Ok(()));
        assert_eq!(f.start_reauth(), Err(ArgError::NoAuthInProgress));
        assert_eq!(
            f.on_auth(&a, Some("SCRAM")),
            Ok(AuthStep::Challenge(&b"nonce"[..]))
        );
        let mut b2 = [0u8; 64];
        let done = server_auth(0x00, "SCRAM", b"", &mut b2);
        assert_eq!(f.on_auth(&done, Some("SCRAM")), Ok(AuthStep::Done));
        assert_eq!(f.phase(), AuthPhase::Connected);
    }

    #[test]
    fn protocol_errors() {
        let mut f = AuthFlow::new();
        let mut b = [0u8; 64];
        let a = server_auth(0x18, "SCRAM", b"x", &mut b);
        // 4.12.0-6: no method in CONNECT, no AUTH.
        f.on_connect(false);
        assert_eq!(f.on_auth(&a, None), Err(E::UnexpectedAuth));
        assert_eq!(E::UnexpectedAuth.reason_code(), 0x82);
        // Another method.
        f.on_connect(true);
        assert_eq!(f.on_auth(&a, Some("OTHER")), Err(E::UnexpectedAuth));
        // 0x19 never comes from a server; 0x00 ends only a re-authentication.
        let mut b2 = [0u8; 64];
        assert_eq!(
            f.on_auth(&server_auth(0x19, "SCRAM", b"", &mut b2), Some("SCRAM")),
            Err(E::UnexpectedAuth)
        );
        assert_eq!(
            f.on_auth(&server_auth(0x00, "SCRAM", b"", &mut b2), Some("SCRAM")),
            Err(E::UnexpectedAuth)
        );
        // A CONNACK naming a method we never sent, or not ours.
        let mut cb = [0u8; 64];
        let props = connack_naming("SCRAM", &mut cb);
        let ack = ConnAck {
            session_present: false,
            reason_code: 0,
            properties: props,
        };
        assert_eq!(
            AuthFlow::new().on_connack(&ack, None),
            Err(E::UnexpectedAuth)
        );
        assert_eq!(
            AuthFlow::new().on_connack(&ack, Some("OTHER")),
            Err(E::UnexpectedAuth)
        );
        let plain = ConnAck {
            properties: Properties::EMPTY,
            ..ack
        };
        assert_eq!(AuthFlow::new().on_connack(&plain, None), Ok(()));
        assert_eq!(
            AuthFlow::new().start_reauth(),
            Err(ArgError::NoAuthInProgress)
        );
        // A refusal need not name the method.
        let refused = ConnAck {
            reason_code: 0x8C,
            ..plain
        };
        assert_eq!(AuthFlow::new().on_connack(&refused, Some("SCRAM")), Ok(()));
    }
}
