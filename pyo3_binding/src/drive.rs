//! Running the core on `self.sock`: one borrow of the client per call, core
//! errors mapped to Python exceptions, messages copied out and delivered to
//! the callback with no borrow held (so it may re-enter the client).
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use umqtt_core::client::{publish_first_byte, Progress, Request, WaitFor};
use umqtt_core::session::State;
use umqtt_core::Error;

use crate::errors::{not_connected, to_pyerr};
use crate::host::PyHost;
use crate::reconnect::Attempt;
use crate::{Core, MQTTClient};

/// What one round of the core produced, owned so no borrow outlives it.
pub enum Step {
    /// Topic, payload and the PUBLISH's first byte (wait_msg()'s result).
    Message(Py<PyBytes>, Py<PyBytes>, u8, Meta),
    Done,
    Idle,
    Packet(u8),
}

/// What `set_callback(f, details=True)` hands out besides topic and
/// message: QoS, retain and DUP flags, and the MQTT 5 properties (their
/// encoding, copied only when there are any).
pub struct Meta {
    pub qos: u8,
    pub retain: bool,
    pub dup: bool,
    pub properties: Vec<u8>,
}

pub fn close_quietly(sock: &Bound<'_, PyAny>) {
    if !sock.is_none() {
        // The connection is being abandoned; a failing close changes nothing.
        let _ = sock.call_method0(intern!(sock.py(), "close"));
    }
}

impl MQTTClient {
    /// The client, mutably borrowed; a call while another call of the same
    /// client holds it (a thread, a signal handler) gets the core's Busy
    /// error (spec/PYAPI.md "Re-entrancy"), not pyo3's message.
    pub(crate) fn guard<'py>(slf: &Bound<'py, Self>) -> PyResult<PyRefMut<'py, Self>> {
        slf.try_borrow_mut()
            .map_err(|_| to_pyerr(Error::Busy, None))
    }

    /// Whether another call of this client is in progress.
    pub(crate) fn busy(slf: &Bound<'_, Self>) -> bool {
        slf.try_borrow_mut().is_err()
    }

    /// Run `f` on the core with a host over `self.sock`, holding the borrow
    /// only for its duration. Maps core errors to Python exceptions and
    /// closes the socket when the error ended the connection.
    pub(crate) fn with_core<'py, T>(
        slf: &Bound<'py, Self>,
        f: impl FnOnce(&mut Core, &mut PyHost<'_, 'py>) -> Result<T, Error>,
    ) -> PyResult<T> {
        Self::with_core_lost(slf, None, f).map_err(|(e, _)| e)
    }

    /// [`Self::with_core`], telling on failure whether the connection was
    /// lost (the socket is then closed).
    pub(crate) fn with_core_lost<'py, T>(
        slf: &Bound<'py, Self>,
        sock: Option<Bound<'py, PyAny>>,
        f: impl FnOnce(&mut Core, &mut PyHost<'_, 'py>) -> Result<T, Error>,
    ) -> Result<T, (PyErr, bool)> {
        let py = slf.py();
        // `sock`: self.sock when the caller has just read it.
        let sock = match sock {
            Some(s) => s,
            None => slf.getattr(intern!(py, "sock")).map_err(|e| (e, false))?,
        };
        let mut guard = Self::guard(slf).map_err(|e| (e, false))?;
        let this = &mut *guard;
        let core = &mut this.core;
        if sock.is_none() {
            return Err((not_connected(), false));
        }
        let write_timeout = core.socket_timeout_ms();
        let mut host = PyHost::new(sock.clone(), this.epoch, &mut this.io, write_timeout)
            .with_ws(this.ws_link.as_mut());
        match f(core, &mut host) {
            Ok(v) => Ok(v),
            Err(e) => {
                let lost = core.session().state() != State::Connected;
                let err = to_pyerr(e, host.error.take());
                let err = crate::v5::with_reason(err, e, core.error_reason(&e), py);
                drop(guard);
                if lost {
                    close_quietly(&sock);
                }
                Err((err, lost))
            }
        }
    }

    /// One round of the core, with a message copied out as bytes.
    pub(crate) fn step<'py>(
        slf: &Bound<'py, Self>,
        sock: &Bound<'py, PyAny>,
        until: WaitFor,
    ) -> PyResult<Attempt<Step>> {
        let py = slf.py();
        Self::attempt_on(slf, Some(sock.clone()), |core, host| {
            run_step(py, core, host, &mut Drive::Wait(until))
        })
    }

    /// Deliver a message to `self.cb` (no borrow held). Messages arriving
    /// without a callback (say, from a resumed session) are dropped.
    pub(crate) fn deliver(
        slf: &Bound<'_, Self>,
        topic: Py<PyBytes>,
        msg: Py<PyBytes>,
        meta: Meta,
    ) -> PyResult<()> {
        let py = slf.py();
        let cb = slf.getattr(intern!(py, "cb"))?;
        if cb.is_none() {
            return Ok(());
        }
        if Self::guard(slf)?.cb_details {
            cb.call1((topic, msg, crate::v5::details(py, meta)?))?;
        } else {
            cb.call1((topic, msg))?;
        }
        Ok(())
    }

    /// Run `req` to completion (the core's rules: resend or only wait
    /// after a reconnect), delivering messages meanwhile. With `rc`,
    /// automatic reconnect applies; without (reconnect() itself), every
    /// failure is raised.
    /// Returns what the call returns (core `Client::reply_code`).
    pub(crate) fn perform(
        slf: &Bound<'_, Self>,
        mut req: Request<'_>,
        rc: bool,
    ) -> PyResult<Option<u8>> {
        let py = slf.py();
        let mut reply = None;
        // umqtt.simple's pid attribute: the next packet id follows it (a
        // program may set it), and it shows the id this request took.
        let tracked = req.uses_packet_id();
        if tracked {
            let last = crate::convert::to_pid(&slf.getattr(intern!(py, "pid"))?)?;
            Self::guard(slf)?
                .core
                .session_mut()
                .set_last_packet_id(last);
        }
        let mut seen = req.waiting();
        loop {
            let f = |core: &mut Core, host: &mut PyHost<'_, '_>| {
                let step = run_step(py, core, host, &mut Drive::Request(&mut req))?;
                reply = core.reply_code(&req);
                Ok(step)
            };
            let r = if rc {
                Self::attempt(slf, f)?
            } else {
                Attempt::Done(Self::with_core(slf, f)?)
            };
            if tracked && req.waiting() != seen && req.waiting().is_some() {
                let last = Self::guard(slf)?.core.session().last_packet_id();
                slf.setattr(intern!(py, "pid"), last)?;
            }
            seen = req.waiting();
            match r {
                Attempt::Done(Step::Message(t, m, _, meta)) => Self::deliver(slf, t, m, meta)?,
                Attempt::Done(_) => return Ok(reply),
                Attempt::Lost => Self::recover(slf)?,
            }
        }
    }

    /// reauthenticate(): AUTH with `data`, challenges answered by
    /// `on_challenge`, messages arriving meanwhile delivered.
    pub(crate) fn reauthenticate_with(
        slf: &Bound<'_, Self>,
        data: &[u8],
        on_challenge: &Py<PyAny>,
    ) -> PyResult<()> {
        let py = slf.py();
        let err = std::cell::RefCell::new(None);
        let mut r = Reauth {
            data: Some(data),
            deadline: None,
            on_challenge,
            err: &err,
        };
        loop {
            let step = Self::with_core(slf, |core, host| {
                run_step(py, core, host, &mut Drive::Reauth(&mut r))
            })
            .map_err(|e| err.take().unwrap_or(e))?;
            match step {
                Step::Message(t, m, _, meta) => Self::deliver(slf, t, m, meta)?,
                _ => return Ok(()),
            }
        }
    }

    pub(crate) fn sock<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let sock = slf.getattr(intern!(slf.py(), "sock"))?;
        if sock.is_none() {
            return Err(not_connected());
        }
        Ok(sock)
    }
}

/// A new `bytes` object, or the MemoryError when CPython cannot allocate it
/// (`PyBytes::new` would panic instead).
fn new_bytes(py: Python<'_>, data: &[u8]) -> PyResult<Py<PyBytes>> {
    let b = PyBytes::new_with(py, data.len(), |dst| {
        dst.copy_from_slice(data);
        Ok(())
    })?;
    Ok(b.unbind())
}

/// What [`run_step`] drives: a wait, a request or a re-authentication.
enum Drive<'r, 'a> {
    Wait(WaitFor),
    Request(&'r mut Request<'a>),
    Reauth(&'r mut Reauth<'a>),
}

/// A re-authentication in progress ([`MQTTClient::reauthenticate_with`]).
struct Reauth<'a> {
    /// AUTH 0x19's data, until sent.
    data: Option<&'a [u8]>,
    deadline: Option<u64>,
    on_challenge: &'a Py<PyAny>,
    /// An exception of on_challenge, raised by reauthenticate().
    err: &'a std::cell::RefCell<Option<PyErr>>,
}

fn run_step(
    py: Python<'_>,
    core: &mut Core,
    host: &mut PyHost<'_, '_>,
    what: &mut Drive<'_, '_>,
) -> Result<Step, Error> {
    let progress = match what {
        Drive::Wait(until) => core.run(host, *until),
        Drive::Request(req) => core.request(host, req),
        Drive::Reauth(r) => {
            let (f, err) = (r.on_challenge, r.err);
            core.reauthenticate(host, r.data.take(), &mut r.deadline, |d, answer| {
                crate::v5::answer_challenge(py, f, d, answer, err)
            })
        }
    };
    let (copied, qos, retain, dup) = match progress? {
        Progress::Message(p) => (
            new_bytes(py, p.topic)
                .and_then(|t| Ok((t, new_bytes(py, p.payload)?, publish_first_byte(&p)))),
            p.qos as u8,
            p.retain,
            p.dup,
        ),
        Progress::Done => return Ok(Step::Done),
        Progress::Idle => return Ok(Step::Idle),
        Progress::Packet(op) => return Ok(Step::Packet(op)),
    };
    match copied {
        Ok((topic, msg, first)) => {
            let meta = Meta {
                qos,
                retain,
                dup,
                properties: core.last_properties().as_bytes().to_vec(),
            };
            Ok(Step::Message(topic, msg, first, meta))
        }
        Err(e) => {
            // The application cannot get the message, so the broker must not
            // see it acknowledged: drop the connection without its
            // PUBACK/PUBREC (it is redelivered after a reconnect with
            // clean_session=False) and raise the MemoryError.
            core.abandon_message();
            host.error = Some(e);
            Err(Error::Host)
        }
    }
}

impl MQTTClient {
    /// wait_msg(): one packet (see its docstring).
    pub(crate) fn wait_one(slf: &Bound<'_, Self>) -> PyResult<Option<u8>> {
        let py = slf.py();
        let step = loop {
            Self::resume(slf)?;
            let sock = Self::sock(slf)?;
            let mode = Self::begin_step(slf, &sock)?;
            let r = Self::step(slf, &sock, WaitFor::OnePacket);
            Self::end_step(slf);
            let nonblocking = mode.nonblocking();
            if mode.needs_blocking_after() {
                // umqtt.simple leaves the socket blocking after wait_msg(); the
                // socket may be closed by now, which makes this a no-op.
                let _ = sock.call_method1(intern!(py, "setblocking"), (true,));
            }
            match r? {
                Attempt::Done(step) => break step,
                Attempt::Lost => {
                    Self::recover(slf)?;
                    // A blocking wait goes on on the new connection; a
                    // non-blocking one (check_msg) returns.
                    if nonblocking {
                        return Ok(None);
                    }
                }
            }
        };
        match step {
            Step::Message(t, m, first, meta) => {
                // Acknowledge right after the callback, like umqtt.simple,
                // even if it raised (the message counts as delivered).
                let delivered = Self::deliver(slf, t, m, meta);
                // (Busy: the attempt says so.)
                let queued = Self::guard(slf).map_or(true, |g| g.core.has_queued());
                let flushed = if queued {
                    match Self::attempt(slf, |core, host| core.flush(host)) {
                        // The broker resends what was not acknowledged.
                        Ok(Attempt::Lost) => Self::recover(slf),
                        r => r.map(drop),
                    }
                } else {
                    Ok(())
                };
                delivered.and(flushed).map(|()| Some(first))
            }
            Step::Done | Step::Idle => Ok(None),
            Step::Packet(op) => Ok(Some(op)),
        }
    }

    /// check_msg() (see its docstring).
    pub(crate) fn check_one(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        if Self::busy(slf) {
            return Ok(py.None());
        }
        Self::resume(slf)?;
        let sock = Self::sock(slf)?;
        let connected = Self::connected(slf)?;
        // A blocking plain socket: our own wait_msg() acts as on a
        // non-blocking one without switching it (sockio.rs), the same
        // outcome without the two setblocking() calls (two ioctl).
        if connected && Self::arm_nonblocking_view(slf, &sock)? {
            let r = Self::wait_msg(slf);
            Self::end_step(slf);
            return Ok(r?.into_pyobject(py)?.unbind());
        }
        // A socket closed by disconnect() or a failure cannot be made
        // non-blocking (OSError EBADF); wait_msg() then says "not connected"
        // (or a subclass's wait_msg reconnects), as on MicroPython.
        if connected {
            sock.call_method1(intern!(py, "setblocking"), (false,))?;
        }
        // Through the method table, so a subclass's wait_msg (umqtt.robust's
        // reconnecting one) is used, as in umqtt.simple.
        Ok(slf.call_method0(intern!(py, "wait_msg"))?.unbind())
    }
}
