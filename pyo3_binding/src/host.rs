//! `umqtt_core::client::Host` over a Python socket object (`self.sock`):
//! plain `socket.socket`, `ssl.SSLSocket`, or anything with the same
//! `recv`/`sendall`/`gettimeout`/`settimeout` methods.
//!
//! A plain socket is never switched between modes: a read polls its
//! descriptor first (one `select.poll` per socket, see sockio.rs), with the
//! wait's limit or 0, then reads what is there. A TLS socket (whose
//! decrypted bytes a poll of the descriptor cannot see, and whose read of
//! half a record would block) and any other object wait with `settimeout`,
//! and the caller's timeout is put back afterwards. Either way the socket
//! mode the user chose (blocking, timeout, non-blocking) is what they see
//! after every call. A write is one `send()`; the mode only matters when it
//! could not take the whole packet.
use std::time::Instant;

use pyo3::exceptions::{PyBlockingIOError, PyOSError, PyTimeoutError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyList, PyType};
use umqtt_core::client::{Host, ReadResult, ReadWait};
use umqtt_core::Error;

use crate::sockio::{dontwait, select_poll, Kind, Methods, SockState, Timeout};
use crate::ws::WsLink;

/// Largest single `recv`: CPython allocates the full size up front, so a
/// huge frame is read in slices rather than with one giant allocation.
const MAX_RECV: usize = 256 * 1024;
/// `PyBUF_WRITE` of CPython's memoryobject.h: a writable memoryview.
const PYBUF_WRITE: std::os::raw::c_int = 0x200;
pub(crate) use umqtt_core::error::code::EIO;

static SSL_WANT_READ: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static SSL_WANT_WRITE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// One operation's view of the socket; built per call, never stored.
pub struct PyHost<'a, 'py> {
    sock: Bound<'py, PyAny>,
    epoch: Instant,
    io: &'a mut SockState,
    /// A write on a non-blocking socket waits at most this long (seconds).
    write_timeout: f64,
    /// The socket's real timeout, read once per operation (no user code runs
    /// while the host is alive, so it cannot change behind our back).
    mode: Option<Timeout>,
    /// check_msg()'s fast path: the socket is blocking, but reads and
    /// writes act as on a non-blocking one.
    view: bool,
    /// The Python exception behind the last `Error::Host` / `Error::Io`.
    pub error: Option<PyErr>,
    /// The WebSocket link (the core's), on a WebSocket connection (ws.rs).
    pub(crate) ws: Option<&'a mut WsLink>,
}

impl<'a, 'py> PyHost<'a, 'py> {
    pub fn new(
        sock: Bound<'py, PyAny>,
        epoch: Instant,
        io: &'a mut SockState,
        write_timeout_ms: u32,
    ) -> Self {
        io.methods(&sock);
        let (mode, view) = io.preset_for(&sock);
        PyHost {
            sock,
            epoch,
            io,
            write_timeout: f64::from(write_timeout_ms) / 1000.0,
            mode,
            view,
            error: None,
            ws: None,
        }
    }

    /// Run the reads and writes through the WebSocket layer, if any.
    pub fn with_ws(mut self, ws: Option<&'a mut WsLink>) -> Self {
        self.ws = ws;
        self
    }

    pub(crate) fn py(&self) -> Python<'py> {
        self.sock.py()
    }

    fn kind(&self) -> Kind {
        self.io.cached().map_or(Kind::Other, |m| m.kind)
    }

    /// A cached method of the socket, for a call.
    fn method(&self, pick: fn(&Methods) -> &Option<Py<PyAny>>) -> Option<Bound<'py, PyAny>> {
        let py = self.sock.py();
        let m = self.io.cached()?;
        pick(m).as_ref().map(|f| f.bind(py).clone())
    }

    /// Keep `e` for the binding to re-raise and report `Error::Host`: a
    /// non-fatal failure (KeyboardInterrupt, the user's own socket timeout).
    fn stash(&mut self, e: PyErr) -> Error {
        self.error = Some(e);
        Error::Host
    }

    /// Keep `e` for the binding to re-raise and report `Error::Io`, which
    /// makes the core drop the connection: socket errors, and any failure
    /// of a write (the stream may hold half a packet).
    pub(crate) fn stash_fatal(&mut self, e: PyErr) -> Error {
        let py = self.sock.py();
        let errno = e
            .value(py)
            .getattr(intern!(py, "errno"))
            .and_then(|n| n.extract::<i32>())
            .unwrap_or(EIO);
        self.error = Some(e);
        Error::Io(errno)
    }

    /// The socket's real timeout.
    fn real_timeout(&mut self) -> Result<Timeout, Error> {
        if let Some(t) = self.mode {
            return Ok(t);
        }
        let py = self.sock.py();
        let t = match self.method(|m| &m.gettimeout) {
            Some(f) => f.call0(),
            None => self.sock.call_method0(intern!(py, "gettimeout")),
        };
        let t = t
            .and_then(|t| t.extract::<Option<f64>>())
            .map_err(|e| self.stash(e))?;
        self.mode = Some(t);
        Ok(t)
    }

    /// The timeout the socket acts with (non-blocking for the view).
    fn timeout(&mut self) -> Result<Timeout, Error> {
        if self.view {
            return Ok(Some(0.0));
        }
        self.real_timeout()
    }

    fn set_timeout(&mut self, t: Timeout) -> Result<(), Error> {
        let py = self.sock.py();
        self.sock
            .call_method1(intern!(py, "settimeout"), (t,))
            .map(drop)
            .map_err(|e| self.stash(e))
    }

    /// Run `f` with the socket's timeout set to `want`, then restore it.
    fn with_timeout<T>(
        &mut self,
        want: Timeout,
        f: impl FnOnce(&Bound<'py, PyAny>) -> PyResult<T>,
    ) -> Result<PyResult<T>, Error> {
        let cur = self.real_timeout()?;
        if want == cur {
            return Ok(f(&self.sock));
        }
        self.set_timeout(want)?;
        let r = f(&self.sock);
        self.set_timeout(cur)?;
        Ok(r)
    }

    /// `recv(len)` into `buf`; a plain socket's `recv_into` straight into
    /// it (no bytes object: `recv` of 4 KiB mallocs it and shrinks it,
    /// ~800 instructions of a QoS 1 publish).
    fn recv(&self, buf: &mut [u8]) -> PyResult<Result<usize, Error>> {
        let py = self.sock.py();
        let n = buf.len().min(MAX_RECV);
        if let Some(recv_into) = self.method(|m| &m.recv_into) {
            return recv_into_buf(&recv_into, &mut buf[..n]);
        }
        let data = match self.method(|m| &m.recv) {
            Some(f) => f.call1((n,))?,
            None => self.sock.call_method1(intern!(py, "recv"), (n,))?,
        };
        copy_received(&data, buf)
    }

    /// Whether the descriptor turns readable within `ms`; `None` when it
    /// cannot be polled (closed socket, no `select.poll`).
    fn poll_in(&mut self, ms: u32) -> Result<Option<bool>, Error> {
        let py = self.sock.py();
        let (Some(fileno), Some(_)) = (self.method(|m| &m.fileno), select_poll(py)) else {
            return Ok(None);
        };
        let fd = fileno
            .call0()
            .and_then(|f| f.extract::<i64>())
            .map_err(|e| self.stash(e))?;
        if fd < 0 {
            return Ok(None);
        }
        let poll = self
            .io
            .methods(&self.sock)
            .poller(py, fd)
            .map_err(|e| self.stash(e))?;
        // poll() takes a C int of ms; a longer wait just comes back early.
        let ms = i32::try_from(ms).unwrap_or(i32::MAX);
        match poll.call1((ms,)) {
            Ok(ready) => Ok(Some(ready.cast::<PyList>().map_or(true, |l| !l.is_empty()))),
            Err(e) if e.is_instance_of::<PyOSError>(py) => Err(self.stash_fatal(e)),
            Err(e) => Err(self.stash(e)),
        }
    }

    /// The outcome of a `recv`. `ours`: the wait limit was the core's
    /// (expiry -> TimedOut); otherwise it was the user's own socket timeout,
    /// whose expiry is raised as is.
    fn received(
        &mut self,
        r: PyResult<Result<usize, Error>>,
        wait: ReadWait,
        ours: bool,
    ) -> Result<ReadResult, Error> {
        let py = self.sock.py();
        match r {
            Ok(Ok(n)) => Ok(ReadResult::Data(n)),
            Ok(Err(e)) => Err(e),
            Err(e) if is_would_block(py, &e) => match wait {
                // Force promises Data or TimedOut (Force(0) is a poll).
                ReadWait::Force(_) => Ok(ReadResult::TimedOut),
                _ => Ok(ReadResult::WouldBlock),
            },
            Err(e) if ours && is_timeout(py, &e) => Ok(ReadResult::TimedOut),
            // The user's own socket timeout: raised as is, connection kept
            // (partial bytes stay buffered), as umqtt.simple raises OSError.
            Err(e) if is_timeout(py, &e) => Err(self.stash(e)),
            Err(e) if e.is_instance_of::<PyOSError>(py) => Err(self.stash_fatal(e)),
            Err(e) => Err(self.stash(e)),
        }
    }

    /// Read through `settimeout` (TLS and other sockets, and the fallback).
    fn read_with_timeout(&mut self, buf: &mut [u8], wait: ReadWait) -> Result<ReadResult, Error> {
        let cur = self.timeout()?;
        let (want, ours) = match wait {
            ReadWait::Poll => (Some(0.0), true),
            ReadWait::Force(ms) => (Some(secs(ms)), true),
            ReadWait::Socket(_) if cur == Some(0.0) => (cur, true),
            ReadWait::Socket(Some(ms)) => match cur {
                Some(c) if c <= secs(ms) => (cur, false),
                _ => (Some(secs(ms)), true),
            },
            ReadWait::Socket(None) => (cur, false),
        };
        let r = self.with_timeout(want, |s| {
            let py = s.py();
            let n = buf.len().min(MAX_RECV);
            copy_received(&s.call_method1(intern!(py, "recv"), (n,))?, buf)
        })?;
        self.received(r, wait, ours)
    }

    /// Read a plain socket without changing its mode.
    fn read_plain(&mut self, buf: &mut [u8], wait: ReadWait) -> Result<ReadResult, Error> {
        /// Non-blocking now / in the socket's own mode / after a poll.
        enum How {
            Now,
            Own,
            After(u32),
        }
        let how = match wait {
            ReadWait::Poll => How::Now,
            ReadWait::Force(ms) => How::After(ms),
            ReadWait::Socket(limit) => match (self.timeout()?, limit) {
                (Some(0.0), _) => How::Now,
                (Some(c), Some(ms)) if c <= secs(ms) => How::Own,
                (_, Some(ms)) => How::After(ms),
                (_, None) => How::Own,
            },
        };
        let r = match how {
            // A poll rather than a non-blocking recv: an empty socket then
            // costs no BlockingIOError (check_msg() in an idle loop: 2.1 ->
            // 0.9 us), and it works whatever the socket's mode.
            How::Now => match self.poll_in(0)? {
                Some(true) => self.recv(buf),
                Some(false) => return Ok(ReadResult::WouldBlock),
                None => return self.read_with_timeout(buf, wait),
            },
            How::Own => self.recv(buf),
            How::After(ms) => match self.poll_in(ms)? {
                // Readable: data or EOF/error, so recv does not block.
                Some(true) => self.recv(buf),
                Some(false) => return Ok(ReadResult::TimedOut),
                None => return self.read_with_timeout(buf, wait),
            },
        };
        self.received(r, wait, !matches!(how, How::Own))
    }

    /// Send the rest of a packet after `send()` could not take it all, as
    /// the socket's mode says: a non-blocking socket gets a bounded wait
    /// (sendall on it could fail half-way with no way to know what was sent).
    /// `started`: part of the packet is already out.
    fn write_rest(&mut self, rest: &[u8], started: bool) -> Result<(), Error> {
        let py = self.sock.py();
        // socket_timeout bounds the wait whatever the socket's mode (the
        // user's own shorter timeout applies as it is).
        let want = match self.timeout()? {
            Some(t) if t > 0.0 && t < self.write_timeout => Some(t),
            _ => Some(self.write_timeout),
        };
        let bytes = PyBytes::new(py, rest);
        let r = self.with_timeout(want, |s| s.call_method1(intern!(py, "sendall"), (bytes,)))?;
        match r {
            Ok(_) => Ok(()),
            Err(e) if !started && is_timeout(py, &e) && want == Some(self.write_timeout) => {
                Err(Error::Timeout)
            }
            Err(e) => Err(self.stash_fatal(e)),
        }
    }
}

/// `socket.socket.recv_into(view)` with a writable memoryview of `buf`;
/// 0 bytes (EOF) is `ConnectionClosed`.
fn recv_into_buf(recv_into: &Bound<'_, PyAny>, buf: &mut [u8]) -> PyResult<Result<usize, Error>> {
    let py = recv_into.py();
    let len = isize::try_from(buf.len()).unwrap_or(isize::MAX);
    // SAFETY: the view points into `buf`, which outlives it: it is dropped
    // (or, were anything still holding it, released) before this returns.
    // recv_into is the C method of exactly socket.socket (Kind::Plain),
    // which holds the buffer only during the call.
    let view = unsafe {
        Bound::from_owned_ptr_or_err(
            py,
            pyo3::ffi::PyMemoryView_FromMemory(buf.as_mut_ptr().cast(), len, PYBUF_WRITE),
        )?
    };
    let r = recv_into.call1((&view,));
    // SAFETY: a live object's reference count.
    if unsafe { pyo3::ffi::Py_REFCNT(view.as_ptr()) } > 1 {
        view.call_method0(intern!(py, "release"))?;
    }
    let n: usize = r?.extract()?;
    if n == 0 {
        return Ok(Err(Error::ConnectionClosed));
    }
    if n > buf.len() {
        return Err(PyValueError::new_err(
            "sock.recv_into() returned more bytes than requested",
        ));
    }
    Ok(Ok(n))
}

/// Copy `recv()`'s result into `buf`; `b''` (EOF) is `ConnectionClosed`.
fn copy_received(data: &Bound<'_, PyAny>, buf: &mut [u8]) -> PyResult<Result<usize, Error>> {
    let data = data.cast::<PyBytes>()?.as_bytes();
    if data.is_empty() {
        return Ok(Err(Error::ConnectionClosed));
    }
    // A well-behaved socket never returns more than asked; a custom one
    // that does would lose data, so refuse it loudly.
    let Some(dst) = buf.get_mut(..data.len()) else {
        return Err(PyValueError::new_err(
            "sock.recv() returned more bytes than requested",
        ));
    };
    dst.copy_from_slice(data);
    Ok(Ok(data.len()))
}

/// "No data yet" on a non-blocking socket; for TLS sockets the ssl module
/// reports it with its own exceptions.
fn is_would_block(py: Python<'_>, e: &PyErr) -> bool {
    if e.is_instance_of::<PyBlockingIOError>(py) {
        return true;
    }
    [
        (&SSL_WANT_READ, "SSLWantReadError"),
        (&SSL_WANT_WRITE, "SSLWantWriteError"),
    ]
    .into_iter()
    .any(|(cell, name)| {
        cell.import(py, "ssl", name)
            .is_ok_and(|t| e.is_instance(py, t.as_any()))
    })
}

/// socket.timeout is TimeoutError (Python >= 3.10).
fn is_timeout(py: Python<'_>, e: &PyErr) -> bool {
    e.is_instance_of::<PyTimeoutError>(py)
}

fn secs(ms: u32) -> f64 {
    f64::from(ms) / 1000.0
}

/// Raw socket I/O, under the WebSocket layer when there is one.
impl PyHost<'_, '_> {
    /// Write to the socket (no WebSocket layer).
    pub(crate) fn write_raw(&mut self, data: &[u8]) -> Result<(), Error> {
        let py = self.sock.py();
        // One send() call in the usual case; the socket's mode only matters
        // when it could not take the whole packet.
        let Some(send) = self.method(|m| &m.send) else {
            return self.write_rest(data, false);
        };
        let bytes = PyBytes::new(py, data);
        // A plain socket never blocks in this first send (MSG_DONTWAIT), so a
        // broker that stopped reading is bounded by write_rest's timeout.
        let r = match (self.view || self.kind() == Kind::Plain, dontwait(py)) {
            (true, Some(flag)) => send.call1((bytes, flag)),
            _ => send.call1((bytes,)),
        };
        match r.and_then(|n| n.extract::<usize>()) {
            Ok(n) => match data.get(n..) {
                Some([]) | None => Ok(()),
                Some(rest) => self.write_rest(rest, n > 0),
            },
            Err(e) if is_would_block(py, &e) => self.write_rest(data, false),
            Err(e) => Err(self.stash_fatal(e)),
        }
    }

    /// Read from the socket (no WebSocket layer).
    pub(crate) fn read_raw(&mut self, buf: &mut [u8], wait: ReadWait) -> Result<ReadResult, Error> {
        if self.kind() == Kind::Plain {
            self.read_plain(buf, wait)
        } else {
            self.read_with_timeout(buf, wait)
        }
    }
}

impl Host for PyHost<'_, '_> {
    fn now_ms(&mut self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn write(&mut self, data: &[u8]) -> Result<(), Error> {
        match self.ws.take() {
            Some(link) => {
                let r = link.write(self, data);
                self.ws = Some(link);
                r
            }
            None => self.write_raw(data),
        }
    }

    fn read(&mut self, buf: &mut [u8], wait: ReadWait) -> Result<ReadResult, Error> {
        match self.ws.take() {
            Some(link) => {
                let r = link.read(self, buf, wait);
                self.ws = Some(link);
                r
            }
            None => self.read_raw(buf, wait),
        }
    }
}
