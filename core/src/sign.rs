//! Credential signing for cloud IoT platforms: HMAC-SHA1/SHA256 and the
//! text encodings their sign-in schemes use (hex, base64, URL encoding).
//!
//! Aliyun IoT signs its MQTT password as hex(HMAC(device secret, sorted
//! parameters)); Azure IoT Hub's SAS token is base64(HMAC-SHA256(base64-
//! decoded key, url-encoded resource + "\n" + expiry)), URL-encoded again.
//! The string layouts live in the Python module `umqtt.cloud` (one source
//! for both runtimes); the cryptography and the encodings live here, so
//! MicroPython (no `hmac` module by default) and CPython compute the same
//! bytes. Everything writes into caller buffers: no allocation, no panic.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};

/// The MAC algorithms the platforms use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// HMAC-SHA1 (Aliyun `hmacsha1`), 20-byte output.
    HmacSha1,
    /// HMAC-SHA256 (Aliyun `hmacsha256`, Azure SAS tokens), 32-byte output.
    HmacSha256,
}

impl Algorithm {
    /// Length of the MAC in bytes.
    pub const fn output_len(self) -> usize {
        match self {
            Algorithm::HmacSha1 => 20,
            Algorithm::HmacSha256 => 32,
        }
    }
}

/// Why a signing or encoding call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignError {
    /// The output buffer is too small: `needed` bytes are required.
    BufferTooSmall {
        /// Bytes the result needs.
        needed: usize,
    },
    /// The input is not valid (padded, standard-alphabet) base64.
    InvalidBase64,
}

impl SignError {
    /// A short message for the bindings' exceptions.
    pub const fn message(self) -> &'static str {
        match self {
            SignError::BufferTooSmall { .. } => "output buffer too small",
            SignError::InvalidBase64 => "invalid base64",
        }
    }
}

/// The hex digit for the low four bits of `v` from `digits`.
fn nibble(digits: &[u8; 16], v: u8) -> u8 {
    digits.get(usize::from(v & 0x0f)).copied().unwrap_or(b'0')
}

/// Copies `src` to the start of `out`, or says how much room it needs.
fn put(src: &[u8], out: &mut [u8]) -> Result<usize, SignError> {
    let dst = out
        .get_mut(..src.len())
        .ok_or(SignError::BufferTooSmall { needed: src.len() })?;
    dst.copy_from_slice(src);
    Ok(src.len())
}

fn mac_parts<M: Mac + hmac::digest::KeyInit>(
    key: &[u8],
    parts: &[&[u8]],
    out: &mut [u8],
) -> Result<usize, SignError> {
    // HMAC takes keys of any length (long ones are hashed), so this never fails.
    let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key)
        .map_err(|_| SignError::BufferTooSmall { needed: 0 })?;
    for p in parts {
        mac.update(p);
    }
    put(&mac.finalize().into_bytes(), out)
}

/// HMAC of the concatenation of `parts` under `key`, written to `out`
/// (at least [`Algorithm::output_len`] bytes); returns the MAC length.
pub fn hmac(
    alg: Algorithm,
    key: &[u8],
    parts: &[&[u8]],
    out: &mut [u8],
) -> Result<usize, SignError> {
    match alg {
        Algorithm::HmacSha1 => mac_parts::<Hmac<sha1::Sha1>>(key, parts, out),
        Algorithm::HmacSha256 => mac_parts::<Hmac<sha2::Sha256>>(key, parts, out),
    }
}

/// Length of the lowercase hex form of `n` bytes (saturating).
pub const fn hex_len(n: usize) -> usize {
    n.saturating_mul(2)
}

/// Lowercase hex of `input` into `out`; returns the length written.
pub fn hex_encode(input: &[u8], out: &mut [u8]) -> Result<usize, SignError> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let needed = hex_len(input.len());
    let dst = out
        .get_mut(..needed)
        .ok_or(SignError::BufferTooSmall { needed })?;
    for (pair, &b) in dst.chunks_exact_mut(2).zip(input) {
        if let [hi, lo] = pair {
            *hi = nibble(DIGITS, b >> 4);
            *lo = nibble(DIGITS, b);
        }
    }
    Ok(needed)
}

/// Length of the padded base64 form of `n` bytes (saturating).
pub const fn base64_len(n: usize) -> usize {
    n.div_ceil(3).saturating_mul(4)
}

/// Standard padded base64 of `input` into `out`; returns the length written.
pub fn base64_encode(input: &[u8], out: &mut [u8]) -> Result<usize, SignError> {
    let needed = base64_len(input.len());
    STANDARD
        .encode_slice(input, out)
        .map_err(|_| SignError::BufferTooSmall { needed })
}

/// Decodes standard padded base64 into `out` (at least `input.len() / 4 * 3`
/// bytes suffice); returns the length written.
pub fn base64_decode(input: &[u8], out: &mut [u8]) -> Result<usize, SignError> {
    use base64::DecodeSliceError;
    STANDARD.decode_slice(input, out).map_err(|e| match e {
        DecodeSliceError::OutputSliceTooSmall => SignError::BufferTooSmall {
            needed: (input.len() / 4).saturating_mul(3),
        },
        DecodeSliceError::DecodeError(_) => SignError::InvalidBase64,
    })
}

/// RFC 3986 unreserved characters, kept as they are by [`url_encode`].
const fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Length of `input` percent-encoded by [`url_encode`] (saturating).
pub fn url_encoded_len(input: &[u8]) -> usize {
    input.iter().fold(0usize, |n, &b| {
        n.saturating_add(if unreserved(b) { 1 } else { 3 })
    })
}

/// Percent-encodes every byte but the RFC 3986 unreserved ones (uppercase
/// hex, as Python's `urllib.parse.quote(s, safe="")` and JavaScript's
/// `encodeURIComponent` do for the characters SAS tokens contain); returns
/// the length written.
pub fn url_encode(input: &[u8], out: &mut [u8]) -> Result<usize, SignError> {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let needed = url_encoded_len(input);
    let mut dst = out
        .get_mut(..needed)
        .ok_or(SignError::BufferTooSmall { needed })?
        .iter_mut();
    for &b in input {
        if unreserved(b) {
            if let Some(d) = dst.next() {
                *d = b;
            }
        } else {
            for v in [b'%', nibble(DIGITS, b >> 4), nibble(DIGITS, b)] {
                if let Some(d) = dst.next() {
                    *d = v;
                }
            }
        }
    }
    Ok(needed)
}
