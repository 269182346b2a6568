//! MQTT over WebSockets: the arguments (`transport`, `ws_path`, a `ws://`
//! URL as server; core `args`) and the handshake on `self.sock`, then the
//! core's `ws::Link` under every operation (see `Engine::split`). The
//! random bytes (nonce, masks) come from `os.urandom` through the glue.
use crate::ffi::{Bytes, Out, WsArgs, WsTargetOut, ST_OK};
use crate::{fail, parts};
#[cfg(feature = "ws")]
use crate::{ffi, host::MpHost, status};
use core::ffi::c_void;
use umqtt_core::{args, Error};

/// The WebSocket state, on the MicroPython heap from the first WebSocket
/// connection on (a client that never opens one does not pay its 0.7 KB).
/// Reachable from the engine block, so the collector keeps it.
#[cfg(feature = "ws")]
pub struct LinkBox {
    ptr: *mut Link,
}

/// The link and the heap buffer (up to 4 KB) its frames are built in.
#[cfg(feature = "ws")]
pub type Link = umqtt_core::ws::Link<crate::heap::HeapBuf>;

/// Outgoing WebSocket frames are built in a buffer of up to this many
/// bytes; larger packets go out in pieces of it.
#[cfg(feature = "ws")]
const WS_SCRATCH: usize = 4096;

#[cfg(feature = "ws")]
impl LinkBox {
    pub const fn empty() -> Self {
        LinkBox {
            ptr: core::ptr::null_mut(),
        }
    }

    /// The link, if one was ever made.
    pub fn get(&mut self) -> Option<&mut Link> {
        // SAFETY: null or a block holding a Link written by `make`, owned
        // by this engine (&mut self: exclusive).
        unsafe { self.ptr.as_mut() }
    }

    /// The link, made now if needed (None when the heap is full).
    fn make(&mut self) -> Option<&mut Link> {
        if self.ptr.is_null() {
            let size = core::mem::size_of::<Link>();
            // SAFETY: a fresh block (or null) from m_realloc.
            let p = unsafe { ffi::glue_realloc(core::ptr::null_mut(), size) }.cast::<Link>();
            if p.is_null() || !p.is_aligned() {
                return None;
            }
            let scratch = crate::heap::HeapBuf::empty(WS_SCRATCH);
            // SAFETY: p is aligned and points to enough writable bytes.
            unsafe { p.write(Link::new(umqtt_core::ws::MAX_FRAME, scratch)) };
            self.ptr = p;
        }
        self.get()
    }
}

#[cfg(feature = "ws")]
impl umqtt_core::ws::Entropy for MpHost<'_> {
    fn fill_random(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        // SAFETY: io is the glue context of the running call; buf is valid.
        match unsafe { ffi::glue_random(self.io, buf.as_mut_ptr(), buf.len()) } {
            0 => Ok(()),
            _ => Err(Error::Host),
        }
    }
}

/// Run `f` with the upgrade request `a` describes (strings of the glue;
/// core `ws::with_raw_request`).
///
/// # Safety
/// `a`'s buffers alive for the call, `headers` pointing to
/// `2 * n_headers` of them.
#[cfg(feature = "ws")]
pub(crate) unsafe fn with_request<R>(
    a: &WsArgs,
    f: impl FnOnce(&umqtt_core::ws::Request<'_>) -> Result<R, Error>,
) -> Result<R, Error> {
    let pairs = if a.n_headers == 0 || a.headers.is_null() {
        &[][..]
    } else {
        // SAFETY: the glue passes 2 * n_headers strings, alive for the call.
        unsafe { core::slice::from_raw_parts(a.headers, a.n_headers.saturating_mul(2)) }
    };
    // SAFETY: the glue's strings stay alive for the call.
    let text = |b: &Bytes| unsafe { b.as_slice() };
    let headers = pairs.chunks_exact(2).map(|kv| match kv {
        [k, v] => (text(k), text(v)),
        _ => (&[][..], &[][..]),
    });
    let port = u16::try_from(a.port).unwrap_or(0);
    // SAFETY: as above.
    let (host, path) = (text(&a.host), text(&a.path));
    umqtt_core::ws::with_raw_request(host, port, a.tls != 0, path, headers, f)
}

/// The connection `server`/`port`/`ssl`/`transport`/`ws_path` ask for
/// (core `args::ws_target`): `out.is_ws` 0 for MQTT over TCP (`out.port`:
/// the port to open, the default for 0), else host, port, tls and path
/// (slices of the arguments).
///
/// # Safety
/// `out`, `err` valid; the buffers alive for the call.
#[no_mangle]
pub unsafe extern "C" fn umqtt_ws_target(
    server: Bytes,
    port: u32,
    ssl: i32,
    transport: Bytes,
    path: Bytes,
    out: *mut WsTargetOut,
    err: *mut Out,
) -> i32 {
    // SAFETY: the glue passes valid pointers.
    let (t, err) = unsafe { (&mut *out, &mut *err) };
    // SAFETY: Python buffers alive for the call.
    let (server, transport, path) =
        unsafe { (server.as_slice(), transport.as_slice(), path.as_slice()) };
    let target = args::ws_target_raw(server, port, ssl != 0, transport, path);
    let port = u16::try_from(port).unwrap_or(0);
    t.is_ws = 0;
    t.tls = i32::from(ssl != 0);
    t.port = u32::from(args::port(port, ssl != 0, false));
    match target {
        Ok(Some(w)) => {
            t.is_ws = 1;
            t.tls = i32::from(w.tls);
            t.port = u32::from(w.port);
            t.host = Bytes {
                ptr: w.host.as_ptr(),
                len: w.host.len(),
            };
            t.path = Bytes {
                ptr: w.path.as_ptr(),
                len: w.path.len(),
            };
        }
        Ok(None) => {}
        Err(e) => return fail(err, e),
    }
    ST_OK
}

/// The opening handshake on the stream just opened (`args` from
/// [`umqtt_ws_target`] and `ws_headers`), or with `args` null: MQTT over
/// TCP, the link goes back to passing bytes through.
///
/// # Safety
/// See [`parts`]; `args` null or valid with buffers alive for the call.
#[no_mangle]
pub unsafe extern "C" fn umqtt_ws_open(
    eng: *mut c_void,
    io: *mut c_void,
    args: *const WsArgs,
    out: *mut Out,
) -> i32 {
    // SAFETY: forwarded contract.
    let (engine, out) = unsafe { parts(eng, out) };
    #[cfg(feature = "ws")]
    {
        if let Some(link) = engine.link.get() {
            link.reset();
        }
        if args.is_null() {
            return ST_OK;
        }
        // SAFETY: non-null and valid (the glue's contract).
        let a = unsafe { &*args };
        // Bounded like every step of connect() (the core's rule).
        let timeout = Some(
            engine
                .client
                .connect_step_timeout_ms(crate::given_timeout(a.timeout_ms)),
        );
        let write_timeout_ms = u64::from(engine.client.socket_timeout_ms());
        let mut host = MpHost {
            io,
            clock: &mut engine.clock,
            write_timeout_ms,
        };
        let Some(link) = engine.link.make() else {
            return fail(
                out,
                Error::BufferTooSmall {
                    needed: core::mem::size_of::<Link>(),
                },
            );
        };
        // SAFETY: the glue's strings are alive for the call.
        status(out, unsafe {
            with_request(a, |req| link.open(&mut host, req, timeout))
        })
    }
    #[cfg(not(feature = "ws"))]
    {
        let _ = (engine, io);
        if args.is_null() {
            ST_OK
        } else {
            fail(
                out,
                Error::InvalidArgument(umqtt_core::ArgError::InvalidTransport),
            )
        }
    }
}
