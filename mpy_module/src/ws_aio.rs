//! The core's sans-IO WebSocket layer (`umqtt_core::ws::Layer`) for
//! `umqtt.aio` (`umqtt/_aio_ws.py`), the same as CPython's `WsLayer`: the
//! glue (c/ws_aio.c) keeps a layer in a `_WsLayer` object and calls
//! [`umqtt_wsl`] with Python buffers; the random bytes (nonce, masks) are
//! the caller's. Built without the `ws` feature every call fails with
//! the transport error (ValueError).
#![cfg_attr(not(feature = "ws"), allow(dead_code))]
use crate::fail;
use crate::ffi::{Bytes, Out, WsArgs};
#[cfg(feature = "ws")]
use crate::ffi::{ST_IDLE, ST_OK};
use core::ffi::c_void;
use umqtt_core::Error;

/// `umqtt_wsl` operations (in the generated umqtt_ffi.h for c/ws_aio.c).
pub const WSL_INIT: i32 = 0;
pub const WSL_ACCEPT: i32 = 1;
pub const WSL_FRAME: i32 = 2;
pub const WSL_DECODE: i32 = 3;
pub const WSL_DUE: i32 = 4;
pub const WSL_REPLY: i32 = 5;
pub const WSL_CHECK: i32 = 6;
pub const WSL_CLOSE: i32 = 7;
pub const WSL_FRAME_LEN: i32 = 8;

#[cfg(feature = "ws")]
type Layer = umqtt_core::ws::Layer;

/// Bytes a `_WsLayer` object holds (8-byte aligned by the glue).
#[no_mangle]
pub extern "C" fn umqtt_wsl_size() -> usize {
    #[cfg(feature = "ws")]
    {
        core::mem::size_of::<Layer>()
    }
    #[cfg(not(feature = "ws"))]
    {
        0
    }
}

#[cfg(not(feature = "ws"))]
fn no_ws(err: &mut Out) -> i32 {
    fail(
        err,
        Error::InvalidArgument(umqtt_core::ArgError::InvalidTransport),
    )
}

/// The upgrade request of `args` (its timeout unused) with the 16-byte
/// `nonce`, into `buf[..cap]`; `*n` its length (or the length needed,
/// with ST_IDLE).
///
/// # Safety
/// `layer` an initialised layer block; `buf` `cap` writable bytes; the
/// other pointers valid, their buffers alive for the call.
#[no_mangle]
pub unsafe extern "C" fn umqtt_wsl_request(
    layer: *mut c_void,
    args: *const WsArgs,
    nonce: Bytes,
    buf: *mut u8,
    cap: usize,
    n: *mut usize,
    err: *mut Out,
) -> i32 {
    // SAFETY: the glue passes valid pointers.
    let (n, err) = unsafe { (&mut *n, &mut *err) };
    #[cfg(feature = "ws")]
    {
        use umqtt_core::ws::WsError;
        // SAFETY: the glue's contract.
        let (l, a, out) = unsafe {
            (
                &mut *layer.cast::<Layer>(),
                &*args,
                core::slice::from_raw_parts_mut(buf, cap),
            )
        };
        // SAFETY: a Python buffer alive for the call.
        let Ok(nonce) = <[u8; 16]>::try_from(unsafe { nonce.as_slice() }) else {
            return fail(err, Error::WebSocket(WsError::InvalidHeader));
        };
        // SAFETY: the glue's strings are alive for the call.
        let r = unsafe { crate::ws::with_request(a, |req| Ok(l.request(req, &nonce, out))) };
        match r {
            Ok(Ok(len)) => {
                *n = len;
                ST_OK
            }
            Ok(Err(WsError::BufferTooSmall { needed })) => {
                *n = needed;
                ST_IDLE
            }
            Ok(Err(e)) => fail(err, e.into()),
            Err(e) => fail(err, e),
        }
    }
    #[cfg(not(feature = "ws"))]
    {
        let _ = (layer, args, nonce, buf, cap, n);
        no_ws(err)
    }
}

/// One operation `op` (WSL_*) on the layer block at `layer`:
///
/// - INIT: build a layer (`layer` 8-byte aligned, `umqtt_wsl_size()` bytes);
/// - ACCEPT `data`: ST_IDLE needs more, ST_OK accepted with `*n` bytes;
/// - FRAME `data` with `mask` into `buf` (FRAME_LEN: `*n` = its length);
/// - DECODE `buf[..cap]` in place, `*n` MQTT bytes;
/// - DUE: `*n` 1 if REPLY has a frame to send; REPLY / CLOSE with `mask`
///   into `buf` (at least 139 bytes), `*n` its length (0: none);
/// - CHECK: ST_ERROR (the close as OSError) if the server closed.
///
/// # Safety
/// `layer` a block as above (initialised except for INIT), `buf` `cap`
/// writable bytes, `n` and `err` valid, `data` and `mask` alive.
#[no_mangle]
pub unsafe extern "C" fn umqtt_wsl(
    layer: *mut c_void,
    op: i32,
    data: Bytes,
    mask: Bytes,
    buf: *mut u8,
    cap: usize,
    n: *mut usize,
    err: *mut Out,
) -> i32 {
    // SAFETY: the glue passes valid pointers.
    let (n, err) = unsafe { (&mut *n, &mut *err) };
    *n = 0;
    #[cfg(feature = "ws")]
    {
        use umqtt_core::ws::frame::frame_len;
        if op == WSL_INIT {
            let p = layer.cast::<Layer>();
            if !p.is_aligned() {
                let needed = umqtt_wsl_size();
                return fail(err, Error::BufferTooSmall { needed });
            }
            // SAFETY: aligned, umqtt_wsl_size() writable bytes.
            unsafe { p.write(Layer::new(umqtt_core::ws::MAX_FRAME)) };
            return ST_OK;
        }
        // SAFETY: an initialised layer (the glue's contract) and buffers.
        let (l, data, out) = unsafe {
            (
                &mut *layer.cast::<Layer>(),
                data.as_slice(),
                if buf.is_null() {
                    &mut [][..]
                } else {
                    core::slice::from_raw_parts_mut(buf, cap)
                },
            )
        };
        let mut m = [0u8; 4];
        // SAFETY: a Python buffer alive for the call.
        if let Some(src) = unsafe { mask.as_slice() }.get(..4) {
            m.copy_from_slice(src);
        }
        let r = match op {
            WSL_ACCEPT => match l.accept(data) {
                Ok(None) => return ST_IDLE,
                r => r.map(|u| u.unwrap_or(0)),
            },
            WSL_FRAME => l.frame(data, m, out),
            WSL_FRAME_LEN => Ok(frame_len(data.len())),
            WSL_DECODE => l.decode(out),
            WSL_DUE => Ok(usize::from(l.reply_due())),
            WSL_REPLY => l.reply(m, out),
            WSL_CLOSE => l.close(m, out),
            WSL_CHECK => l.closed().map_or(Ok(0), Err),
            _ => Ok(0),
        };
        match r {
            Ok(len) => {
                *n = len;
                ST_OK
            }
            Err(e) => fail(err, e.into()),
        }
    }
    #[cfg(not(feature = "ws"))]
    {
        let _ = (layer, op, data, mask, buf, cap);
        no_ws(err)
    }
}
