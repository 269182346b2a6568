//! `ws://host[:port][/path]` and `wss://...` server strings (RFC 6455 3),
//! parsed once here so both bindings accept the same URLs.

use super::WsError;

/// A parsed WebSocket URL, borrowing from the string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WsUrl<'a> {
    /// `wss://`: TLS under the WebSocket.
    pub tls: bool,
    /// Host name or address; an IPv6 literal without its brackets.
    pub host: &'a str,
    /// The port, if the URL has one (else [`default_port`]).
    pub port: Option<u16>,
    /// Path and query (starting with `/`), if the URL has one (else the
    /// caller's `ws_path`).
    pub path: Option<&'a str>,
}

/// 443 for `wss`, 80 for `ws`.
pub const fn default_port(tls: bool) -> u16 {
    if tls {
        443
    } else {
        80
    }
}

/// Strip `prefix` from `s`, ignoring ASCII case.
fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        s.get(prefix.len()..)
    } else {
        None
    }
}

/// Whether `server` is a `ws://` or `wss://` URL (any case), as opposed to
/// a host name.
pub fn is_ws_url(server: &str) -> bool {
    strip_prefix_ci(server, "ws://").is_some() || strip_prefix_ci(server, "wss://").is_some()
}

/// A host a `Host` header and a resolver can take: no spaces, controls or
/// URL delimiters; or an IPv6 literal (hex digits, `:` and `.`), which
/// goes in brackets in a URL and a `Host` header.
pub(crate) fn valid_host(host: &str) -> bool {
    let v6 = host.contains(':');
    !host.is_empty()
        && host.bytes().all(|b| {
            if v6 {
                b.is_ascii_hexdigit() || b == b':' || b == b'.'
            } else {
                b > b' ' && b < 0x7f && !b"/?#@[]\\\"".contains(&b)
            }
        })
}

/// A request target: starts with `/`, printable ASCII without spaces or
/// `#` (fragments are not allowed, RFC 6455 3).
pub(crate) fn valid_path(path: &str) -> bool {
    path.starts_with('/') && path.bytes().all(|b| b > b' ' && b < 0x7f && b != b'#')
}

/// Parse a `ws://` / `wss://` URL.
pub fn parse_url(url: &str) -> Result<WsUrl<'_>, WsError> {
    let (tls, rest) = match strip_prefix_ci(url, "wss://") {
        Some(r) => (true, r),
        None => (
            false,
            strip_prefix_ci(url, "ws://").ok_or(WsError::InvalidUrl)?,
        ),
    };
    let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    let path = match path {
        "" => None,
        p if valid_path(p) => Some(p),
        _ => return Err(WsError::InvalidUrl),
    };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']').ok_or(WsError::InvalidUrl)?;
        if !host.contains(':') {
            return Err(WsError::InvalidUrl);
        }
        match after {
            "" => (host, None),
            p => (host, Some(p.strip_prefix(':').ok_or(WsError::InvalidUrl)?)),
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if !valid_host(host) {
        return Err(WsError::InvalidUrl);
    }
    let port = match port {
        None => None,
        Some(p) => {
            let ok = !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit());
            match p.parse::<u16>() {
                Ok(n) if ok && n != 0 => Some(n),
                _ => return Err(WsError::InvalidUrl),
            }
        }
    };
    Ok(WsUrl {
        tls,
        host,
        port,
        path,
    })
}
