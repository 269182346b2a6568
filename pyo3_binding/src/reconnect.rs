//! Automatic reconnect (`set_reconnect()`) and `reconnect()`.
//!
//! The same shape as the MicroPython module (`py/simple.py` and the glue):
//! an operation that loses the connection reports [`Attempt::Lost`] instead
//! of raising when automatic reconnect is on; the method then calls
//! `self.reconnect()` (through the method table, so a subclass's version
//! applies) and carries on. `reconnect()` calls `self.connect(False)` with
//! the core's [`Backoff`] delays between failed attempts, and restores the
//! subscriptions when the broker lost the session.
use std::time::{SystemTime, UNIX_EPOCH};

use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use umqtt_core::backoff::Backoff;
use umqtt_core::session::State;
use umqtt_core::{Error, PacketId};

use crate::drive::close_quietly;
use crate::errors::{MQTTException, PING_TIMEOUT, PROTOCOL_ERROR};
use crate::host::PyHost;
use crate::{Core, MQTTClient};

/// CONNACK "server unavailable": worth retrying, unlike the other refusals.
const SERVER_UNAVAILABLE: u16 = 3;

/// Outcome of an operation under automatic reconnect.
pub enum Attempt<T> {
    Done(T),
    /// The connection failed (socket closed); the caller reconnects.
    Lost,
}

/// The settings of set_reconnect().
pub struct Policy {
    attempts: u32,
    min_ms: u32,
    max_ms: u32,
    pub on_reconnect: Py<PyAny>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            attempts: 10,
            min_ms: 500,
            max_ms: 30_000,
            on_reconnect: Python::attach(|py| py.None()),
        }
    }
}

/// Seconds (>= 0) to ms.
fn delay_ms(s: f64, what: &str) -> PyResult<u32> {
    if s.is_nan() || s < 0.0 {
        return Err(PyValueError::new_err(format!("{what} must be >= 0")));
    }
    Ok(crate::convert::secs_to_ms(s))
}

impl Policy {
    pub fn new(
        py: Python<'_>,
        attempts: i64,
        min_delay: f64,
        max_delay: f64,
        on_reconnect: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let attempts = u32::try_from(attempts)
            .map_err(|_| PyValueError::new_err("attempts must be >= 0 (0: no limit)"))?;
        let on_reconnect = on_reconnect.unwrap_or_else(|| py.None());
        if !on_reconnect.is_none(py) && !on_reconnect.bind(py).is_callable() {
            return Err(PyTypeError::new_err(
                "on_reconnect must be callable or None",
            ));
        }
        let (min_ms, max_ms) = (
            delay_ms(min_delay, "min_delay")?,
            delay_ms(max_delay, "max_delay")?,
        );
        if max_ms < min_ms {
            return Err(PyValueError::new_err("max_delay must be >= min_delay"));
        }
        Ok(Policy {
            attempts,
            min_ms,
            max_ms,
            on_reconnect,
        })
    }
}

/// A failure that a new connection may cure: socket errors and timeouts
/// (OSError), protocol violations (256) and ping timeouts (257).
fn is_connection_failure(py: Python<'_>, e: &PyErr) -> bool {
    e.is_instance_of::<PyOSError>(py)
        || mqtt_code(py, e).is_some_and(|c| c == PROTOCOL_ERROR || c == PING_TIMEOUT)
}

/// What reconnect() retries: connection failures and "server unavailable".
/// Other refusals (bad credentials, client id rejected) will not cure
/// themselves.
fn is_retryable(py: Python<'_>, e: &PyErr) -> bool {
    is_connection_failure(py, e) || mqtt_code(py, e) == Some(SERVER_UNAVAILABLE)
}

fn mqtt_code(py: Python<'_>, e: &PyErr) -> Option<u16> {
    if !e.is_instance_of::<MQTTException>(py) {
        return None;
    }
    e.value(py)
        .getattr("args")
        .ok()?
        .get_item(0)
        .ok()?
        .extract()
        .ok()
}

fn sleep_ms(py: Python<'_>, ms: u32) -> PyResult<()> {
    // Through Python so that Ctrl-C interrupts the wait.
    py.import("time")?
        .call_method1("sleep", (f64::from(ms) / 1000.0,))
        .map(drop)
}

fn seed(slf: &Bound<'_, MQTTClient>) -> u32 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    // Two clients started together still draw different delays.
    nanos ^ (slf.as_ptr() as usize as u32)
}

impl MQTTClient {
    fn connected(slf: &Bound<'_, Self>) -> PyResult<bool> {
        Ok(slf
            .try_borrow()?
            .core
            .as_ref()
            .is_some_and(|c| c.session().state() == State::Connected))
    }

    fn auto(slf: &Bound<'_, Self>) -> PyResult<bool> {
        Ok(slf.try_borrow()?.policy.is_some())
    }

    /// Run `f` on the core. With automatic reconnect on, a failure that
    /// lost the connection is `Lost` (and a connection lost earlier is
    /// re-established first); otherwise errors are raised as usual.
    pub(crate) fn attempt<'py, T>(
        slf: &Bound<'py, Self>,
        f: impl FnOnce(&mut Core, &mut PyHost<'_, 'py>) -> Result<T, Error>,
    ) -> PyResult<Attempt<T>> {
        Self::resume(slf)?;
        match Self::with_core_lost(slf, f) {
            Ok(v) => Ok(Attempt::Done(v)),
            Err((e, true)) if Self::auto(slf)? && is_connection_failure(slf.py(), &e) => {
                slf.try_borrow_mut()?.lost = true;
                Ok(Attempt::Lost)
            }
            Err((e, lost)) => {
                // Raised (say, MemoryError for a message that could not be
                // copied out), but the next operation still reconnects.
                if lost {
                    slf.try_borrow_mut()?.lost = true;
                }
                Err(e)
            }
        }
    }

    /// With automatic reconnect on, reconnect if the connection was lost
    /// and not brought back (an earlier reconnect gave up).
    pub(crate) fn resume(slf: &Bound<'_, Self>) -> PyResult<()> {
        let t = slf.try_borrow()?;
        if t.policy.is_some() && t.lost {
            drop(t);
            Self::recover(slf)?;
        }
        Ok(())
    }

    /// self.reconnect(), through the method table.
    pub(crate) fn recover(slf: &Bound<'_, Self>) -> PyResult<()> {
        slf.call_method0(intern!(slf.py(), "reconnect")).map(drop)
    }

    /// The message the last failed publish left in the session.
    pub(crate) fn interrupted(slf: &Bound<'_, Self>) -> PyResult<Option<PacketId>> {
        Ok(slf
            .try_borrow()?
            .core
            .as_ref()
            .and_then(|c| c.interrupted_publish()))
    }

    /// Send a SUBSCRIBE/UNSUBSCRIBE with `start` and wait for its
    /// acknowledgement. `Lost`: send it again after reconnecting (the
    /// request died with the connection).
    pub(crate) fn request<'py>(
        slf: &Bound<'py, Self>,
        start: impl FnOnce(&mut Core, &mut PyHost<'_, 'py>) -> Result<PacketId, Error>,
    ) -> PyResult<Attempt<()>> {
        match Self::attempt(slf, start)? {
            Attempt::Done(id) => Self::wait_ack(slf, id),
            Attempt::Lost => Ok(Attempt::Lost),
        }
    }

    /// reconnect(): see its docstring in lib.rs.
    pub(crate) fn reconnect_loop(slf: &Bound<'_, Self>) -> PyResult<u8> {
        let py = slf.py();
        let (attempts, mut backoff, on_reconnect) = {
            let t = slf.try_borrow()?;
            let default = Policy::default();
            let p = t.policy.as_ref().unwrap_or(&default);
            (
                p.attempts,
                Backoff::new(p.min_ms, p.max_ms, seed(slf)),
                p.on_reconnect.clone_ref(py),
            )
        };
        close_quietly(slf.try_borrow()?.sock.bind(py));
        let mut failures = 0u32;
        let present = loop {
            match Self::connect_and_resubscribe(slf) {
                Ok(p) => break p,
                // A callback that raised during the resubscription left the
                // connection up: its exception is not a connection failure.
                Err(e) if is_retryable(py, &e) && !Self::connected(slf)? => {
                    failures = failures.saturating_add(1);
                    if attempts != 0 && failures >= attempts {
                        // Operations will try again (automatic reconnect).
                        slf.try_borrow_mut()?.lost = true;
                        return Err(e);
                    }
                    sleep_ms(py, backoff.next_delay_ms())?;
                }
                Err(e) => return Err(e),
            }
        };
        if !on_reconnect.is_none(py) {
            on_reconnect.call1(py, (present,))?;
        }
        Ok(present)
    }

    /// One attempt: self.connect(False), then the subscriptions again if
    /// the broker lost the session.
    fn connect_and_resubscribe(slf: &Bound<'_, Self>) -> PyResult<u8> {
        let py = slf.py();
        let present = slf
            .call_method1(intern!(py, "connect"), (false,))?
            .is_truthy()?;
        if !present {
            while let Some(id) = Self::with_core(slf, |core, host| core.start_resubscribe(host))? {
                Self::wait_ack_plain(slf, id)?;
            }
        }
        Ok(u8::from(present))
    }
}
