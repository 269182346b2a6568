//! MicroPython native module `umqtt._sign`: the Rust half. The C glue
//! (`sign_glue.c`) converts objects and allocates; these functions only run
//! umqtt_core::sign over the buffers it passes.
#![no_std]

use core::slice;
use umqtt_core::sign::{self, Algorithm, SignError};

/// Encodings selected by `kind` (same numbers in sign_glue.c).
const HEX: u32 = 0;
const B64_ENCODE: u32 = 1;
const B64_DECODE: u32 = 2;
const QUOTE: u32 = 3;

/// Status codes returned instead of a length (negative).
const TOO_SMALL: isize = -1;
const INVALID_BASE64: isize = -2;
const BAD_KIND: isize = -3;

extern "C" {
    fn sign_glue_panic() -> !;
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    // SAFETY: the glue raises (long-jumps) and never returns.
    unsafe { sign_glue_panic() }
}

/// # Safety
/// `ptr` must point to `len` readable bytes (any pointer if `len` is 0).
unsafe fn input<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if len == 0 || ptr.is_null() {
        &[]
    } else {
        // SAFETY: guaranteed by the caller.
        unsafe { slice::from_raw_parts(ptr, len) }
    }
}

/// # Safety
/// `ptr` must point to `len` writable bytes (any pointer if `len` is 0).
unsafe fn output<'a>(ptr: *mut u8, len: usize) -> &'a mut [u8] {
    if len == 0 || ptr.is_null() {
        &mut []
    } else {
        // SAFETY: guaranteed by the caller.
        unsafe { slice::from_raw_parts_mut(ptr, len) }
    }
}

fn status(r: Result<usize, SignError>) -> isize {
    match r {
        Ok(n) => isize::try_from(n).unwrap_or(TOO_SMALL),
        Err(SignError::BufferTooSmall { .. }) => TOO_SMALL,
        Err(SignError::InvalidBase64) => INVALID_BASE64,
    }
}

/// HMAC (`sha256` != 0: SHA-256, else SHA-1) of msg under key into `out`
/// (32 bytes); returns the MAC length or a negative status.
///
/// # Safety
/// The pointers must be valid for their lengths; `out` for 32 bytes.
#[no_mangle]
pub unsafe extern "C" fn umqtt_sign_hmac(
    sha256: u32,
    key: *const u8,
    key_len: usize,
    msg: *const u8,
    msg_len: usize,
    out: *mut u8,
) -> isize {
    let alg = if sha256 != 0 {
        Algorithm::HmacSha256
    } else {
        Algorithm::HmacSha1
    };
    // SAFETY: as documented above.
    let (key, msg, out) = unsafe { (input(key, key_len), input(msg, msg_len), output(out, 32)) };
    status(sign::hmac(alg, key, &[msg], out))
}

/// Bytes the result of encoding `kind` of `len` input bytes needs at most.
///
/// # Safety
/// `data` must be valid for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn umqtt_sign_encoded_len(kind: u32, data: *const u8, len: usize) -> usize {
    // SAFETY: as documented above.
    let data = unsafe { input(data, len) };
    match kind {
        HEX => sign::hex_len(len),
        B64_ENCODE => sign::base64_len(len),
        B64_DECODE => (len / 4).saturating_mul(3),
        QUOTE => sign::url_encoded_len(data),
        _ => 0,
    }
}

/// Encodes (or base64-decodes) `data` into `out`; returns the length
/// written or a negative status.
///
/// # Safety
/// The pointers must be valid for their lengths.
#[no_mangle]
pub unsafe extern "C" fn umqtt_sign_encode(
    kind: u32,
    data: *const u8,
    len: usize,
    out: *mut u8,
    cap: usize,
) -> isize {
    // SAFETY: as documented above.
    let (data, out) = unsafe { (input(data, len), output(out, cap)) };
    match kind {
        HEX => status(sign::hex_encode(data, out)),
        B64_ENCODE => status(sign::base64_encode(data, out)),
        B64_DECODE => status(sign::base64_decode(data, out)),
        QUOTE => status(sign::url_encode(data, out)),
        _ => BAD_KIND,
    }
}
