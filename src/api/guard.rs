//! Intrusion protection: request rates per terminal (with rates of their own for the terminals
//! the configuration names) and per address, blocking an address after repeated
//! authentication failures, blocking the person and the terminal that present too many wrong
//! access keys, and flagging a user who reads far more sheets in an hour than anyone should
//! (seed 001 asks that reuse of earlier data be monitored). What it decides is written to the
//! audit trail by the caller.
//!
//! The rates are kept in this instance's memory and are per instance: several instances behind
//! a load balancer each admit their share, and a restart forgets them, which errs towards
//! letting people work. The blocks and the counts behind them and the hourly reads are kept in
//! the store ([`SecurityCounters`]), shared by every instance on one database and kept across
//! restarts, so that spreading guesses over instances or waiting for a restart gains nothing,
//! and a block or an alert is raised exactly once however many instances count. Addresses are
//! stored as their text; they are never logged.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, NotUntil, Quota, RateLimiter};

use crate::config::{AccessKeyConfig, SecurityConfig};
use crate::store::{FailureKey, FailureKind, FailureRule, SecurityCounters, StoreError};

/// What a failure did to the standing of the address (or the person and terminal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureVerdict {
    Counted,
    /// This failure crossed the threshold: blocked from now on.
    Blocked,
}

impl From<bool> for FailureVerdict {
    fn from(blocked: bool) -> Self {
        if blocked {
            Self::Blocked
        } else {
            Self::Counted
        }
    }
}

/// The gateway's guard.
pub struct Guard {
    per_terminal: DefaultKeyedRateLimiter<String>,
    /// Terminals with a rate of their own (`[security.terminal_requests_per_second]`).
    own_rates: HashMap<String, DefaultDirectRateLimiter>,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    counters: Arc<dyn SecurityCounters>,
    /// Authentication failures per address.
    failures: FailureRule,
    /// Wrong access keys per person and per terminal.
    key_failures: FailureRule,
    bulk_read_alert: u32,
}

fn quota(per_second: u32) -> Quota {
    let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(per_second.max(1).saturating_mul(2)).unwrap_or(rate);
    Quota::per_second(rate).allow_burst(burst)
}

/// The bulk-read window, in milliseconds.
const HOUR_MS: i64 = 3_600_000;

/// The time as the counters keep it: Unix milliseconds, from the wall clock, which the
/// instances sharing the counters share too.
fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// How long from `now_ms` until `until_ms`.
fn remaining(until_ms: i64, now_ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(until_ms.saturating_sub(now_ms)).unwrap_or(0))
}

/// The person presenting access keys, and the terminal they use.
fn presenters<'a>(user: &'a str, terminal: Option<&'a str>) -> Vec<FailureKey<'a>> {
    std::iter::once(FailureKey {
        kind: FailureKind::AccessKeyUser,
        key: user,
    })
    .chain(terminal.map(|t| FailureKey {
        kind: FailureKind::AccessKeyTerminal,
        key: t,
    }))
    .collect()
}

impl Guard {
    /// A guard keeping its blocks and counts in `counters` (the store).
    pub fn new(
        config: &SecurityConfig,
        access_keys: &AccessKeyConfig,
        counters: Arc<dyn SecurityCounters>,
    ) -> Self {
        let rule = |limit: u32, minutes: u32| FailureRule {
            limit: limit.max(1),
            window_ms: i64::from(minutes) * 60_000,
        };
        Self {
            per_terminal: RateLimiter::keyed(quota(config.requests_per_second_per_terminal)),
            own_rates: config
                .terminal_requests_per_second
                .iter()
                .map(|(name, rate)| (name.clone(), RateLimiter::direct(quota(*rate))))
                .collect(),
            per_address: RateLimiter::keyed(quota(config.requests_per_second_per_address)),
            counters,
            failures: rule(config.block_after_failures, config.block_minutes),
            key_failures: rule(access_keys.failures_before_block, access_keys.block_minutes),
            bulk_read_alert: config.bulk_read_alert_per_hour.max(1),
        }
    }

    /// Whether one more request from this terminal and address is within this instance's
    /// rates; when it is not, how long until one would be (for `Retry-After`). A terminal
    /// with a rate of its own is held to that alone; any other to the common terminal rate
    /// and the address rate.
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
    pub async fn blocked_for(
        &self,
        address: Option<IpAddr>,
    ) -> Result<Option<Duration>, StoreError> {
        let Some(address) = address else {
            return Ok(None);
        };
        let text = address.to_string();
        let now = now_ms();
        let key = FailureKey {
            kind: FailureKind::Address,
            key: &text,
        };
        let until = self.counters.blocked_until(&[key], now).await?;
        Ok(until.map(|until| remaining(until, now)))
    }

    /// Counts an authentication failure from the address.
    pub async fn record_failure(
        &self,
        address: Option<IpAddr>,
    ) -> Result<FailureVerdict, StoreError> {
        let Some(address) = address else {
            return Ok(FailureVerdict::Counted);
        };
        let text = address.to_string();
        let key = FailureKey {
            kind: FailureKind::Address,
            key: &text,
        };
        let blocked = self
            .counters
            .count_failure(&[key], self.failures, now_ms())
            .await?;
        Ok(blocked.into())
    }

    /// How long the person or the terminal may present no access keys, if they are blocked
    /// for too many wrong ones.
    pub async fn access_keys_blocked_for(
        &self,
        user: &str,
        terminal: Option<&str>,
    ) -> Result<Option<Duration>, StoreError> {
        let now = now_ms();
        let until = self
            .counters
            .blocked_until(&presenters(user, terminal), now)
            .await?;
        Ok(until.map(|until| remaining(until, now)))
    }

    /// Counts a wrong access key against the person and the terminal; `Blocked` when this one
    /// blocked either of them.
    pub async fn record_access_key_failure(
        &self,
        user: &str,
        terminal: Option<&str>,
    ) -> Result<FailureVerdict, StoreError> {
        let blocked = self
            .counters
            .count_failure(&presenters(user, terminal), self.key_failures, now_ms())
            .await?;
        Ok(blocked.into())
    }

    /// Counts a sheet read by the user; true exactly once per hour, when the reads cross the
    /// alert threshold.
    pub async fn record_read(&self, user: &str) -> Result<bool, StoreError> {
        self.counters
            .count_read(user, self.bulk_read_alert, HOUR_MS, now_ms())
            .await
    }

    /// Forgets rates and counters that no longer matter (called now and then).
    pub async fn sweep(&self) -> Result<(), StoreError> {
        self.per_terminal.retain_recent();
        self.per_address.retain_recent();
        self.counters.sweep_security_counters(now_ms()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SqlStore;

    fn config() -> SecurityConfig {
        SecurityConfig {
            requests_per_second_per_terminal: 2,
            requests_per_second_per_address: 100,
            block_after_failures: 3,
            bulk_read_alert_per_hour: 5,
            ..SecurityConfig::default()
        }
    }

    fn access_keys() -> AccessKeyConfig {
        AccessKeyConfig {
            failures_before_block: 3,
            ..AccessKeyConfig::default()
        }
    }

    /// A guard on a store of its own in `dir` — or, called again for the same `dir`, another
    /// instance's guard on the same database.
    async fn guard_with(dir: &std::path::Path, config: &SecurityConfig) -> Guard {
        let store = SqlStore::open_for_tests(dir).await;
        Guard::new(config, &access_keys(), Arc::new(store))
    }

    async fn guard(dir: &std::path::Path) -> Guard {
        guard_with(dir, &config()).await
    }

    #[tokio::test]
    async fn a_terminal_over_its_rate_is_refused_while_others_go_on() {
        let dir = tempfile::tempdir().unwrap();
        let guard = guard(dir.path()).await;
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

    #[tokio::test]
    async fn a_terminal_with_a_rate_of_its_own_is_held_to_that_alone() {
        let config = SecurityConfig {
            terminal_requests_per_second: [("ehr-engine".to_owned(), 50)].into(),
            requests_per_second_per_address: 2,
            ..config()
        };
        let dir = tempfile::tempdir().unwrap();
        let guard = guard_with(dir.path(), &config).await;
        let address: Option<IpAddr> = Some([192, 0, 2, 7].into());
        let started = std::time::Instant::now();
        let engine = (0..150)
            .filter(|_| guard.admit(Some("ehr-engine"), address).is_ok())
            .count();
        // The bucket refills at 50/s while the loop runs (a loaded machine running a debug
        // build took over 20 ms for it): what came back in that time is admitted too.
        let refilled = (started.elapsed().as_secs_f64() * 50.0).ceil() as usize;
        assert!(
            (100..=100 + refilled).contains(&engine),
            "burst of twice its own rate, not the address's: {engine} admitted, {refilled} refilled"
        );
        // A browser behind the same address still meets the common rates.
        let browser = (0..10)
            .filter(|_| guard.admit(Some("reception-pc"), address).is_ok())
            .count();
        assert_eq!(browser, 4);
    }

    #[tokio::test]
    async fn repeated_failures_block_the_address_once() {
        let dir = tempfile::tempdir().unwrap();
        let guard = &guard(dir.path()).await;
        let ip: Option<IpAddr> = Some([192, 0, 2, 1].into());
        let verdict = || async move { guard.record_failure(ip).await.unwrap() };
        assert_eq!(verdict().await, FailureVerdict::Counted);
        assert_eq!(verdict().await, FailureVerdict::Counted);
        assert!(guard.blocked_for(ip).await.unwrap().is_none());
        assert_eq!(verdict().await, FailureVerdict::Blocked);
        let blocked = guard.blocked_for(ip).await.unwrap();
        assert!(
            blocked.is_some_and(|d| d > Duration::from_secs(14 * 60)),
            "{blocked:?}"
        );
        assert_eq!(verdict().await, FailureVerdict::Counted);
        let other = Some([192, 0, 2, 2].into());
        assert!(guard.blocked_for(other).await.unwrap().is_none());
        // Without an address there is nothing to count or block.
        assert_eq!(
            guard.record_failure(None).await.unwrap(),
            FailureVerdict::Counted
        );
        assert!(guard.blocked_for(None).await.unwrap().is_none());
    }

    /// Two instances on one database count failures at once: the address is blocked by
    /// exactly one of them, and for both.
    #[tokio::test]
    async fn instances_sharing_the_store_block_once_between_them() {
        let dir = tempfile::tempdir().unwrap();
        let first = guard(dir.path()).await;
        let second = guard(dir.path()).await;
        let ip: Option<IpAddr> = Some("2001:db8::7".parse().unwrap());
        async fn fail_four_times(guard: &Guard, ip: Option<IpAddr>) -> Vec<FailureVerdict> {
            let mut verdicts = Vec::new();
            for _ in 0..4 {
                verdicts.push(guard.record_failure(ip).await.unwrap());
            }
            verdicts
        }
        let (a, b) = tokio::join!(fail_four_times(&first, ip), fail_four_times(&second, ip));
        let blocks = a
            .iter()
            .chain(&b)
            .filter(|v| **v == FailureVerdict::Blocked)
            .count();
        assert_eq!(blocks, 1, "{a:?} {b:?}");
        assert!(first.blocked_for(ip).await.unwrap().is_some());
        assert!(second.blocked_for(ip).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn bulk_reads_raise_one_alert_per_hour() {
        let dir = tempfile::tempdir().unwrap();
        let guard = guard(dir.path()).await;
        let mut alerts = Vec::new();
        for _ in 0..8 {
            alerts.push(guard.record_read("dr-sato").await.unwrap());
        }
        assert_eq!(
            alerts,
            [false, false, false, false, false, true, false, false]
        );
        assert!(!guard.record_read("dr-suzuki").await.unwrap());
        guard.sweep().await.unwrap();
        assert!(
            !guard.record_read("dr-sato").await.unwrap(),
            "swept nothing"
        );
    }

    #[tokio::test]
    async fn wrong_access_keys_block_the_person_and_the_terminal() {
        let dir = tempfile::tempdir().unwrap();
        let guard = &guard(dir.path()).await;
        let mut verdicts = Vec::new();
        for _ in 0..3 {
            verdicts.push(
                guard
                    .record_access_key_failure("officer-a", Some("town-hall"))
                    .await
                    .unwrap(),
            );
        }
        assert_eq!(verdicts[2], FailureVerdict::Blocked);
        let blocked_for = |user, terminal| async move {
            guard.access_keys_blocked_for(user, terminal).await.unwrap()
        };
        let blocked = blocked_for("officer-a", Some("town-hall")).await;
        assert!(
            blocked.is_some_and(|d| d > Duration::from_secs(14 * 60)),
            "{blocked:?}"
        );
        // A colleague at the same terminal is blocked too; at another terminal, not.
        assert!(blocked_for("officer-b", Some("town-hall")).await.is_some());
        assert!(blocked_for("officer-b", Some("branch")).await.is_none());
        // The person is blocked wherever they go.
        assert!(blocked_for("officer-a", Some("branch")).await.is_some());
        guard.sweep().await.unwrap();
        assert!(blocked_for("officer-a", None).await.is_some());
    }
}
