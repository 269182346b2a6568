//! Reconnecting without losing anything: the policy (`set_reconnect()`),
//! the retry decisions, the subscriptions to restore when the broker lost
//! the session, and the message a failed publish left in the session.
//!
//! The policy is a state machine that answers with actions, never sleeps
//! and opens nothing, so a blocking and an asyncio driver share it. A
//! driver's `reconnect()` is:
//!
//! ```text
//! conn.reconnect_begin(seed)
//! loop {
//!     close the socket; try { open a socket; connect(clean_session=false);
//!         if session present == 0: while let Some(id) = resubscribe(now)
//!             { wait for Subscribed(id) } ; break }
//!     on failure e: match conn.reconnect_failed(kind(e), code(e)) {
//!         Sleep(ms) => sleep ms, Raise | GiveUp => raise e }
//! }
//! ```
//!
//! and an operation that failed asks [`Connection::should_reconnect`]
//! whether to call `reconnect()` and carry on (a QoS 1/2 publish then waits
//! for its own resent message: [`Connection::interrupted_publish`]).
//! In-flight QoS 1/2 messages need nothing: `connect` resends them with DUP.

use super::Connection;
use crate::backoff::Backoff;
use crate::buffer::Buffer;
use crate::error::{is_connection_failure, is_retryable};
use crate::session::State;
use crate::{ArgError, Error, ExcKind, PacketId, QoS};

/// `set_reconnect(attempts=10, min_delay=0.5, max_delay=30.0)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Connection attempts per `reconnect()` (0: no limit).
    pub attempts: u32,
    /// First delay between failed attempts (ms); doubles each time.
    pub min_ms: u32,
    /// Largest delay (ms).
    pub max_ms: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            attempts: 10,
            min_ms: 500,
            max_ms: 30_000,
        }
    }
}

impl Policy {
    /// The policy for `set_reconnect(attempts, min_delay, max_delay)`
    /// (delays converted by [`crate::args::millis`] or
    /// [`crate::args::duration_ms`]), checked. Attempts past `u32::MAX`
    /// saturate, as durations do (a binding passes an int too large for
    /// `i64` as `i64::MAX`).
    pub fn new(attempts: i64, min_ms: u32, max_ms: u32) -> Result<Policy, Error> {
        if attempts < 0 {
            return Err(ArgError::NegativeAttempts.into());
        }
        let attempts = u32::try_from(attempts).unwrap_or(u32::MAX);
        if max_ms < min_ms {
            return Err(ArgError::MaxDelayBelowMin.into());
        }
        Ok(Policy {
            attempts,
            min_ms,
            max_ms,
        })
    }

    /// [`Policy::new`] where `None` (an argument left out or given as
    /// `None`) is that argument's default: 10 attempts, 0.5 s, 30 s.
    pub fn with_defaults(
        attempts: Option<i64>,
        min_ms: Option<u32>,
        max_ms: Option<u32>,
    ) -> Result<Policy, Error> {
        let d = Policy::default();
        Policy::new(
            attempts.unwrap_or(i64::from(d.attempts)),
            min_ms.unwrap_or(d.min_ms),
            max_ms.unwrap_or(d.max_ms),
        )
    }
}

/// What the driver does after a failed attempt of `reconnect()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAction {
    /// Wait this many ms, then try again.
    Sleep(u32),
    /// Out of attempts: raise the failure (the next operation tries again
    /// when automatic reconnect is on).
    GiveUp,
    /// Not a connection failure (a refusal that will not cure itself, or an
    /// exception of a callback while the connection stands): raise it.
    Raise,
}

impl RetryAction {
    /// As one integer, for a driver in C or Python: the ms to sleep, -1 to
    /// give up, -2 to raise (both: raise the failure).
    pub fn as_ms(self) -> i64 {
        match self {
            RetryAction::Sleep(ms) => i64::from(ms),
            RetryAction::GiveUp => -1,
            RetryAction::Raise => -2,
        }
    }
}

/// Automatic reconnect settings and the state of one `reconnect()`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Retry {
    policy: Option<Policy>,
    backoff: Backoff,
    failures: u32,
}

impl Retry {
    pub(super) const fn new() -> Self {
        Retry {
            policy: None,
            backoff: Backoff::new(0, 0, 0),
            failures: 0,
        }
    }
}

/// Filters per SUBSCRIBE of a list or a resubscription (the SUBACK codes
/// kept by [`Connection::last_suback`] are as many).
pub const RESUBSCRIBE_BATCH: usize = 16;

impl<RB: Buffer, TB: Buffer, FB: Buffer, SB: Buffer, const INFLIGHT: usize>
    Connection<RB, TB, FB, SB, INFLIGHT>
{
    /// Turn automatic reconnect on (`Some`) or off.
    pub fn set_reconnect(&mut self, policy: Option<Policy>) {
        self.retry.policy = policy;
    }

    /// The automatic reconnect policy, if on.
    pub fn reconnect_policy(&self) -> Option<Policy> {
        self.retry.policy
    }

    /// With automatic reconnect on, an operation must reconnect before it
    /// runs: the connection failed and no reconnect brought it back.
    pub fn must_resume(&self) -> bool {
        self.retry.policy.is_some() && self.lost
    }

    /// An operation failed with this exception (class and code, see
    /// [`crate::Error::report`]): whether to call `reconnect()` and carry on
    /// (automatic reconnect on, the connection is down, and the failure is
    /// one a new connection may cure).
    pub fn should_reconnect(&mut self, kind: ExcKind, code: i32) -> bool {
        // Refused for want of a connection (never connected, or after
        // disconnect()): nothing failed, nothing is to be resumed.
        let refused = kind == ExcKind::Mqtt && code == crate::error::code::NOT_CONNECTED;
        if self.session.state() != State::Connected && !refused {
            self.lost = true;
        }
        self.retry.policy.is_some()
            && self.session.state() != State::Connected
            && is_connection_failure(kind, code)
    }

    /// Start a `reconnect()`: delays from the policy (the default one when
    /// automatic reconnect is off), jittered from `seed` (the driver's
    /// clock) mixed with this connection's address, so that two clients
    /// started together still draw different delays.
    /// The driver closes the socket first, so the connection is down from
    /// here on, whatever the session thought.
    pub fn reconnect_begin(&mut self, seed: u32) {
        // The low bits of the address differ between live connections.
        let seed = seed ^ (core::ptr::from_ref(self) as usize as u32);
        if self.session.state() != State::Disconnected {
            self.session.connection_lost();
            self.subs.connection_lost();
        }
        let p = self.retry.policy.unwrap_or_default();
        self.retry.backoff = Backoff::new(p.min_ms, p.max_ms, seed);
        self.retry.failures = 0;
    }

    /// One attempt of `reconnect()` failed with this exception: what next.
    pub fn reconnect_failed(&mut self, kind: ExcKind, code: i32) -> RetryAction {
        // Raised while the connection stands (by a callback during the
        // resubscription): not a connection failure.
        if self.session.state() == State::Connected || !is_retryable(kind, code) {
            return RetryAction::Raise;
        }
        self.lost = true;
        self.retry.failures = self.retry.failures.saturating_add(1);
        let attempts = self.retry.policy.unwrap_or_default().attempts;
        if attempts != 0 && self.retry.failures >= attempts {
            return RetryAction::GiveUp;
        }
        RetryAction::Sleep(self.retry.backoff.next_delay_ms())
    }

    /// Queue one SUBSCRIBE with up to [`RESUBSCRIBE_BATCH`] remembered
    /// subscriptions not yet confirmed on this connection and return its id
    /// ([`Event::Subscribed`](super::Event::Subscribed) follows); `None`
    /// when all are confirmed. Call it after a `connect` that found no
    /// session present until it returns `None`. A filter the broker now
    /// refuses is forgotten.
    pub fn resubscribe(&mut self, now: u64) -> Result<Option<PacketId>, Error> {
        let r = self.queue_session(now);
        self.check(r)?;
        let (len, id, n) = {
            // Borrows the filters from the registry until encoded.
            let mut batch: heapless::Vec<(&[u8], QoS), RESUBSCRIBE_BATCH> = heapless::Vec::new();
            let n = self.subs.for_resubscribe(RESUBSCRIBE_BATCH, |f, q| {
                // Cannot fail: for_resubscribe stops at the capacity.
                let _ = batch.push((f, q));
            });
            if n == 0 {
                return Ok(None);
            }
            let session = &mut self.session;
            let at = self.tx_len;
            let (len, id) =
                super::with_growth(&mut self.tx, at, |out| session.subscribe(&batch, now, out))?;
            (at.saturating_add(len), id, n)
        };
        self.tx_len = len;
        self.subs.mark_resubscribe(id, n);
        self.suback.clear();
        Ok(Some(id))
    }
}
