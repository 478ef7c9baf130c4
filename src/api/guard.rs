//! Intrusion protection kept in memory: request rates per terminal (with rates of their own for
//! the terminals the configuration names) and per address, blocking
//! an address after repeated authentication failures, blocking the person and the terminal
//! that present too many wrong access keys, and flagging a user who reads far more
//! sheets in an hour than anyone should (seed 001 asks that reuse of earlier data be
//! monitored). What it decides is written to the audit trail by the caller; its counters
//! start afresh at each restart, which errs towards letting people work.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, NotUntil, Quota, RateLimiter};

use crate::config::{AccessKeyConfig, SecurityConfig};

/// A count of one key's failures since the first of them.
#[derive(Debug, Clone, Copy)]
struct Failures {
    since: Instant,
    count: u32,
    blocked_until: Option<Instant>,
}

/// Failures per key within a window: the `limit`-th failure within `window` of the first
/// blocks the key for `window`.
#[derive(Debug)]
struct FailureWindow<K> {
    counts: Mutex<HashMap<K, Failures>>,
    limit: u32,
    window: Duration,
}

impl<K: Hash + Eq> FailureWindow<K> {
    fn new(limit: u32, window: Duration) -> Self {
        Self {
            counts: Mutex::new(HashMap::new()),
            limit: limit.max(1),
            window,
        }
    }

    /// How long the key stays blocked, if it is.
    fn blocked_for(&self, key: &K) -> Option<Duration> {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let until = counts.get(key)?.blocked_until?;
        until.checked_duration_since(Instant::now())
    }

    fn record(&self, key: K) -> FailureVerdict {
        let now = Instant::now();
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let entry = counts.entry(key).or_insert(Failures {
            since: now,
            count: 0,
            blocked_until: None,
        });
        if now.duration_since(entry.since) > self.window {
            *entry = Failures {
                since: now,
                count: 0,
                blocked_until: None,
            };
        }
        entry.count += 1;
        if entry.count == self.limit {
            entry.blocked_until = Some(now + self.window);
            return FailureVerdict::Blocked;
        }
        FailureVerdict::Counted
    }

    fn sweep(&self, now: Instant) {
        self.counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, f| {
                now.duration_since(f.since) <= self.window
                    || f.blocked_until.is_some_and(|u| now < u)
            });
    }
}

/// Who presents access keys: a person, and the terminal they use.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Presenter {
    User(String),
    Terminal(String),
}

fn presenters(user: &str, terminal: Option<&str>) -> impl Iterator<Item = Presenter> {
    std::iter::once(Presenter::User(user.to_owned()))
        .chain(terminal.map(|t| Presenter::Terminal(t.to_owned())))
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
    /// Terminals with a rate of their own (`[security.terminal_requests_per_second]`).
    own_rates: HashMap<String, DefaultDirectRateLimiter>,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    failures: FailureWindow<IpAddr>,
    key_failures: FailureWindow<Presenter>,
    reads: Mutex<HashMap<String, Reads>>,
    bulk_read_alert: u32,
}

fn quota(per_second: u32) -> Quota {
    let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(per_second.max(1).saturating_mul(2)).unwrap_or(rate);
    Quota::per_second(rate).allow_burst(burst)
}

const HOUR: Duration = Duration::from_secs(3600);

impl Guard {
    pub fn new(config: &SecurityConfig, access_keys: &AccessKeyConfig) -> Self {
        let minutes = |m: u32| Duration::from_secs(u64::from(m) * 60);
        Self {
            per_terminal: RateLimiter::keyed(quota(config.requests_per_second_per_terminal)),
            own_rates: config
                .terminal_requests_per_second
                .iter()
                .map(|(name, rate)| (name.clone(), RateLimiter::direct(quota(*rate))))
                .collect(),
            per_address: RateLimiter::keyed(quota(config.requests_per_second_per_address)),
            failures: FailureWindow::new(
                config.block_after_failures,
                minutes(config.block_minutes),
            ),
            key_failures: FailureWindow::new(
                access_keys.failures_before_block,
                minutes(access_keys.block_minutes),
            ),
            reads: Mutex::new(HashMap::new()),
            bulk_read_alert: config.bulk_read_alert_per_hour.max(1),
        }
    }

    /// Whether one more request from this terminal and address is within the rates; when it
    /// is not, how long until one would be (for `Retry-After`). A terminal with a rate of its
    /// own is held to that alone; any other to the common terminal rate and the address rate.
    pub fn admit(&self, terminal: Option<&str>, address: Option<IpAddr>) -> Result<(), Duration> {
        let now = DefaultClock::default().now();
        let wait = |refused: NotUntil<_>| refused.wait_time_from(now);
        if let Some(own) = terminal.and_then(|t| self.own_rates.get(t)) {
            return own.check().map_err(wait);
        }
        let by_terminal = terminal.map_or(Ok(()), |t| {
            self.per_terminal.check_key(&t.to_owned()).map_err(wait)
        });
        let by_address = address.map_or(Ok(()), |a| self.per_address.check_key(&a).map_err(wait));
        match (by_terminal, by_address) {
            (Ok(()), Ok(())) => Ok(()),
            (Err(a), Err(b)) => Err(a.max(b)),
            (Err(wait), _) | (_, Err(wait)) => Err(wait),
        }
    }

    /// How long the address stays blocked for repeated authentication failures, if it is.
    pub fn blocked_for(&self, address: Option<IpAddr>) -> Option<Duration> {
        self.failures.blocked_for(&address?)
    }

    /// Counts an authentication failure from the address.
    pub fn record_failure(&self, address: Option<IpAddr>) -> FailureVerdict {
        match address {
            Some(address) => self.failures.record(address),
            None => FailureVerdict::Counted,
        }
    }

    /// How long the person or the terminal may present no access keys, if they are blocked
    /// for too many wrong ones.
    pub fn access_keys_blocked_for(&self, user: &str, terminal: Option<&str>) -> Option<Duration> {
        presenters(user, terminal)
            .filter_map(|p| self.key_failures.blocked_for(&p))
            .max()
    }

    /// Counts a wrong access key against the person and the terminal; `Blocked` when this one
    /// blocked either of them.
    pub fn record_access_key_failure(&self, user: &str, terminal: Option<&str>) -> FailureVerdict {
        presenters(user, terminal)
            .map(|p| self.key_failures.record(p))
            .fold(FailureVerdict::Counted, |verdict, next| {
                if next == FailureVerdict::Blocked {
                    next
                } else {
                    verdict
                }
            })
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
        self.failures.sweep(now);
        self.key_failures.sweep(now);
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

    fn guard() -> Guard {
        Guard::new(
            &config(),
            &AccessKeyConfig {
                failures_before_block: 3,
                ..AccessKeyConfig::default()
            },
        )
    }

    #[test]
    fn a_terminal_over_its_rate_is_refused_while_others_go_on() {
        let guard = guard();
        let a = Some("hospital");
        let admitted = (0..10).filter(|_| guard.admit(a, None).is_ok()).count();
        assert_eq!(admitted, 4, "burst of twice the rate");
        let wait = guard.admit(a, None).expect_err("over the rate");
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_millis(500),
            "one more request is allowed within half a second at 2/s: {wait:?}"
        );
        assert!(guard.admit(Some("municipality"), None).is_ok());
    }

    #[test]
    fn a_terminal_with_a_rate_of_its_own_is_held_to_that_alone() {
        let config = SecurityConfig {
            terminal_requests_per_second: [("ehr-engine".to_owned(), 50)].into(),
            requests_per_second_per_address: 2,
            ..config()
        };
        let guard = Guard::new(&config, &AccessKeyConfig::default());
        let address: Option<IpAddr> = Some([192, 0, 2, 7].into());
        let engine = (0..150)
            .filter(|_| guard.admit(Some("ehr-engine"), address).is_ok())
            .count();
        assert_eq!(
            engine, 100,
            "burst of twice its own rate, not the address's"
        );
        // A browser behind the same address still meets the common rates.
        let browser = (0..10)
            .filter(|_| guard.admit(Some("reception-pc"), address).is_ok())
            .count();
        assert_eq!(browser, 4);
    }

    #[test]
    fn repeated_failures_block_the_address_once() {
        let guard = guard();
        let ip: Option<IpAddr> = Some([192, 0, 2, 1].into());
        assert_eq!(guard.record_failure(ip), FailureVerdict::Counted);
        assert_eq!(guard.record_failure(ip), FailureVerdict::Counted);
        assert!(guard.blocked_for(ip).is_none());
        assert_eq!(guard.record_failure(ip), FailureVerdict::Blocked);
        assert!(guard.blocked_for(ip).is_some());
        assert_eq!(guard.record_failure(ip), FailureVerdict::Counted);
        assert!(guard.blocked_for(Some([192, 0, 2, 2].into())).is_none());
    }

    #[test]
    fn bulk_reads_raise_one_alert_per_hour() {
        let guard = guard();
        let alerts: Vec<bool> = (0..8).map(|_| guard.record_read("dr-sato")).collect();
        assert_eq!(
            alerts,
            [false, false, false, false, false, true, false, false]
        );
        assert!(!guard.record_read("dr-suzuki"));
        guard.sweep();
    }

    #[test]
    fn wrong_access_keys_block_the_person_and_the_terminal() {
        let guard = guard();
        let verdicts: Vec<FailureVerdict> = (0..3)
            .map(|_| guard.record_access_key_failure("officer-a", Some("town-hall")))
            .collect();
        assert_eq!(verdicts[2], FailureVerdict::Blocked);
        let blocked = guard.access_keys_blocked_for("officer-a", Some("town-hall"));
        assert!(
            blocked.is_some_and(|d| d > Duration::from_secs(14 * 60)),
            "{blocked:?}"
        );
        // A colleague at the same terminal is blocked too; at another terminal, not.
        assert!(
            guard
                .access_keys_blocked_for("officer-b", Some("town-hall"))
                .is_some()
        );
        assert!(
            guard
                .access_keys_blocked_for("officer-b", Some("branch"))
                .is_none()
        );
        // The person is blocked wherever they go.
        assert!(
            guard
                .access_keys_blocked_for("officer-a", Some("branch"))
                .is_some()
        );
        guard.sweep();
        assert!(guard.access_keys_blocked_for("officer-a", None).is_some());
    }
}
