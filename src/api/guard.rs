//! Intrusion protection kept in memory: request rates per terminal and per address, blocking
//! an address after repeated authentication failures, and flagging a user who reads far more
//! sheets in an hour than anyone should (seed 001 asks that reuse of earlier data be
//! monitored). What it decides is written to the audit trail by the caller; its counters
//! start afresh at each restart, which errs towards letting people work.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::SecurityConfig;

/// A sliding count of failures from one address.
#[derive(Debug, Clone, Copy)]
struct Failures {
    since: Instant,
    count: u32,
    blocked_until: Option<Instant>,
}

/// Sheets read by one user in the current hour.
#[derive(Debug, Clone, Copy)]
struct Reads {
    since: Instant,
    count: u32,
    alerted: bool,
}

/// What a failure did to the address's standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureVerdict {
    Counted,
    /// This failure crossed the threshold: the address is blocked from now on.
    Blocked,
}

/// The gateway's in-memory guard.
#[derive(Debug)]
pub struct Guard {
    per_terminal: DefaultKeyedRateLimiter<String>,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    failures: Mutex<HashMap<IpAddr, Failures>>,
    reads: Mutex<HashMap<String, Reads>>,
    block_after: u32,
    block_for: Duration,
    bulk_read_alert: u32,
}

fn quota(per_second: u32) -> Quota {
    let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(per_second.max(1).saturating_mul(2)).unwrap_or(rate);
    Quota::per_second(rate).allow_burst(burst)
}

const HOUR: Duration = Duration::from_secs(3600);

impl Guard {
    pub fn new(config: &SecurityConfig) -> Self {
        Self {
            per_terminal: RateLimiter::keyed(quota(config.requests_per_second_per_terminal)),
            per_address: RateLimiter::keyed(quota(config.requests_per_second_per_address)),
            failures: Mutex::new(HashMap::new()),
            reads: Mutex::new(HashMap::new()),
            block_after: config.block_after_failures.max(1),
            block_for: Duration::from_secs(u64::from(config.block_minutes) * 60),
            bulk_read_alert: config.bulk_read_alert_per_hour.max(1),
        }
    }

    /// Whether one more request from this terminal and address is within the rates.
    pub fn admit(&self, terminal: Option<&str>, address: Option<IpAddr>) -> bool {
        let terminal_ok =
            terminal.is_none_or(|t| self.per_terminal.check_key(&t.to_owned()).is_ok());
        let address_ok = address.is_none_or(|a| self.per_address.check_key(&a).is_ok());
        terminal_ok && address_ok
    }

    /// Whether the address is blocked for repeated authentication failures.
    pub fn is_blocked(&self, address: Option<IpAddr>) -> bool {
        let Some(address) = address else { return false };
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures
            .get(&address)
            .and_then(|f| f.blocked_until)
            .is_some_and(|until| Instant::now() < until)
    }

    /// Counts an authentication failure from the address.
    pub fn record_failure(&self, address: Option<IpAddr>) -> FailureVerdict {
        let Some(address) = address else {
            return FailureVerdict::Counted;
        };
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let entry = failures.entry(address).or_insert(Failures {
            since: now,
            count: 0,
            blocked_until: None,
        });
        if now.duration_since(entry.since) > self.block_for {
            *entry = Failures {
                since: now,
                count: 0,
                blocked_until: None,
            };
        }
        entry.count += 1;
        if entry.count == self.block_after {
            entry.blocked_until = Some(now + self.block_for);
            return FailureVerdict::Blocked;
        }
        FailureVerdict::Counted
    }

    /// Counts a sheet read by the user; true exactly once per hour, when the reads cross the
    /// alert threshold.
    pub fn record_read(&self, user: &str) -> bool {
        let now = Instant::now();
        let mut reads = self.reads.lock().unwrap_or_else(|e| e.into_inner());
        let entry = reads.entry(user.to_owned()).or_insert(Reads {
            since: now,
            count: 0,
            alerted: false,
        });
        if now.duration_since(entry.since) > HOUR {
            *entry = Reads {
                since: now,
                count: 0,
                alerted: false,
            };
        }
        entry.count += 1;
        if entry.count > self.bulk_read_alert && !entry.alerted {
            entry.alerted = true;
            return true;
        }
        false
    }

    /// Forgets counters that no longer matter (called now and then).
    pub fn sweep(&self) {
        self.per_terminal.retain_recent();
        self.per_address.retain_recent();
        let now = Instant::now();
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, f| {
                now.duration_since(f.since) <= self.block_for
                    || f.blocked_until.is_some_and(|u| now < u)
            });
        self.reads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, r| now.duration_since(r.since) <= HOUR);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SecurityConfig {
        SecurityConfig {
            requests_per_second_per_terminal: 2,
            requests_per_second_per_address: 100,
            block_after_failures: 3,
            bulk_read_alert_per_hour: 5,
            ..SecurityConfig::default()
        }
    }

    #[test]
    fn a_terminal_over_its_rate_is_refused_while_others_go_on() {
        let guard = Guard::new(&config());
        let a = Some("hospital");
        let admitted = (0..10).filter(|_| guard.admit(a, None)).count();
        assert_eq!(admitted, 4, "burst of twice the rate");
        assert!(guard.admit(Some("municipality"), None));
    }

    #[test]
    fn repeated_failures_block_the_address_once() {
        let guard = Guard::new(&config());
        let ip: Option<IpAddr> = Some([192, 0, 2, 1].into());
        assert_eq!(guard.record_failure(ip), FailureVerdict::Counted);
        assert_eq!(guard.record_failure(ip), FailureVerdict::Counted);
        assert!(!guard.is_blocked(ip));
        assert_eq!(guard.record_failure(ip), FailureVerdict::Blocked);
        assert!(guard.is_blocked(ip));
        assert_eq!(guard.record_failure(ip), FailureVerdict::Counted);
        assert!(!guard.is_blocked(Some([192, 0, 2, 2].into())));
    }

    #[test]
    fn bulk_reads_raise_one_alert_per_hour() {
        let guard = Guard::new(&config());
        let alerts: Vec<bool> = (0..8).map(|_| guard.record_read("dr-sato")).collect();
        assert_eq!(
            alerts,
            [false, false, false, false, false, true, false, false]
        );
        assert!(!guard.record_read("dr-suzuki"));
        guard.sweep();
    }
}
