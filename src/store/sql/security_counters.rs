//! The shared intrusion counters in SQL. A count is one upsert that adds one and returns the
//! sum, after deleting the row if its window is over (so the count starts afresh); under the
//! writer lock two instances never count the same row at once, so only one of them gets the sum
//! that reaches a threshold.

use super::SqlStore;
use crate::store::StoreError;
use crate::store::security_counters::{FailureKey, FailureRule, SecurityCounters};

#[async_trait::async_trait]
impl SecurityCounters for SqlStore {
    async fn blocked_until(
        &self,
        keys: &[FailureKey<'_>],
        now_ms: i64,
    ) -> Result<Option<i64>, StoreError> {
        let mut until = None;
        for key in keys {
            let blocked: Option<Option<i64>> = sqlx::query_scalar(
                "SELECT blocked_until_ms FROM failure_windows WHERE kind = $1 AND subject = $2 AND blocked_until_ms > $3",
            )
            .bind(key.kind.as_str())
            .bind(key.key)
            .bind(now_ms)
            .fetch_optional(&self.pool)
            .await?;
            until = until.max(blocked.flatten());
        }
        Ok(until)
    }

    async fn count_failure(
        &self,
        keys: &[FailureKey<'_>],
        rule: FailureRule,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let limit = i64::from(rule.limit.max(1));
        let window_end = now_ms.saturating_add(rule.window_ms);
        let mut blocked = false;
        for key in keys {
            sqlx::query(
                "DELETE FROM failure_windows WHERE kind = $1 AND subject = $2 AND expires_at_ms < $3",
            )
            .bind(key.kind.as_str())
            .bind(key.key)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
            // The window runs from the first failure; the failure that reaches the limit
            // blocks for a window from itself, and the row lasts as long as the block.
            let failures: i64 = sqlx::query_scalar(
                "INSERT INTO failure_windows (kind, subject, failures, blocked_until_ms, expires_at_ms) \
                 VALUES ($1, $2, 1, CASE WHEN $3 = 1 THEN $4 END, $4) \
                 ON CONFLICT (kind, subject) DO UPDATE SET \
                 failures = failure_windows.failures + 1, \
                 blocked_until_ms = CASE WHEN failure_windows.failures + 1 = $3 THEN $4 ELSE failure_windows.blocked_until_ms END, \
                 expires_at_ms = CASE WHEN failure_windows.failures + 1 = $3 THEN $4 ELSE failure_windows.expires_at_ms END \
                 RETURNING failures",
            )
            .bind(key.kind.as_str())
            .bind(key.key)
            .bind(limit)
            .bind(window_end)
            .fetch_one(&mut *tx)
            .await?;
            blocked |= failures == limit;
        }
        tx.commit().await?;
        Ok(blocked)
    }

    async fn count_read(
        &self,
        user_id: &str,
        alert_after: u32,
        window_ms: i64,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM sheet_reads WHERE user_id = $1 AND expires_at_ms < $2")
            .bind(user_id)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        let reads: i64 = sqlx::query_scalar(
            "INSERT INTO sheet_reads (user_id, reads, expires_at_ms) VALUES ($1, 1, $2) \
             ON CONFLICT (user_id) DO UPDATE SET reads = sheet_reads.reads + 1 RETURNING reads",
        )
        .bind(user_id)
        .bind(now_ms.saturating_add(window_ms))
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(reads == i64::from(alert_after) + 1)
    }

    async fn sweep_security_counters(&self, now_ms: i64) -> Result<(), StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        for table in ["failure_windows", "sheet_reads"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE expires_at_ms < $1"))
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::security_counters::FailureKind;

    const MINUTE: i64 = 60_000;
    const RULE: FailureRule = FailureRule {
        limit: 3,
        window_ms: 15 * MINUTE,
    };
    const START: i64 = 1_700_000_000_000;

    fn address(text: &str) -> FailureKey<'_> {
        FailureKey {
            kind: FailureKind::Address,
            key: text,
        }
    }

    /// Rows left in a table (for the sweep).
    async fn rows(store: &SqlStore, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&store.pool)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn the_limit_th_failure_within_the_window_blocks_once_for_the_window() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open_for_tests(dir.path()).await;
        let ip = [address("192.0.2.1")];
        let count = |at| store.count_failure(&ip, RULE, at);
        assert!(!count(START).await.unwrap());
        assert!(!count(START + MINUTE).await.unwrap());
        assert_eq!(
            store.blocked_until(&ip, START + MINUTE).await.unwrap(),
            None
        );
        let third = START + 10 * MINUTE;
        assert!(count(third).await.unwrap(), "the third blocks");
        let until = third + 15 * MINUTE;
        assert_eq!(store.blocked_until(&ip, third).await.unwrap(), Some(until));
        // Later failures are counted without blocking again, and the block lasts its whole
        // window even when the window of the first failure is over.
        assert!(!count(third + MINUTE).await.unwrap());
        assert!(!count(START + 20 * MINUTE).await.unwrap());
        assert_eq!(
            store.blocked_until(&ip, until - 1).await.unwrap(),
            Some(until)
        );
        assert_eq!(store.blocked_until(&ip, until).await.unwrap(), None);
        assert_eq!(
            store
                .blocked_until(&[address("192.0.2.2")], third)
                .await
                .unwrap(),
            None
        );
        // After the block, counting starts afresh.
        let later = until + MINUTE;
        assert!(!count(later).await.unwrap());
        assert!(!count(later + 1).await.unwrap());
        assert!(count(later + 2).await.unwrap());
    }

    #[tokio::test]
    async fn failures_further_apart_than_the_window_never_block() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open_for_tests(dir.path()).await;
        let ip = [address("2001:db8::1")];
        for i in 0..6 {
            let at = START + i * 8 * MINUTE;
            assert!(!store.count_failure(&ip, RULE, at).await.unwrap(), "{i}");
        }
    }

    #[tokio::test]
    async fn one_failure_counts_against_every_key_and_blocks_when_any_reaches_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open_for_tests(dir.path()).await;
        let person = |user| FailureKey {
            kind: FailureKind::AccessKeyUser,
            key: user,
        };
        let terminal = FailureKey {
            kind: FailureKind::AccessKeyTerminal,
            key: "town-hall",
        };
        let a = [person("officer-a"), terminal];
        let b = [person("officer-b"), terminal];
        assert!(!store.count_failure(&a, RULE, START).await.unwrap());
        assert!(!store.count_failure(&b, RULE, START + 1).await.unwrap());
        // The terminal's third failure, officer-b's second.
        assert!(store.count_failure(&b, RULE, START + 2).await.unwrap());
        let until = START + 2 + RULE.window_ms;
        assert_eq!(
            store.blocked_until(&a, START + 3).await.unwrap(),
            Some(until)
        );
        assert_eq!(
            store
                .blocked_until(&[person("officer-a")], START + 3)
                .await
                .unwrap(),
            None,
            "the kinds are counted apart"
        );
        // The same text as an address is another subject.
        assert_eq!(
            store
                .blocked_until(&[address("town-hall")], START + 3)
                .await
                .unwrap(),
            None
        );
    }

    #[tokio::test]
    async fn reads_alert_once_per_window_from_the_first_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open_for_tests(dir.path()).await;
        let hour = 60 * MINUTE;
        let mut alerts = Vec::new();
        for i in 0..8 {
            alerts.push(
                store
                    .count_read("dr-sato", 5, hour, START + i)
                    .await
                    .unwrap(),
            );
        }
        assert_eq!(
            alerts,
            [false, false, false, false, false, true, false, false]
        );
        assert!(!store.count_read("dr-suzuki", 5, hour, START).await.unwrap());
        // Within the hour, no second alert; after it, the count starts afresh.
        for i in 0..6 {
            let at = START + hour - 6 + i;
            assert!(!store.count_read("dr-sato", 5, hour, at).await.unwrap());
        }
        let mut next = Vec::new();
        for i in 0..6 {
            let at = START + hour + 1 + i;
            next.push(store.count_read("dr-sato", 5, hour, at).await.unwrap());
        }
        assert_eq!(next, [false, false, false, false, false, true]);
    }

    #[tokio::test]
    async fn the_sweep_deletes_only_what_no_longer_matters() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open_for_tests(dir.path()).await;
        let blocked = [address("192.0.2.1")];
        let counted = [address("192.0.2.2")];
        // Blocked by the third failure, 14 minutes after the first: until minute 29.
        for minute in [0, 10, 14] {
            store
                .count_failure(&blocked, RULE, START + minute * MINUTE)
                .await
                .unwrap();
        }
        store
            .count_failure(&counted, RULE, START + 5 * MINUTE)
            .await
            .unwrap();
        store
            .count_read("dr-sato", 5, 60 * MINUTE, START)
            .await
            .unwrap();
        let sweep = |minute| store.sweep_security_counters(START + minute * MINUTE);
        sweep(17).await.unwrap();
        assert_eq!(
            rows(&store, "failure_windows").await,
            2,
            "both still matter"
        );
        sweep(21).await.unwrap();
        assert_eq!(
            rows(&store, "failure_windows").await,
            1,
            "the block remains"
        );
        assert_eq!(
            store
                .blocked_until(&blocked, START + 21 * MINUTE)
                .await
                .unwrap(),
            Some(START + 29 * MINUTE)
        );
        assert_eq!(rows(&store, "sheet_reads").await, 1);
        sweep(61).await.unwrap();
        assert_eq!(rows(&store, "failure_windows").await, 0);
        assert_eq!(rows(&store, "sheet_reads").await, 0);
    }
}
