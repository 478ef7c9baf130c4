//! When to try a failed delivery again: exponential backoff with jitter, within a budget of
//! attempts. A policy object, so that the worker, the tests and the configuration agree on one
//! rule.

use std::time::Duration;

/// Exponential backoff with "equal jitter": after the n-th failed attempt the wait is drawn
/// from `[b/2, b]` with `b = min(initial · 2ⁿ⁻¹, max)`, so that many deliveries failing
/// together do not come back together; after `max_attempts` failures the delivery becomes a
/// dead letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    pub max_attempts: u32,
}

impl RetryPolicy {
    /// The policy of a configuration's fields: the first wait in milliseconds, the longest in
    /// seconds, and the attempts (at least one).
    pub fn new(initial_backoff_ms: u64, max_backoff_seconds: u64, max_attempts: u32) -> Self {
        Self {
            initial_backoff: Duration::from_millis(initial_backoff_ms),
            max_backoff: Duration::from_secs(max_backoff_seconds),
            max_attempts: max_attempts.max(1),
        }
    }

    /// The wait after `failed_attempts` failures (counting the one just made), with `jitter`
    /// in `[0, 1]`; `None` once the budget is spent.
    pub fn backoff(&self, failed_attempts: u32, jitter: f64) -> Option<Duration> {
        if failed_attempts >= self.max_attempts {
            return None;
        }
        let doublings = failed_attempts.saturating_sub(1).min(32);
        let ceiling = self
            .initial_backoff
            .saturating_mul(1u32 << doublings.min(31))
            .min(self.max_backoff);
        let half = ceiling / 2;
        Some(half + half.mul_f64(jitter.clamp(0.0, 1.0)))
    }

    /// A jitter value from the operating system's random source.
    pub fn jitter() -> f64 {
        let mut bytes = [0u8; 8];
        // Without randomness the wait is merely the longest one; never an error.
        if getrandom::fill(&mut bytes).is_err() {
            return 1.0;
        }
        (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy = RetryPolicy {
        initial_backoff: Duration::from_secs(2),
        max_backoff: Duration::from_secs(60),
        max_attempts: 5,
    };

    #[test]
    fn doubles_within_the_jitter_band_up_to_the_ceiling() {
        for (failures, ceiling) in [(1, 2), (2, 4), (3, 8), (4, 16)] {
            let ceiling = Duration::from_secs(ceiling);
            assert_eq!(POLICY.backoff(failures, 0.0), Some(ceiling / 2));
            assert_eq!(POLICY.backoff(failures, 1.0), Some(ceiling));
            let mid = POLICY.backoff(failures, 0.5).unwrap();
            assert!(mid > ceiling / 2 && mid < ceiling, "{mid:?}");
        }
        let long = RetryPolicy {
            max_attempts: 100,
            ..POLICY
        };
        assert_eq!(long.backoff(40, 1.0), Some(Duration::from_secs(60)));
    }

    #[test]
    fn the_budget_ends_in_a_dead_letter() {
        assert!(POLICY.backoff(4, 0.3).is_some());
        assert_eq!(POLICY.backoff(5, 0.3), None);
        assert_eq!(POLICY.backoff(6, 0.3), None);
    }

    #[test]
    fn jitter_is_a_fraction() {
        for _ in 0..100 {
            let j = RetryPolicy::jitter();
            assert!((0.0..1.0).contains(&j), "{j}");
        }
    }
}
