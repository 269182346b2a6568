//! The opening handshake (RFC 6455 4.1): the client's HTTP/1.1 Upgrade
//! request, and an incremental parser of the server's answer that keeps
//! no more than one header line (128 bytes) whatever the chunking.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::url::{default_port, valid_host, valid_path};
use super::{Out, WsError};

/// RFC 6455 1.3: appended to the key before hashing.
const GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Longest answer header accepted, in bytes (status line to blank line).
pub const MAX_RESPONSE: usize = 8192;

/// Header bytes kept per line: enough for every header checked here.
const LINE: usize = 128;

/// Headers the handshake writes itself; an extra header may not repeat
/// them (`Sec-WebSocket-Extensions` too: no extension is supported).
const RESERVED: [&str; 7] = [
    "host",
    "upgrade",
    "connection",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-protocol",
    "sec-websocket-extensions",
];

/// The `Sec-WebSocket-Key` header value: base64 of the 16 nonce bytes.
pub fn encode_key(nonce: &[u8; 16]) -> [u8; 24] {
    let mut out = [0u8; 24];
    // 16 bytes are exactly 24 base64 characters: this cannot fail.
    let _ = STANDARD.encode_slice(nonce, &mut out);
    out
}

/// The `Sec-WebSocket-Accept` value a server must answer to `key` (the
/// 24-character header value): base64(SHA-1(key + GUID)).
pub fn accept_key(key: &[u8]) -> [u8; 28] {
    let digest = sha1(&[key, GUID]);
    let mut out = [0u8; 28];
    // 20 bytes are exactly 28 base64 characters: this cannot fail.
    let _ = STANDARD.encode_slice(digest, &mut out);
    out
}

/// SHA-1 (FIPS 180-4) of the concatenated `parts`, written for size: the
/// accept key is one short hash per connection, and the `sha1` crate's
/// unrolled rounds cost ~2.7 KB of a MicroPython module (its HMAC use in
/// sign.rs lives in a separate module). Checked against the crate in tests.
pub(crate) fn sha1(parts: &[&[u8]]) -> [u8; 20] {
    let mut h: [u32; 5] = [
        0x6745_2301,
        0xefcd_ab89,
        0x98ba_dcfe,
        0x1032_5476,
        0xc3d2_e1f0,
    ];
    let total = parts.iter().fold(0usize, |n, p| n.saturating_add(p.len()));
    // The message, 0x80, zeros, then its length in bits: whole blocks.
    let padded = total.saturating_add(9).div_ceil(64).saturating_mul(64);
    let len = (total as u64).wrapping_mul(8).to_be_bytes();
    let tail = padded.saturating_sub(8);
    let mut bytes = parts.iter().flat_map(|p| p.iter().copied());
    let mut block = [0u8; 64];
    for i in 0..padded {
        let b = match bytes.next() {
            Some(b) => b,
            None if i == total => 0x80,
            None => len.get(i.wrapping_sub(tail)).copied().unwrap_or(0),
        };
        if let Some(slot) = block.get_mut(i % 64) {
            *slot = b;
        }
        if i % 64 == 63 {
            sha1_block(&mut h, &block);
        }
    }
    let mut out = [0u8; 20];
    for (o, w) in out.chunks_exact_mut(4).zip(h) {
        o.copy_from_slice(&w.to_be_bytes());
    }
    out
}

fn sha1_block(h: &mut [u32; 5], block: &[u8; 64]) {
    let mut w = [0u32; 16];
    for (wi, c) in w.iter_mut().zip(block.chunks_exact(4)) {
        let mut be = [0u8; 4];
        be.copy_from_slice(c);
        *wi = u32::from_be_bytes(be);
    }
    let at = |w: &[u32; 16], t: usize| w.get(t % 16).copied().unwrap_or(0);
    let [mut a, mut b, mut c, mut d, mut e] = *h;
    for t in 0..80usize {
        // The message schedule in a 16-word ring.
        if t >= 16 {
            let v = at(&w, t.wrapping_add(13))
                ^ at(&w, t.wrapping_add(8))
                ^ at(&w, t.wrapping_add(2))
                ^ at(&w, t);
            if let Some(slot) = w.get_mut(t % 16) {
                *slot = v.rotate_left(1);
            }
        }
        let (f, k) = match t / 20 {
            0 => ((b & c) | (!b & d), 0x5a82_7999),
            1 => (b ^ c ^ d, 0x6ed9_eba1),
            2 => ((b & c) | (b & d) | (c & d), 0x8f1b_bcdc),
            _ => (b ^ c ^ d, 0xca62_c1d6),
        };
        let tmp = a
            .rotate_left(5)
            .wrapping_add(f)
            .wrapping_add(e)
            .wrapping_add(k)
            .wrapping_add(at(&w, t));
        e = d;
        d = c;
        c = b.rotate_left(30);
        b = a;
        a = tmp;
    }
    for (hi, v) in h.iter_mut().zip([a, b, c, d, e]) {
        *hi = hi.wrapping_add(v);
    }
}

/// An RFC 7230 token character (header names).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// What the client's Upgrade request says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    /// Server host name or address (an IPv6 literal without brackets).
    pub host: &'a str,
    /// TCP port; left out of the `Host` header when it is the default.
    pub port: u16,
    /// `wss` (only decides the default port here).
    pub tls: bool,
    /// Request target, for example `/mqtt`.
    pub path: &'a str,
    /// Extra headers (`Authorization`, `Origin`, ...), written as given.
    pub headers: &'a [(&'a str, &'a str)],
}

impl Request<'_> {
    /// Write the request into `out` with `nonce` (16 random bytes from the
    /// caller) as the key; returns its length. Keep the nonce for
    /// [`Handshake::new`].
    pub fn encode(&self, nonce: &[u8; 16], out: &mut [u8]) -> Result<usize, WsError> {
        if !valid_host(self.host) {
            return Err(WsError::InvalidHost);
        }
        if !valid_path(self.path) {
            return Err(WsError::InvalidPath);
        }
        for (name, value) in self.headers {
            let reserved = RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name));
            let bad_value = value.bytes().any(|b| (b < b' ' && b != b'\t') || b == 0x7f);
            if name.is_empty() || !name.bytes().all(is_tchar) || reserved || bad_value {
                return Err(WsError::InvalidHeader);
            }
        }
        let mut w = Out::new(out);
        w.put(b"GET ");
        w.put(self.path.as_bytes());
        w.put(b" HTTP/1.1\r\nHost: ");
        let v6 = self.host.contains(':');
        if v6 {
            w.put(b"[");
        }
        w.put(self.host.as_bytes());
        if v6 {
            w.put(b"]");
        }
        if self.port != default_port(self.tls) {
            w.put(b":");
            let mut digits = [0u8; 5];
            let mut n = self.port;
            let mut i = digits.len();
            loop {
                i = i.saturating_sub(1);
                if let Some(d) = digits.get_mut(i) {
                    *d = b'0' | (n % 10) as u8;
                }
                n /= 10;
                if n == 0 || i == 0 {
                    break;
                }
            }
            w.put(digits.get(i..).unwrap_or(&[]));
        }
        w.put(b"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ");
        w.put(&encode_key(nonce));
        w.put(b"\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n");
        for (name, value) in self.headers {
            w.put(name.as_bytes());
            w.put(b": ");
            w.put(value.as_bytes());
            w.put(b"\r\n");
        }
        w.put(b"\r\n");
        w.finish()
    }
}

/// Extra headers a request built by [`with_raw_request`] takes.
pub const MAX_HEADERS: usize = 16;

/// Run `f` with the request a binding hands over as raw strings (host,
/// path, `headers` as (name, value) pairs): text that is not UTF-8 or more
/// than [`MAX_HEADERS`] headers are the argument errors of the field.
pub fn with_raw_request<'a, R>(
    host: &'a [u8],
    port: u16,
    tls: bool,
    path: &'a [u8],
    headers: impl ExactSizeIterator<Item = (&'a [u8], &'a [u8])>,
    f: impl FnOnce(&Request<'_>) -> Result<R, crate::Error>,
) -> Result<R, crate::Error> {
    let text = |b: &'a [u8], bad: WsError| core::str::from_utf8(b).map_err(|_| bad);
    let n = headers.len();
    if n > MAX_HEADERS {
        return Err(WsError::InvalidHeader.into());
    }
    let mut list = [("", ""); MAX_HEADERS];
    for (slot, (k, v)) in list.iter_mut().zip(headers) {
        *slot = (
            text(k, WsError::InvalidHeader)?,
            text(v, WsError::InvalidHeader)?,
        );
    }
    let req = Request {
        host: text(host, WsError::InvalidHost)?,
        port,
        tls,
        path: text(path, WsError::InvalidPath)?,
        headers: list.get(..n).unwrap_or(&[]),
    };
    f(&req)
}

/// Incremental parser of the server's answer; see the module
/// documentation.
#[derive(Debug, Clone)]
pub struct Handshake {
    accept: [u8; 28],
    seen: usize,
    line: [u8; LINE],
    line_len: usize,
    status_done: bool,
    upgrade: bool,
    connection: bool,
    accepted: bool,
    protocol: bool,
    done: bool,
    failed: Option<WsError>,
}

impl Handshake {
    /// Expect the answer to a request made with `nonce`.
    pub fn new(nonce: &[u8; 16]) -> Self {
        Handshake {
            accept: accept_key(&encode_key(nonce)),
            seen: 0,
            line: [0; LINE],
            line_len: 0,
            status_done: false,
            upgrade: false,
            connection: false,
            accepted: false,
            protocol: false,
            done: false,
            failed: None,
        }
    }

    /// Whether the whole answer was received and accepted.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Feed answer bytes. `Ok(None)`: all used, the header is not complete.
    /// `Ok(Some(n))`: the handshake succeeded with the first `n` bytes of
    /// `data`; `data[n..]` is already WebSocket frames (the server may send
    /// them right behind the header). Errors are final.
    pub fn push(&mut self, data: &[u8]) -> Result<Option<usize>, WsError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if self.done {
            return Ok(Some(0));
        }
        for (i, &b) in data.iter().enumerate() {
            self.seen = self.seen.saturating_add(1);
            if self.seen > MAX_RESPONSE {
                return Err(self.fail(WsError::ResponseTooLong));
            }
            if b != b'\n' {
                if let Some(slot) = self.line.get_mut(self.line_len) {
                    *slot = b;
                }
                self.line_len = self.line_len.saturating_add(1);
                continue;
            }
            let r = self.end_line();
            self.line_len = 0;
            r.map_err(|e| self.fail(e))?;
            if self.done {
                return Ok(Some(i.saturating_add(1)));
            }
        }
        Ok(None)
    }

    fn fail(&mut self, e: WsError) -> WsError {
        self.failed = Some(e);
        e
    }

    /// One line is complete (`\n` seen; a `\r` before it is dropped).
    fn end_line(&mut self) -> Result<(), WsError> {
        let kept = self.line_len.min(LINE);
        let mut line = self.line.get(..kept).unwrap_or(&[]);
        if let Some(l) = line.strip_suffix(b"\r") {
            line = l;
        }
        let whole = self.line_len <= LINE;
        if !self.status_done {
            self.status_done = true;
            return status(line);
        }
        if line.is_empty() {
            return self.finish();
        }
        if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            // Folded header lines are obsolete (RFC 7230 3.2.4).
            return Err(WsError::BadHeader);
        }
        let colon = line
            .iter()
            .position(|b| *b == b':')
            .ok_or(WsError::BadHeader)?;
        let (name, value) = line.split_at(colon);
        if name.is_empty() || !name.iter().copied().all(is_tchar) {
            return Err(WsError::BadHeader);
        }
        let value = trim(value.get(1..).unwrap_or(&[]));
        if name.eq_ignore_ascii_case(b"upgrade") {
            self.upgrade |= whole && value.eq_ignore_ascii_case(b"websocket");
        } else if name.eq_ignore_ascii_case(b"connection") {
            self.connection |= value
                .split(|b| *b == b',')
                .any(|t| trim(t).eq_ignore_ascii_case(b"upgrade"));
        } else if name.eq_ignore_ascii_case(b"sec-websocket-accept") {
            if self.accepted || !whole || value != self.accept {
                return Err(WsError::BadAccept);
            }
            self.accepted = true;
        } else if name.eq_ignore_ascii_case(b"sec-websocket-protocol") {
            if self.protocol || !whole || !value.eq_ignore_ascii_case(b"mqtt") {
                return Err(WsError::BadSubprotocol);
            }
            self.protocol = true;
        } else if name.eq_ignore_ascii_case(b"sec-websocket-extensions") && !value.is_empty() {
            return Err(WsError::UnexpectedExtension);
        }
        Ok(())
    }

    /// The blank line: every required header must have been seen.
    fn finish(&mut self) -> Result<(), WsError> {
        if !self.upgrade {
            return Err(WsError::MissingUpgrade);
        }
        if !self.connection {
            return Err(WsError::MissingConnection);
        }
        if !self.accepted {
            return Err(WsError::BadAccept);
        }
        if !self.protocol {
            return Err(WsError::BadSubprotocol);
        }
        self.done = true;
        Ok(())
    }
}

/// Optional whitespace around a header value.
fn trim(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

/// `HTTP/1.x SSS reason`: Ok for 101, else the status as an error.
fn status(line: &[u8]) -> Result<(), WsError> {
    let Some(rest) = line.strip_prefix(b"HTTP/1.") else {
        return Err(WsError::BadStatusLine);
    };
    let (minor, code, after) = match rest {
        [m, b' ', a, b, c, after @ ..] => (*m, [*a, *b, *c], after),
        _ => return Err(WsError::BadStatusLine),
    };
    if !minor.is_ascii_digit() || !code.iter().all(u8::is_ascii_digit) {
        return Err(WsError::BadStatusLine);
    }
    if !(after.is_empty() || after.first() == Some(&b' ')) {
        return Err(WsError::BadStatusLine);
    }
    let n = code.iter().fold(0u16, |n, d| {
        n.saturating_mul(10)
            .saturating_add(u16::from(d.saturating_sub(b'0')))
    });
    if n == 101 {
        Ok(())
    } else {
        Err(WsError::Status(n))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::sha1;
    use sha1::{Digest, Sha1};

    #[test]
    fn compact_sha1_matches_the_crate() {
        let data: [u8; 300] = core::array::from_fn(|i| (i as u8).wrapping_mul(131) ^ 0x5c);
        for len in 0..data.len() {
            let whole = &data[..len];
            let want: [u8; 20] = Sha1::digest(whole).into();
            let (a, b) = whole.split_at(len / 3);
            assert_eq!(sha1(&[a, b]), want, "length {len}");
        }
    }
}
