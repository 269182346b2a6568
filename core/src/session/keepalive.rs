//! Keepalive: a PINGREQ when nothing was sent for 3/4 of the keepalive
//! interval (early enough that the broker, which waits 1.5 intervals, never
//! drops us), and a deadline for the answer.

use crate::Error;

/// Ping schedule and PINGRESP timeout of one connection.
#[derive(Debug, Clone, Default)]
pub struct KeepAlive {
    /// Keepalive in seconds as sent in CONNECT (0 = off).
    keepalive_s: u16,
    /// How long an answer to PINGREQ may take.
    timeout_ms: u64,
    /// When we last sent a packet.
    last_tx: u64,
    /// When the oldest unanswered PINGREQ went out.
    ping_sent_at: Option<u64>,
}

/// The ping timeout for `config` (`None` = keepalive/2; without keepalive,
/// explicit pings get the response timeout). Half the keepalive, with the
/// PINGREQ due at 3/4 of it, puts the give-up point at 1.25 keepalive: a dead
/// broker is noticed within 1.5 keepalive of any wait, also for keepalive 1 s
/// (a one-second floor made that 1.75 s).
pub fn ping_timeout_ms(keepalive_s: u16, ping_timeout: Option<u32>, response_timeout: u32) -> u64 {
    match ping_timeout {
        Some(ms) => u64::from(ms),
        None if keepalive_s == 0 => u64::from(response_timeout),
        None => u64::from(keepalive_s).saturating_mul(500),
    }
}

impl KeepAlive {
    /// Keepalive off, nothing outstanding.
    pub const fn new() -> Self {
        KeepAlive {
            keepalive_s: 0,
            timeout_ms: 0,
            last_tx: 0,
            ping_sent_at: None,
        }
    }

    /// A new connection with `keepalive_s` starts at `now` (CONNECT sent).
    pub fn start(&mut self, keepalive_s: u16, timeout_ms: u64, now: u64) {
        self.keepalive_s = keepalive_s;
        self.timeout_ms = timeout_ms;
        self.last_tx = now;
        self.ping_sent_at = None;
    }

    /// Keepalive in seconds of the current/last connection.
    pub const fn keepalive(&self) -> u16 {
        self.keepalive_s
    }

    /// The ping timeout in milliseconds.
    pub const fn timeout_ms(&self) -> u64 {
        self.timeout_ms
    }

    /// Whether a PINGREQ awaits its answer.
    pub const fn ping_outstanding(&self) -> bool {
        self.ping_sent_at.is_some()
    }

    /// A packet was sent at `now`.
    pub fn on_send(&mut self, now: u64) {
        self.last_tx = self.last_tx.max(now);
    }

    /// A packet arrived: the broker is alive, the ping is answered.
    pub fn on_receive(&mut self) {
        self.ping_sent_at = None;
    }

    /// A PINGREQ was sent at `now`. A second ping does not move the
    /// deadline of an unanswered first one.
    pub fn on_ping(&mut self, now: u64) {
        if self.ping_sent_at.is_none() {
            self.ping_sent_at = Some(now);
        }
        self.on_send(now);
    }

    /// When the next automatic PINGREQ is due (None: keepalive off or a
    /// ping is already outstanding).
    pub fn ping_due_at(&self) -> Option<u64> {
        if self.keepalive_s == 0 || self.ping_sent_at.is_some() {
            return None;
        }
        Some(
            self.last_tx
                .saturating_add(u64::from(self.keepalive_s).saturating_mul(750)),
        )
    }

    /// Whether an automatic PINGREQ should go out at `now`.
    pub fn is_ping_due(&self, now: u64) -> bool {
        self.ping_due_at().is_some_and(|t| now >= t)
    }

    /// When the outstanding ping times out.
    pub fn timeout_at(&self) -> Option<u64> {
        self.ping_sent_at.map(|t| t.saturating_add(self.timeout_ms))
    }

    /// Earliest time something is due (ping to send or ping timeout).
    pub fn next_deadline(&self) -> Option<u64> {
        match (self.ping_due_at(), self.timeout_at()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// `Err(PingTimeout)` once the outstanding ping went unanswered too long.
    pub fn check(&self, now: u64) -> Result<(), Error> {
        match self.timeout_at() {
            Some(t) if now >= t => Err(Error::PingTimeout),
            _ => Ok(()),
        }
    }

    /// The connection is gone: nothing is outstanding any more.
    pub fn stop(&mut self) {
        self.ping_sent_at = None;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn default_timeouts() {
        assert_eq!(ping_timeout_ms(60, None, 30_000), 30_000);
        assert_eq!(ping_timeout_ms(1, None, 30_000), 500);
        assert_eq!(ping_timeout_ms(3, None, 30_000), 1500);
        assert_eq!(ping_timeout_ms(0, None, 7_000), 7_000);
        assert_eq!(ping_timeout_ms(60, Some(5), 30_000), 5);
    }

    #[test]
    fn silence_noticed_within_one_and_a_half_keepalive() {
        // From the last packet sent (the worst case for a wait starting right
        // after it): PINGREQ at 3/4 K, give up at 5/4 K, for every K.
        for k in [1u16, 2, 3, 10, 60, 65_535] {
            let mut ka = KeepAlive::new();
            ka.start(k, ping_timeout_ms(k, None, 30_000), 0);
            let due = ka.ping_due_at().unwrap();
            ka.on_ping(due);
            let give_up = ka.timeout_at().unwrap();
            assert!(give_up * 2 <= u64::from(k) * 3000, "k={k}: {give_up} ms");
        }
    }

    #[test]
    fn ping_at_three_quarters_then_timeout() {
        let mut k = KeepAlive::new();
        k.start(10, 5000, 1000);
        assert_eq!(k.ping_due_at(), Some(8500));
        assert!(!k.is_ping_due(8499));
        k.on_send(2000); // any packet sent pushes the ping back
        assert_eq!(k.ping_due_at(), Some(9500));
        assert!(k.is_ping_due(9500));
        k.on_ping(9500);
        assert_eq!(k.ping_due_at(), None);
        assert_eq!(k.next_deadline(), Some(14_500));
        assert_eq!(k.check(14_499), Ok(()));
        assert_eq!(k.check(14_500), Err(Error::PingTimeout));
        k.on_receive();
        assert_eq!(k.check(20_000), Ok(()));
        assert_eq!(k.ping_due_at(), Some(17_000));
    }

    #[test]
    fn off_when_zero() {
        let mut k = KeepAlive::new();
        k.start(0, 1000, 0);
        assert_eq!(k.next_deadline(), None);
        k.on_ping(5); // explicit ping still gets a deadline
        assert_eq!(k.next_deadline(), Some(1005));
    }
}
