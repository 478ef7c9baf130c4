//! Durable storage. The gateway talks to a [`Store`]; [`SqlStore`] implements it on SQLite (the
//! embedded default, one file under the data directory) and on PostgreSQL (several gateways on
//! one database). The traits speak in whole steps, each one transaction and each idempotent, so
//! that a crash between any two steps, or of one instance among several, resumes without loss
//! or duplicates:
//!
//! 1. [`Submissions::journal`] — the raw input, content-addressed by SHA-256, and its
//!    submission row, before anything is acknowledged;
//! 2. [`Submissions::complete`] — the sheets and findings (or the rejection) and the audit
//!    record, together, only while the submission is still `received`;
//!    A scanned sheet's [`Reviews`] (values a person must check) are written with it;
//! 3. [`Deliveries`] — a sheet's delivery to the national DB, enqueued in the transaction that
//!    made it due (consent on a confirmed sheet), and its outcome with the receipt;
//! 4. [`AccessKeys`] — the key confirmation issues (in the confirmation's transaction) and the
//!    municipality's lookup that binds the sheet to it.
//! 5. [`Applications`] — subsidy applications from Mynaportal downloads, one per 受付番号 and
//!    municipality, a whole download in one transaction; [`Apps`] — app vendors' credentials,
//!    the municipalities' allow-lists of apps, and an app's application into the same inbox,
//!    once per idempotency key.
//! 6. [`Certifications`] — the municipality's decisions on applications, a whole decision file
//!    in one transaction with the applications' statuses and the research consent.
//! 7. [`Renewals`] — a renewal's draft (前回値踏襲) stored with its source in one transaction,
//!    and the patient's consent that another hospital may renew from a sheet.
//! 8. [`ConsoleSessions`] — the web console's browser sessions (only a hash of their id).
//! 9. [`SecurityCounters`] — the intrusion counters (address and access-key blocks, bulk
//!    reads), shared so that they hold across instances and restarts.
//!
//! Personal data (raw inputs, sheets, findings, rejection messages, doctors' profiles, TOTP
//! secrets, applications) is sealed with the data key before it reaches the database ([`sealing`]); the
//! audit trail ([`audit`]) is chained by hash.

mod access_keys;
pub mod applications;
mod apps;
pub mod audit;
pub mod certifications;
mod console_sessions;
mod deliveries;
pub mod directory;
mod renewals;
mod reviews;
mod sealing;
mod security_counters;
mod sql;
mod submissions;
pub mod test_database;
mod webhooks;

pub use access_keys::{AccessKeyInfo, AccessKeys, NewAccessKey, Redemption};
pub use applications::{
    ApplicationListing, Applications, ImportOutcome, ImportResult, MYNAPORTAL_CHANNEL,
    NewApplication, StatusChange, StoredApplication,
};
pub use apps::{
    AppAcceptance, AppCredential, Apps, IntakeOutcome, NewIntake, intake_receipt_number,
};
pub use audit::{Anchor, AuditEvent, AuditQuery, AuditRecord, AuditTrail, ChainBreak, ChainReport};
pub use certifications::{
    CertificationEffect, CertificationOutcome, Certifications, NewCertification,
    StoredCertification,
};
pub use console_sessions::{ConsoleSession, ConsoleSessions};
pub use deliveries::{
    Consent, ConsentEffect, ConsentSource, Deliveries, Delivery, DeliveryCounts, DeliveryStatus,
    NATIONAL_DB, delivery_id,
};
pub use directory::{
    Directory, DoctorProfile, IssuedAccount, NewUser, Organisation, OrganisationKind, Role,
    Session, SessionScope, Terminal, User, UserListing,
};
pub use renewals::Renewals;
pub use reviews::{NewReview, ReviewDetail, ReviewStatus, ReviewTask, Reviews};
pub use sealing::Sealer;
pub use security_counters::{FailureKey, FailureKind, FailureRule, SecurityCounters};
pub use sql::copy::{CopyError, CopyReport, copy_store};
pub use sql::{DATABASE_FILE, SqlStore, StoreLocation, private_data_dir};
pub use submissions::{
    CheckedSheet, Completion, RawInput, Rejection, RejectionKind, SheetFilter, SheetListing,
    SheetQuery, SheetStatus, SheetSummary, StoredSheet, SubmissionRecord, SubmissionStatus,
    SubmissionSummary, Submissions,
};
pub use webhooks::{AppWebhook, WebhookSend, Webhooks};

/// A storage failure. Bad input never causes one; these mean the store itself is unwell.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("sealed data in {place}: {source}")]
    Sealed {
        place: String,
        source: kakehashi_vault::VaultError,
    },
    #[error("data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "data directory {path} is open to group or others (mode {mode:03o}): it holds personal data; run `chmod 700 {path}`"
    )]
    DataDirPermissions { path: String, mode: u32 },
    #[error(
        "the key file has no audit key: open the store through the gateway or the command line, which add one"
    )]
    NoAuditKey,
}

/// The current time as stored: RFC 3339, UTC, milliseconds.
pub fn timestamp_now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Everything the gateway stores.
pub trait Store:
    Submissions
    + Deliveries
    + Directory
    + AccessKeys
    + Applications
    + Apps
    + Webhooks
    + Certifications
    + Reviews
    + Renewals
    + ConsoleSessions
    + SecurityCounters
    + AuditTrail
    + 'static
{
}

impl<T> Store for T where
    T: Submissions
        + Deliveries
        + Directory
        + AccessKeys
        + Applications
        + Apps
        + Webhooks
        + Certifications
        + Reviews
        + Renewals
        + ConsoleSessions
        + SecurityCounters
        + AuditTrail
        + 'static
{
}
