//! Applications from apps (アプリからの申請, the intake API): the machine credentials of
//! application vendors (organisations of kind `app`), each municipality's allow-list of the
//! apps it accepts applications from, and an app's application with its attachments stored
//! into the same inbox as Mynaportal's, once per idempotency key of the app.

use serde::Serialize;

use super::{AuditEvent, NewApplication, RawInput, StoreError, StoredApplication};

/// An app's machine credential as stored: never the token, only its SHA-256 (in the store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppCredential {
    pub id: String,
    /// `app:<code>`
    pub organisation_id: String,
    pub created_by: String,
    pub created_at: String,
    /// Set when an administrator revoked it; a revoked credential authenticates nothing.
    pub revoked_at: Option<String>,
}

/// An app a municipality accepts applications from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct AppAcceptance {
    /// `app:<code>`
    pub app_id: String,
    /// The vendor's name as registered.
    pub app_name: String,
    /// Who put it on the list (user id, or `system:cli`).
    pub accepted_by: String,
    pub accepted_at: String,
}

/// An application an app sent, ready to store.
#[derive(Debug, Clone)]
pub struct NewIntake<'a> {
    /// `app:<code>`: the sender, which becomes the application's channel.
    pub app_id: &'a str,
    /// The app's own key for the application (`Idempotency-Key`).
    pub idempotency_key: &'a str,
    /// SHA-256 of the request as the gateway read it: a replay must say the same.
    pub request_sha256: &'a str,
    /// The body as received (journaled as a raw input, sealed).
    pub body: RawInput<'a>,
    /// The attachments' bytes, stored content-addressed and sealed like the body; the
    /// application's `attachments` describe them by SHA-256.
    pub attachments: &'a [RawInput<'a>],
    pub municipality_id: &'a str,
    /// The application; its receipt number is issued by the store.
    pub application: NewApplication,
}

/// What an intake came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntakeOutcome {
    /// Stored as a new application with a 受付番号 the gateway issued.
    Created {
        application_id: String,
        receipt_number: String,
    },
    /// The app sent this key with the same request before: the application then stored.
    Replayed {
        application_id: String,
        receipt_number: String,
    },
    /// The app sent this key with another request before; nothing stored.
    KeyReused,
}

/// 受付番号 of applications from apps: 15 digits like Mynaportal's, so that the back office's
/// files can name them, beginning `00`. Mynaportal's begin with the date of receipt (`YYMMDD`,
/// e.g. 241010…), and none is of the year 2000, so the two cannot meet (an assumption: the
/// numbering is not published; the unique key per municipality stops a collision anyway).
pub fn intake_receipt_number() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    format!("00{:013}", u64::from_le_bytes(bytes) % 10_000_000_000_000)
}

/// Storage of apps, their acceptance and their applications.
#[async_trait::async_trait]
pub trait Apps: Send + Sync {
    /// Stores a new credential of app `organisation_id` by the SHA-256 of its token, with
    /// `audit` (object: the credential), in one transaction.
    async fn create_app_credential(
        &self,
        id: &str,
        organisation_id: &str,
        token_sha256: &str,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;

    /// Revokes a credential, audited; false when there is no such unrevoked credential.
    async fn revoke_app_credential(&self, id: &str, audit: &AuditEvent)
    -> Result<bool, StoreError>;

    /// The unrevoked credential whose token has this SHA-256.
    async fn app_credential(&self, token_sha256: &str)
    -> Result<Option<AppCredential>, StoreError>;

    /// An app's credentials, revoked ones too, oldest first.
    async fn app_credentials(
        &self,
        organisation_id: &str,
    ) -> Result<Vec<AppCredential>, StoreError>;

    /// Puts app `app_id` on municipality `municipality_id`'s allow-list (`accepted`) or takes
    /// it off, with `audit`, in one transaction. False when the list already said so (the
    /// audit record is written all the same).
    async fn set_app_acceptance(
        &self,
        municipality_id: &str,
        app_id: &str,
        accepted: bool,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError>;

    /// The apps a municipality accepts, by id.
    async fn app_acceptances(
        &self,
        municipality_id: &str,
    ) -> Result<Vec<AppAcceptance>, StoreError>;

    /// Whether a municipality accepts applications from an app.
    async fn accepts_app(&self, municipality_id: &str, app_id: &str) -> Result<bool, StoreError>;

    /// Whether app `app_id` has used idempotency key `key` before (for whatever request): a
    /// new key's paper sheets are scanned before the application is stored, a used one's not.
    async fn intake_key_used(&self, app_id: &str, key: &str) -> Result<bool, StoreError>;

    /// Stores an app's application in one transaction: the body and the attachments as raw
    /// inputs, the application with channel `app_id` and a fresh 受付番号, the idempotency key with the
    /// request's SHA-256, and `audit` (object: the application, detail `created`). A key the
    /// app used before answers what it came to then (`Replayed`, or `KeyReused` for another
    /// request), storing nothing and auditing `audit` as `replayed` or `refused`.
    async fn intake_application(
        &self,
        intake: &NewIntake<'_>,
        audit: &AuditEvent,
    ) -> Result<IntakeOutcome, StoreError>;

    /// Application `application_id` when app `app_id` sent it; None for another's.
    async fn app_application(
        &self,
        app_id: &str,
        application_id: &str,
    ) -> Result<Option<StoredApplication>, StoreError>;
}
