//! The argument rules of the Python API (spec/PYAPI.md, "Arguments"),
//! written once for both bindings: a binding converts a Python value to an
//! integer, float or bytes and asks here whether it is acceptable.

use crate::{ArgError, Error, ProtocolVersion, QoS};

/// `qos`: 0, 1 or 2.
pub fn qos(v: i64) -> Result<QoS, Error> {
    u8::try_from(v)
        .ok()
        .and_then(QoS::from_u8)
        .ok_or(Error::InvalidArgument(ArgError::InvalidQoS))
}

/// `protocol`: 4 (MQTT 3.1.1) or 5 (MQTT 5.0; only in a build with the
/// `v5` feature).
pub fn protocol(v: i64) -> Result<ProtocolVersion, Error> {
    let p = u8::try_from(v).ok().and_then(ProtocolVersion::from_level);
    match p {
        #[cfg(not(feature = "v5"))]
        Some(ProtocolVersion::V5) => Err(ArgError::NoV5InBuild.into()),
        Some(p) => Ok(p),
        None => Err(ArgError::InvalidProtocol.into()),
    }
}

/// `disconnect(reason=)`: a reason code byte, and anything but 0 only on an
/// MQTT 5 client (`v5`); which codes a DISCONNECT may carry is the
/// encoder's check.
pub fn disconnect_reason(v: i64, v5: bool) -> Result<u8, Error> {
    if v != 0 && !v5 {
        return Err(ArgError::PropertiesNeedV5.into());
    }
    #[cfg(feature = "v5")]
    let out_of_range = ArgError::InvalidReasonCode;
    // Without MQTT 5 there is no MQTT 5 client: only 0 got here.
    #[cfg(not(feature = "v5"))]
    let out_of_range = ArgError::PropertiesNeedV5;
    u8::try_from(v).map_err(|_| out_of_range.into())
}

/// subscribe()'s MQTT 5 options `no_local`, `retain_as_published` and
/// `retain_handling` (0, 1 or 2) of a client speaking MQTT 5 (`v5`) or
/// 3.1.1: the range first, then on 3.1.1 anything but the defaults is
/// `PropertiesNeedV5`. Returns `retain_handling`.
pub fn sub_options(
    no_local: bool,
    retain_as_published: bool,
    retain_handling: i64,
    v5: bool,
) -> Result<u8, Error> {
    let rh = u8::try_from(retain_handling)
        .ok()
        .filter(|r| *r <= 2)
        .ok_or(Error::InvalidArgument(ArgError::InvalidSubscriptionOptions))?;
    if !v5 && (no_local || retain_as_published || rh != 0) {
        return Err(ArgError::PropertiesNeedV5.into());
    }
    Ok(rh)
}

/// `keepalive`: 0..=65535 seconds.
pub fn keepalive(v: i64) -> Result<u16, Error> {
    u16::try_from(v).map_err(|_| ArgError::KeepaliveRange.into())
}

/// An int `port`: 0..=65535 (0: the default, see [`port`]). A socket
/// would take another one modulo 65,536, i.e. some other port.
pub fn port_number(v: i64) -> Result<u16, Error> {
    u16::try_from(v).map_err(|_| ArgError::PortRange.into())
}

/// `pid`: 0..=65535.
pub fn packet_id(v: i64) -> Result<u16, Error> {
    u16::try_from(v).map_err(|_| ArgError::PacketIdRange.into())
}

/// A duration in seconds (timeouts, delays) to milliseconds: a number >= 0
/// (NaN refused); past `u32::MAX` ms (~49 days) it saturates.
pub fn millis(secs: f64) -> Result<u32, Error> {
    if secs.is_nan() || secs < 0.0 {
        return Err(ArgError::NegativeTime.into());
    }
    let ms = secs * 1000.0;
    // `as` saturates for floats; rounding up keeps a tiny timeout non-zero.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let v = if ms >= 4_294_967_295.0 {
        u32::MAX
    } else {
        let t = ms as u32;
        if f64::from(t) < ms {
            t.saturating_add(1)
        } else {
            t
        }
    };
    Ok(v)
}

/// A duration already in milliseconds (a runtime without floats converts
/// seconds itself): >= 0; past `u32::MAX` it saturates.
pub fn duration_ms(ms: i64) -> Result<u32, Error> {
    if ms < 0 {
        return Err(ArgError::NegativeTime.into());
    }
    Ok(u32::try_from(ms).unwrap_or(u32::MAX))
}

/// What a binding whose C interface has no `Option` passes for an
/// argument that was `None` or left out (NOT_GIVEN in the MicroPython glue).
pub const NOT_GIVEN: i64 = i64::MIN;

/// `None` for [`NOT_GIVEN`]: the argument's default applies.
pub const fn given(v: i64) -> Option<i64> {
    if v == NOT_GIVEN {
        None
    } else {
        Some(v)
    }
}

/// `set_last_will(topic, ...)`: the topic must not be empty (the codec
/// checks the rest when CONNECT is encoded).
pub fn will_topic(topic: &[u8]) -> Result<(), Error> {
    if topic.is_empty() {
        return Err(ArgError::EmptyWillTopic.into());
    }
    Ok(())
}

/// `transport`: `"tcp"` (false) or `"websockets"` (true).
pub fn websockets(transport: &[u8]) -> Result<bool, Error> {
    match transport {
        b"tcp" => Ok(false),
        b"websockets" => Ok(true),
        _ => Err(ArgError::InvalidTransport.into()),
    }
}

/// `port=0`: 1883 / 8883 for MQTT over TCP, 80 / 443 for WebSockets.
pub const fn port(port: u16, tls: bool, websockets: bool) -> u16 {
    match (port, tls, websockets) {
        (0, false, false) => 1883,
        (0, true, false) => 8883,
        #[cfg(feature = "ws")]
        (0, tls, true) => crate::ws::url::default_port(tls),
        (p, _, _) => p,
    }
}

/// Where and how a WebSocket connection goes: the binding opens TCP (and
/// TLS if `tls`) to `host:port`, then sends the upgrade for `path`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WsTarget<'a> {
    /// TLS under the WebSocket (`wss`).
    pub tls: bool,
    /// Host to connect to and to name in the `Host` header.
    pub host: &'a str,
    /// TCP port (the default filled in).
    pub port: u16,
    /// The upgrade request's path.
    pub path: &'a str,
}

/// The connection a client's arguments ask for: `None` for plain MQTT over
/// TCP, else the WebSocket target. A `ws://` / `wss://` URL as `server`
/// means WebSockets whatever `transport` says; its port and path win over
/// `port` and `ws_path`, and `wss` or `ssl` means TLS.
#[cfg(feature = "ws")]
pub fn ws_target<'a>(
    server: &'a str,
    port: u16,
    ssl: bool,
    websockets: bool,
    ws_path: &'a str,
) -> Result<Option<WsTarget<'a>>, Error> {
    if crate::ws::url::is_ws_url(server) {
        let url = crate::ws::parse_url(server)?;
        let tls = url.tls || ssl;
        return Ok(Some(WsTarget {
            tls,
            host: url.host,
            port: self::port(url.port.unwrap_or(port), tls, true),
            path: url.path.unwrap_or(ws_path),
        }));
    }
    if !websockets {
        return Ok(None);
    }
    Ok(Some(WsTarget {
        tls: ssl,
        host: server,
        port: self::port(port, ssl, true),
        path: ws_path,
    }))
}

/// [`ws_target`] from a binding's raw arguments (the MicroPython glue's):
/// `transport` by [`websockets`], a `server` that is not UTF-8 as empty
/// (the glue passes a str), a port past 65,535 as 0, a `ws_path` that is
/// not UTF-8 refused.
pub fn ws_target_raw<'a>(
    server: &'a [u8],
    port: u32,
    ssl: bool,
    transport: &[u8],
    ws_path: &'a [u8],
) -> Result<Option<WsTarget<'a>>, Error> {
    let websockets = websockets(transport)?;
    let server = core::str::from_utf8(server).unwrap_or_default();
    let port = u16::try_from(port).unwrap_or(0);
    #[cfg(feature = "ws")]
    let path = core::str::from_utf8(ws_path)
        .map_err(|_| Error::WebSocket(crate::ws::WsError::InvalidPath))?;
    #[cfg(not(feature = "ws"))]
    let path = {
        let _ = ws_path;
        ""
    };
    ws_target(server, port, ssl, websockets, path)
}

/// A build without the `ws` feature: WebSockets (the transport, or a
/// `ws://` / `wss://` URL as `server`) are `InvalidTransport`.
#[cfg(not(feature = "ws"))]
pub fn ws_target<'a>(
    server: &'a str,
    _port: u16,
    _ssl: bool,
    websockets: bool,
    _ws_path: &'a str,
) -> Result<Option<WsTarget<'a>>, Error> {
    let url = ["ws://", "wss://"].iter().any(|p| {
        server
            .get(..p.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(p))
    });
    if websockets || url {
        return Err(ArgError::InvalidTransport.into());
    }
    Ok(None)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(qos(2), Ok(QoS::ExactlyOnce));
        assert!(qos(3).is_err() && qos(-1).is_err());
        assert_eq!(keepalive(65_535), Ok(65_535));
        assert!(keepalive(65_536).is_err() && keepalive(-1).is_err());
        assert!(packet_id(70_000).is_err());
        assert_eq!(sub_options(true, true, 2, true), Ok(2));
        let range = Err(ArgError::InvalidSubscriptionOptions.into());
        for rh in [3, -1, 256] {
            // The range first, on both protocols.
            assert_eq!(sub_options(false, false, rh, true), range);
            assert_eq!(sub_options(false, false, rh, false), range);
        }
        assert_eq!(sub_options(false, false, 0, false), Ok(0));
        let need_v5 = Err(ArgError::PropertiesNeedV5.into());
        assert_eq!(sub_options(true, false, 0, false), need_v5);
        assert_eq!(sub_options(false, true, 0, false), need_v5);
        assert_eq!(sub_options(false, false, 1, false), need_v5);
        assert!(will_topic(b"").is_err() && will_topic(b"t").is_ok());
    }

    #[test]
    fn not_given_is_none_and_the_policy_default() {
        use crate::connection::Policy;
        assert_eq!(
            (given(NOT_GIVEN), given(-1), given(0)),
            (None, Some(-1), Some(0))
        );
        assert_eq!(
            Policy::with_defaults(None, None, None),
            Ok(Policy::default())
        );
        let p = Policy::with_defaults(Some(3), None, Some(600)).unwrap();
        assert_eq!((p.attempts, p.min_ms, p.max_ms), (3, 500, 600));
        assert!(Policy::with_defaults(None, None, Some(100)).is_err());
        assert!(Policy::with_defaults(None, Some(40_000), None).is_err());
    }

    #[test]
    fn transports_and_ports() {
        assert_eq!(websockets(b"tcp"), Ok(false));
        assert_eq!(websockets(b"websockets"), Ok(true));
        assert!(websockets(b"ws").is_err() && websockets(b"").is_err());
        assert_eq!((port(0, false, false), port(0, true, false)), (1883, 8883));
        assert_eq!(port(1234, true, true), 1234);
    }

    #[cfg(feature = "ws")]
    #[test]
    fn ws_targets() {
        assert_eq!((port(0, false, true), port(0, true, true)), (80, 443));
        assert_eq!(ws_target("h", 1883, false, false, "/mqtt"), Ok(None));
        let t = ws_target("h", 0, true, true, "/mqtt").unwrap().unwrap();
        assert_eq!((t.tls, t.host, t.port, t.path), (true, "h", 443, "/mqtt"));
        let u = ws_target("wss://b:9001/x", 0, false, false, "/mqtt");
        let u = u.unwrap().unwrap();
        assert_eq!((u.tls, u.host, u.port, u.path), (true, "b", 9001, "/x"));
        let d = ws_target("ws://b", 0, false, false, "/m").unwrap().unwrap();
        assert_eq!((d.tls, d.port, d.path), (false, 80, "/m"));
        let p = ws_target("ws://b", 8080, false, false, "/m")
            .unwrap()
            .unwrap();
        assert_eq!(p.port, 8080);
        assert!(ws_target("ws://", 0, false, false, "/m").is_err());
    }

    #[test]
    fn ws_targets_from_raw_arguments() {
        let invalid = Err(ArgError::InvalidTransport.into());
        assert_eq!(ws_target_raw(b"h", 1883, false, b"tls", b"/m"), invalid);
        // Not a str: a plain host; out of range: the default port.
        assert_eq!(
            ws_target_raw(b"\xff", 70_000, false, b"tcp", b"/m"),
            Ok(None)
        );
        #[cfg(feature = "ws")]
        {
            let t = ws_target_raw(b"ws://b/x", 70_000, false, b"tcp", b"/m");
            let t = t.unwrap().unwrap();
            assert_eq!((t.host, t.port, t.path), ("b", 80, "/x"));
            let path = Err(Error::WebSocket(crate::ws::WsError::InvalidPath));
            assert_eq!(ws_target_raw(b"h", 0, false, b"websockets", b"\xff"), path);
        }
        #[cfg(not(feature = "ws"))]
        assert_eq!(ws_target_raw(b"ws://b", 0, false, b"tcp", b"/m"), invalid);
    }

    #[test]
    fn durations() {
        assert_eq!(millis(0.0), Ok(0));
        assert_eq!(millis(1.5), Ok(1500));
        assert_eq!(millis(0.0001), Ok(1));
        assert_eq!(millis(1e12), Ok(u32::MAX));
        assert!(millis(-0.1).is_err() && millis(f64::NAN).is_err());
        assert_eq!(millis(f64::INFINITY), Ok(u32::MAX));
        assert_eq!(duration_ms(5), Ok(5));
        assert_eq!(duration_ms(i64::MAX), Ok(u32::MAX));
        assert!(duration_ms(-1).is_err());
    }
}
