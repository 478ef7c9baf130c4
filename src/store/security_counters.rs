//! The intrusion counters the gateway shares through the database, so that they hold across
//! gateway instances and restarts: authentication failures per address and wrong access keys
//! per person and per terminal (each blocking its key for a while once too many come within a
//! window), and sheets read per user within an hour (an alert once too many are read).
//!
//! Each count is one write transaction that adds to the row and reads the sum back, so that
//! of several instances counting at once exactly one sees the count that crosses a threshold,
//! and so exactly one blocks or alerts. Times are Unix milliseconds, given by the caller.

use super::StoreError;

/// What failures are counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// An address (its text) failing to authenticate.
    Address,
    /// A person (user id) presenting wrong access keys.
    AccessKeyUser,
    /// A terminal (its name) on which wrong access keys are presented.
    AccessKeyTerminal,
}

impl FailureKind {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Address => "address",
            FailureKind::AccessKeyUser => "access_key_user",
            FailureKind::AccessKeyTerminal => "access_key_terminal",
        }
    }
}

/// One key that failures are counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureKey<'a> {
    pub kind: FailureKind,
    pub key: &'a str,
}

/// When failures block: the `limit`-th failure within `window_ms` of the first blocks the key
/// for `window_ms` from that failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureRule {
    pub limit: u32,
    pub window_ms: i64,
}

/// Storage of the shared intrusion counters.
#[async_trait::async_trait]
pub trait SecurityCounters: Send + Sync {
    /// Until when (Unix ms) the longest block among `keys` lasts, if any of them is blocked at
    /// `now_ms`.
    async fn blocked_until(
        &self,
        keys: &[FailureKey<'_>],
        now_ms: i64,
    ) -> Result<Option<i64>, StoreError>;

    /// Counts a failure at `now_ms` against each of `keys` (a window older than `rule`'s
    /// starts afresh); true when this failure crossed the limit of any of them, which happens
    /// once per window.
    async fn count_failure(
        &self,
        keys: &[FailureKey<'_>],
        rule: FailureRule,
        now_ms: i64,
    ) -> Result<bool, StoreError>;

    /// Counts a sheet read by `user_id` at `now_ms` within the user's window of `window_ms`
    /// from their first read in it; true exactly once per window, when the reads go past
    /// `alert_after`.
    async fn count_read(
        &self,
        user_id: &str,
        alert_after: u32,
        window_ms: i64,
        now_ms: i64,
    ) -> Result<bool, StoreError>;

    /// Deletes the counters that no longer matter at `now_ms`: windows over, blocks ended.
    async fn sweep_security_counters(&self, now_ms: i64) -> Result<(), StoreError>;
}
