//! Delays between reconnection attempts: exponential with a cap, and
//! jittered so that many clients cut off by the same broker restart do not
//! all come back in the same millisecond.
//!
//! The jitter is deterministic (xorshift32 from a caller-supplied seed): the
//! core reads no clock and no entropy source; a binding seeds it from the
//! time or the client id.

/// Exponential backoff: attempt `k` (from 0) waits a delay drawn in
/// `[d/2, d]` where `d = min(min_ms * 2^k, max_ms)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    min_ms: u32,
    max_ms: u32,
    attempt: u32,
    rng: u32,
}

impl Backoff {
    /// Delays from `min_ms` doubling up to `max_ms` (raised to `min_ms` if
    /// smaller). Any seed works (0 is replaced by a fixed non-zero one).
    pub const fn new(min_ms: u32, max_ms: u32, seed: u32) -> Self {
        Backoff {
            min_ms,
            max_ms: if max_ms < min_ms { min_ms } else { max_ms },
            attempt: 0,
            rng: if seed == 0 { 0x9E37_79B9 } else { seed },
        }
    }

    /// Number of delays handed out since creation or [`Backoff::reset`].
    pub const fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Start again from the smallest delay.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// The un-jittered delay of the next attempt: `min(min * 2^k, max)`.
    pub fn ceiling_ms(&self) -> u32 {
        let factor = 1u64.checked_shl(self.attempt).unwrap_or(u64::MAX);
        let d = u64::from(self.min_ms)
            .saturating_mul(factor)
            .min(u64::from(self.max_ms));
        u32::try_from(d).unwrap_or(u32::MAX)
    }

    /// The delay to wait before the next attempt, in ms; advances the
    /// attempt counter.
    pub fn next_delay_ms(&mut self) -> u32 {
        let d = self.ceiling_ms();
        let half = d.wrapping_shr(1);
        // Jitter in [0, d - half], so the delay is in [half, d].
        let span = d.saturating_sub(half).saturating_add(1);
        let jitter = self.next_random().checked_rem(span).unwrap_or(0);
        self.attempt = self.attempt.saturating_add(1);
        half.saturating_add(jitter)
    }

    fn next_random(&mut self) -> u32 {
        // xorshift32 (Marsaglia): never yields 0 from a non-zero state.
        let mut x = self.rng;
        x ^= x.wrapping_shl(13);
        x ^= x.wrapping_shr(17);
        x ^= x.wrapping_shl(5);
        self.rng = x;
        x
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_within_jitter_and_stop_at_the_cap() {
        let mut b = Backoff::new(500, 30_000, 12345);
        let ceilings = [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000];
        for c in ceilings {
            assert_eq!(b.ceiling_ms(), c);
            let d = b.next_delay_ms();
            assert!(d >= c / 2 && d <= c, "{d} not in [{}, {c}]", c / 2);
        }
        assert_eq!(b.attempt(), 9);
        b.reset();
        assert_eq!(b.ceiling_ms(), 500);
    }

    #[test]
    fn jitter_spreads_and_is_deterministic() {
        let run = |seed| {
            let mut b = Backoff::new(1000, 1000, seed);
            let mut v = [0u32; 16];
            for d in v.iter_mut() {
                *d = b.next_delay_ms();
            }
            v
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let v = run(7);
        assert!(
            v.iter().any(|&d| d < 750) && v.iter().any(|&d| d > 750),
            "{v:?}"
        );
    }

    #[test]
    fn extremes_do_not_overflow() {
        let mut b = Backoff::new(u32::MAX, 1, 0);
        for _ in 0..100 {
            assert!(b.next_delay_ms() >= u32::MAX / 2);
        }
        let mut z = Backoff::new(0, 0, 1);
        for _ in 0..70 {
            assert_eq!(z.next_delay_ms(), 0);
        }
        let mut big = Backoff::new(3, u32::MAX, 99);
        for _ in 0..200 {
            big.next_delay_ms();
        }
        assert_eq!(big.ceiling_ms(), u32::MAX);
        assert_eq!(big.attempt(), 200);
    }
}
