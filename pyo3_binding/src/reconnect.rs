//! Automatic reconnect (`set_reconnect()`) and `reconnect()`.
//!
//! The same shape as the MicroPython module (`py/simple.py` and the glue):
//! an operation that loses the connection reports [`Attempt::Lost`] instead
//! of raising when automatic reconnect is on; the method then calls
//! `self.reconnect()` (through the method table, so a subclass's version
//! applies) and carries on. `reconnect()` calls `self.connect(False)` and
//! does what the core's policy answers (sleep, give up), and restores the
//! subscriptions when the broker lost the session.
use std::time::{SystemTime, UNIX_EPOCH};

use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use umqtt_core::client::{Op, Policy, Request, RetryAction};
use umqtt_core::session::State;
use umqtt_core::Error;

use crate::drive::close_quietly;
use crate::errors::classify;
use crate::host::PyHost;
use crate::{Core, MQTTClient};

/// Outcome of an operation under automatic reconnect.
pub enum Attempt<T> {
    Done(T),
    /// The connection failed (socket closed); the caller reconnects.
    Lost,
}

/// set_reconnect(): the policy goes to the core, the callback stays here.
pub fn policy(
    py: Python<'_>,
    attempts: Option<&Bound<'_, PyAny>>,
    min_delay: Option<&Bound<'_, PyAny>>,
    max_delay: Option<&Bound<'_, PyAny>>,
    on_reconnect: &Py<PyAny>,
) -> PyResult<Policy> {
    if !on_reconnect.is_none(py) && !on_reconnect.bind(py).is_callable() {
        return Err(PyTypeError::new_err(
            "on_reconnect must be callable or None",
        ));
    }
    crate::convert::to_policy(attempts, min_delay, max_delay)
}

fn sleep_ms(py: Python<'_>, ms: u32) -> PyResult<()> {
    // Through Python so that Ctrl-C interrupts the wait.
    py.import("time")?
        .call_method1("sleep", (f64::from(ms) / 1000.0,))
        .map(drop)
}

/// The clock part of the jitter's seed (the core mixes in the client).
fn seed() -> u32 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos())
}

impl MQTTClient {
    pub(crate) fn connected(slf: &Bound<'_, Self>) -> PyResult<bool> {
        Ok(Self::guard(slf)?.core.session().state() == State::Connected)
    }

    /// Run `f` on the core. With automatic reconnect on, a failure that
    /// lost the connection is `Lost` (and a connection lost earlier is
    /// re-established first); otherwise errors are raised as usual.
    pub(crate) fn attempt<'py, T>(
        slf: &Bound<'py, Self>,
        f: impl FnOnce(&mut Core, &mut PyHost<'_, 'py>) -> Result<T, Error>,
    ) -> PyResult<Attempt<T>> {
        Self::attempt_on(slf, None, f)
    }

    /// [`Self::attempt`] on `sock`, self.sock as the caller just read it.
    pub(crate) fn attempt_on<'py, T>(
        slf: &Bound<'py, Self>,
        sock: Option<Bound<'py, PyAny>>,
        f: impl FnOnce(&mut Core, &mut PyHost<'_, 'py>) -> Result<T, Error>,
    ) -> PyResult<Attempt<T>> {
        // A reconnect here replaces the socket the caller read.
        let sock = if Self::resume(slf)? { None } else { sock };
        match Self::with_core_lost(slf, sock, f) {
            Ok(v) => Ok(Attempt::Done(v)),
            Err((e, _)) => {
                let (kind, code) = classify(slf.py(), &e);
                // The core's rule; it also remembers a lost connection, so
                // the next operation reconnects after, say, a MemoryError.
                if Self::guard(slf)?.core.should_reconnect(kind, code) {
                    Ok(Attempt::Lost)
                } else {
                    Err(e)
                }
            }
        }
    }

    /// With automatic reconnect on, reconnect if the connection was lost
    /// and not brought back (an earlier reconnect gave up); whether it did.
    pub(crate) fn resume(slf: &Bound<'_, Self>) -> PyResult<bool> {
        let lost = Self::guard(slf)?.core.must_resume();
        if lost {
            Self::recover(slf)?;
        }
        Ok(lost)
    }

    /// self.reconnect(), through the method table.
    pub(crate) fn recover(slf: &Bound<'_, Self>) -> PyResult<()> {
        slf.call_method0(intern!(slf.py(), "reconnect")).map(drop)
    }

    /// reconnect(): see its docstring in lib.rs. The decisions (retry,
    /// delay, give up) are the core's; this loop only sleeps and calls.
    pub(crate) fn reconnect_loop(slf: &Bound<'_, Self>) -> PyResult<u8> {
        let py = slf.py();
        let seed = seed();
        Self::guard(slf)?.core.reconnect_begin(seed);
        let on_reconnect = Self::guard(slf)?.on_reconnect.clone_ref(py);
        close_quietly(&slf.getattr(intern!(py, "sock"))?);
        let present = loop {
            match Self::connect_and_resubscribe(slf) {
                Ok(p) => break p,
                Err(e) => {
                    let (kind, code) = classify(py, &e);
                    match Self::guard(slf)?.core.reconnect_failed(kind, code) {
                        RetryAction::Sleep(ms) => sleep_ms(py, ms)?,
                        RetryAction::GiveUp | RetryAction::Raise => return Err(e),
                    }
                }
            }
        };
        if !on_reconnect.is_none(py) {
            on_reconnect.call1(py, (present,))?;
        }
        Ok(present)
    }

    /// One attempt: self.connect(False), then the subscriptions the broker
    /// lost (the core's registry: none after a resumed session).
    fn connect_and_resubscribe(slf: &Bound<'_, Self>) -> PyResult<u8> {
        let py = slf.py();
        let present = slf
            .call_method1(intern!(py, "connect"), (false,))?
            .is_truthy()?;
        Self::perform(slf, Request::new(Op::Resubscribe), false)?;
        Ok(u8::from(present))
    }
}
