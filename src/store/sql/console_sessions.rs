//! Console sessions in SQLite.

use sqlx::Row;

use super::SqlStore;
use crate::store::StoreError;
use crate::store::console_sessions::{ConsoleSession, ConsoleSessions};
use crate::store::directory::SessionScope;

fn scope_text(scope: SessionScope) -> &'static str {
    match scope {
        SessionScope::Full => "full",
        SessionScope::PasswordChange => "password_change",
    }
}

#[async_trait::async_trait]
impl ConsoleSessions for SqlStore {
    async fn create_console_session(
        &self,
        session: &ConsoleSession,
        idle_before: &str,
    ) -> Result<(), StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM console_sessions WHERE last_seen_at < $1")
            .bind(idle_before)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO console_sessions (id_sha256, user_id, organisation_id, terminal, scope, csrf_secret, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&session.id_sha256)
        .bind(&session.user_id)
        .bind(&session.organisation_id)
        .bind(&session.terminal)
        .bind(scope_text(session.scope))
        .bind(&session.csrf_secret)
        .bind(&session.created_at)
        .bind(&session.last_seen_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn console_session(&self, id_sha256: &str) -> Result<Option<ConsoleSession>, StoreError> {
        let row = sqlx::query(
            "SELECT id_sha256, user_id, organisation_id, terminal, scope, csrf_secret, created_at, last_seen_at FROM console_sessions WHERE id_sha256 = $1",
        )
        .bind(id_sha256)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let scope: String = row.try_get("scope")?;
        Ok(Some(ConsoleSession {
            id_sha256: row.try_get("id_sha256")?,
            user_id: row.try_get("user_id")?,
            organisation_id: row.try_get("organisation_id")?,
            terminal: row.try_get("terminal")?,
            scope: if scope == "full" {
                SessionScope::Full
            } else {
                SessionScope::PasswordChange
            },
            csrf_secret: row.try_get("csrf_secret")?,
            created_at: row.try_get("created_at")?,
            last_seen_at: row.try_get("last_seen_at")?,
        }))
    }

    async fn touch_console_session(&self, id_sha256: &str, at: &str) -> Result<(), StoreError> {
        let _writer = self.write_lock().await;
        sqlx::query("UPDATE console_sessions SET last_seen_at = $1 WHERE id_sha256 = $2")
            .bind(at)
            .bind(id_sha256)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn end_console_session(&self, id_sha256: &str) -> Result<(), StoreError> {
        let _writer = self.write_lock().await;
        sqlx::query("DELETE FROM console_sessions WHERE id_sha256 = $1")
            .bind(id_sha256)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
