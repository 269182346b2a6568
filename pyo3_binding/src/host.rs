//! `umqtt_core::client::Host` over a Python socket object (`self.sock`):
//! plain `socket.socket`, `ssl.SSLSocket`, or anything with the same
//! `recv`/`sendall`/`gettimeout`/`settimeout` methods.
//!
//! Waits are implemented with `settimeout`, and the caller's timeout is put
//! back afterwards, so the socket mode the user chose (blocking, timeout,
//! non-blocking) is what they see after every call.
use std::collections::HashMap;
use std::time::Instant;

use pyo3::exceptions::{PyBlockingIOError, PyOSError, PyTimeoutError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyType};
use umqtt_core::client::{Host, ReadResult, ReadWait};
use umqtt_core::{Error, PacketId};

/// Largest single `recv`: CPython allocates the full size up front, so a
/// huge frame is read in slices rather than with one giant allocation.
const MAX_RECV: usize = 256 * 1024;
/// errno for a fatal failure whose exception carries none.
const EIO: i32 = 5;

/// `socket.gettimeout()`: `None` blocks forever, `Some(0.0)` is non-blocking.
type Timeout = Option<f64>;

/// One operation's view of the socket; built per call, never stored.
pub struct PyHost<'a, 'py> {
    sock: Bound<'py, PyAny>,
    epoch: Instant,
    frames: &'a mut HashMap<u16, Vec<u8>>,
    /// A write on a non-blocking socket waits at most this long (seconds).
    write_timeout: f64,
    /// The socket's timeout, read once per operation (no user code runs
    /// while the host is alive, so it cannot change behind our back).
    mode: Option<Timeout>,
    /// The Python exception behind the last `Error::Host` / `Error::Io`.
    pub error: Option<PyErr>,
}

impl<'a, 'py> PyHost<'a, 'py> {
    pub fn new(
        sock: Bound<'py, PyAny>,
        epoch: Instant,
        frames: &'a mut HashMap<u16, Vec<u8>>,
        write_timeout_ms: u32,
    ) -> Self {
        PyHost {
            sock,
            epoch,
            frames,
            write_timeout: f64::from(write_timeout_ms) / 1000.0,
            mode: None,
            error: None,
        }
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
    fn stash_fatal(&mut self, e: PyErr) -> Error {
        let py = self.sock.py();
        let errno = e
            .value(py)
            .getattr(intern!(py, "errno"))
            .and_then(|n| n.extract::<i32>())
            .unwrap_or(EIO);
        self.error = Some(e);
        Error::Io(errno)
    }

    fn timeout(&mut self) -> Result<Timeout, Error> {
        if let Some(t) = self.mode {
            return Ok(t);
        }
        let py = self.sock.py();
        let t = self
            .sock
            .call_method0(intern!(py, "gettimeout"))
            .and_then(|t| t.extract::<Option<f64>>())
            .map_err(|e| self.stash(e))?;
        self.mode = Some(t);
        Ok(t)
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
        let cur = self.timeout()?;
        if want == cur {
            return Ok(f(&self.sock));
        }
        self.set_timeout(want)?;
        let r = f(&self.sock);
        self.set_timeout(cur)?;
        Ok(r)
    }
}

/// `recv(n)` into `buf`; `b''` (EOF) is `ConnectionClosed`.
fn recv(sock: &Bound<'_, PyAny>, buf: &mut [u8]) -> PyResult<Result<usize, Error>> {
    let py = sock.py();
    let n = buf.len().min(MAX_RECV);
    let data = sock.call_method1(intern!(py, "recv"), (n,))?;
    let data = data.cast::<PyBytes>()?.as_bytes();
    if data.is_empty() {
        return Ok(Err(Error::ConnectionClosed));
    }
    // A well-behaved socket never returns more than asked; a custom one
    // that does would lose data, so refuse it loudly.
    let Some(dst) = buf.get_mut(..data.len()) else {
        return Err(pyo3::exceptions::PyValueError::new_err(
            "sock.recv() returned more bytes than requested",
        ));
    };
    dst.copy_from_slice(data);
    Ok(Ok(data.len()))
}

static SSL_WANT_READ: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static SSL_WANT_WRITE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static SOCKET_TIMEOUT: PyOnceLock<Py<PyType>> = PyOnceLock::new();

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

/// socket.timeout is TimeoutError since 3.10, a plain OSError subclass in 3.9.
fn is_timeout(py: Python<'_>, e: &PyErr) -> bool {
    e.is_instance_of::<PyTimeoutError>(py)
        || SOCKET_TIMEOUT
            .import(py, "socket", "timeout")
            .is_ok_and(|t| e.is_instance(py, t.as_any()))
}

fn secs(ms: u32) -> f64 {
    f64::from(ms) / 1000.0
}

impl Host for PyHost<'_, '_> {
    fn now_ms(&mut self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn write(&mut self, data: &[u8]) -> Result<(), Error> {
        let py = self.sock.py();
        // sendall on a non-blocking socket can fail half-way with no way to
        // know what was sent; give it a bounded wait instead.
        let want = match self.timeout()? {
            Some(0.0) => Some(self.write_timeout),
            t => t,
        };
        let bytes = PyBytes::new(py, data);
        let r = self.with_timeout(want, |s| s.call_method1(intern!(py, "sendall"), (bytes,)))?;
        match r {
            Ok(_) => Ok(()),
            Err(e) if is_timeout(py, &e) && want == Some(self.write_timeout) => Err(Error::Timeout),
            Err(e) => Err(self.stash_fatal(e)),
        }
    }

    fn read(&mut self, buf: &mut [u8], wait: ReadWait) -> Result<ReadResult, Error> {
        let py = self.sock.py();
        let cur = self.timeout()?;
        // `ours`: the wait limit is the core's (expiry -> TimedOut); otherwise
        // it is the user's own socket timeout, whose expiry is raised as is.
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
        match self.with_timeout(want, |s| recv(s, buf))? {
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

    fn store(&mut self, id: PacketId, frame: &[u8]) -> Result<(), Error> {
        self.frames.insert(id.get(), frame.to_vec());
        Ok(())
    }

    fn stored(&mut self, id: PacketId) -> Option<&mut [u8]> {
        self.frames.get_mut(&id.get()).map(Vec::as_mut_slice)
    }

    fn forget(&mut self, id: PacketId) {
        self.frames.remove(&id.get());
    }
}
