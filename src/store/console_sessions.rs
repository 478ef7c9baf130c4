//! Browser sessions of the web console (`/console/`): only a hash of the session id is kept;
//! each session is bound to the terminal and organisation it was opened from, and carries the
//! secret its forms present against cross-site request forgery (CSRF).

use super::{SessionScope, StoreError};

/// A console session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    pub id_sha256: String,
    pub user_id: String,
    pub organisation_id: String,
    /// The terminal (client certificate name) it was opened from; None only in plain-HTTP
    /// development mode.
    pub terminal: Option<String>,
    pub scope: SessionScope,
    pub csrf_secret: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// RFC 3339, UTC: the last request of the session.
    pub last_seen_at: String,
}

/// Storage of console sessions.
#[async_trait::async_trait]
pub trait ConsoleSessions: Send + Sync {
    /// Stores a new session, sweeping sessions idle since before `idle_before`.
    async fn create_console_session(
        &self,
        session: &ConsoleSession,
        idle_before: &str,
    ) -> Result<(), StoreError>;
    /// The session whose id hashes to `id_sha256`.
    async fn console_session(&self, id_sha256: &str) -> Result<Option<ConsoleSession>, StoreError>;
    /// Records a request of the session at `at`.
    async fn touch_console_session(&self, id_sha256: &str, at: &str) -> Result<(), StoreError>;
    /// Ends the session (logout, timeout).
    async fn end_console_session(&self, id_sha256: &str) -> Result<(), StoreError>;
}
