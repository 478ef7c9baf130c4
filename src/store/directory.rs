//! The directory: organisations, their permitted terminals, their people and login sessions.
//! Only what authentication and authorisation need lives here; the rules themselves are in
//! `crate::auth`.

use serde::{Deserialize, Serialize};

use super::StoreError;

/// What kind of organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationKind {
    /// 医療機関 (medical institution), by its 10-digit 医療機関コード.
    Hospital,
    /// 自治体 (prefecture or designated city), by its 6-digit 地方公共団体コード.
    Municipality,
    /// The operator of this gateway (administrators, integrators).
    Operator,
    /// アプリ事業者: an application vendor whose back end sends applications through the
    /// intake API, by a short name the administrator gives it. No people: its terminals
    /// authenticate with a machine credential ([`crate::store::AppCredential`]).
    App,
}

impl OrganisationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrganisationKind::Hospital => "hospital",
            OrganisationKind::Municipality => "municipality",
            OrganisationKind::Operator => "operator",
            OrganisationKind::App => "app",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "hospital" => Some(OrganisationKind::Hospital),
            "municipality" => Some(OrganisationKind::Municipality),
            "operator" => Some(OrganisationKind::Operator),
            "app" => Some(OrganisationKind::App),
            _ => None,
        }
    }
}

/// An organisation. Its id is `<kind>:<code>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Organisation {
    pub id: String,
    pub kind: OrganisationKind,
    pub code: String,
    pub name: String,
}

impl Organisation {
    pub fn new(kind: OrganisationKind, code: &str, name: &str) -> Self {
        Self {
            id: format!("{}:{code}", kind.as_str()),
            kind,
            code: code.to_owned(),
            name: name.to_owned(),
        }
    }
}

/// A permitted terminal: the name in its client certificate and its organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Terminal {
    pub name: String,
    pub organisation_id: String,
    pub disabled: bool,
}

/// What a person may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 指定医 (designated doctor): writes and confirms sheets of their institution.
    Doctor,
    /// 医療クラーク (medical clerk): drafts sheets; cannot confirm them.
    Clerk,
    /// 自治体職員 (municipal officer): reads what was submitted to the municipality; registers
    /// designated doctors.
    MunicipalOfficer,
    /// Gateway administrator: users, terminals, the audit trail. Needs a second factor.
    Administrator,
    /// Integrator: runs conversions without storing; sees no stored personal data.
    Integrator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Doctor => "doctor",
            Role::Clerk => "clerk",
            Role::MunicipalOfficer => "municipal_officer",
            Role::Administrator => "administrator",
            Role::Integrator => "integrator",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Role::Doctor,
            Role::Clerk,
            Role::MunicipalOfficer,
            Role::Administrator,
            Role::Integrator,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }

    /// The kind of organisation a person with this role belongs to.
    pub fn organisation_kind(self) -> OrganisationKind {
        match self {
            Role::Doctor | Role::Clerk => OrganisationKind::Hospital,
            Role::MunicipalOfficer => OrganisationKind::Municipality,
            Role::Administrator | Role::Integrator => OrganisationKind::Operator,
        }
    }

    /// Whether logging in needs a second factor (TOTP).
    pub fn needs_second_factor(self) -> bool {
        self == Role::Administrator
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::parse(s).ok_or_else(|| {
            format!(
                "unknown role `{s}` (doctor, clerk, municipal_officer, administrator, integrator)"
            )
        })
    }
}

/// A designated doctor's registration details (sealed at rest).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DoctorProfile {
    /// 氏名カナ
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_kana: Option<String>,
    /// 医籍登録番号 (medical register number)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medical_register_number: Option<String>,
    /// 指定医番号 (designated-doctor number)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub designated_doctor_number: Option<String>,
}

/// A person's account as stored. Secrets stay inside the store's sealed columns: the
/// password is only ever a hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub organisation_id: String,
    pub role: Role,
    pub display_name: String,
    pub profile: DoctorProfile,
    pub password_hash: String,
    pub must_change_password: bool,
    /// Base32 TOTP secret, for roles that need a second factor.
    pub totp_secret: Option<String>,
    pub failed_logins: u32,
    /// RFC 3339; logins are refused until then.
    pub locked_until: Option<String>,
}

/// An account as listed for administrators: no secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserListing {
    pub id: String,
    pub organisation_id: String,
    pub role: Role,
    pub display_name: String,
    /// The initial password has not been changed yet.
    pub must_change_password: bool,
    pub failed_logins: u32,
    /// RFC 3339; logins are refused until then.
    pub locked_until: Option<String>,
}

/// A new account.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: String,
    pub organisation_id: String,
    pub role: Role,
    pub display_name: String,
    pub profile: DoctorProfile,
    pub password_hash: String,
    /// Kept (sealed) until the first password change, for the issuance notice.
    pub initial_password: Option<String>,
    pub totp_secret: Option<String>,
    pub registration_batch: Option<String>,
    pub created_by: String,
}

/// What a login session allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionScope {
    /// Everything the user's role allows.
    Full,
    /// Only changing the one-time initial password.
    PasswordChange,
}

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: User,
    pub scope: SessionScope,
    pub expires_at: String,
}

/// An account listed on an issuance notice: who, and the initial password not yet changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedAccount {
    pub user_id: String,
    pub organisation_id: String,
    pub display_name: String,
    pub profile: DoctorProfile,
    pub initial_password: Option<String>,
}

/// Storage of the directory.
#[async_trait::async_trait]
pub trait Directory: Send + Sync {
    /// Creates the organisation, or does nothing when its id exists.
    async fn upsert_organisation(&self, organisation: &Organisation) -> Result<(), StoreError>;
    async fn organisation(&self, id: &str) -> Result<Option<Organisation>, StoreError>;

    /// Registers a terminal (or moves it to another organisation).
    async fn upsert_terminal(&self, name: &str, organisation_id: &str) -> Result<(), StoreError>;
    async fn terminal(&self, name: &str) -> Result<Option<Terminal>, StoreError>;
    /// Permitted terminals by name, `limit` from `offset`.
    async fn terminals(&self, offset: u32, limit: u32) -> Result<Vec<Terminal>, StoreError>;

    /// Creates a user; false when the id is taken.
    async fn create_user(&self, user: &NewUser) -> Result<bool, StoreError>;
    async fn user(&self, id: &str) -> Result<Option<User>, StoreError>;
    /// Accounts by id (only `organisation_id`'s when given), `limit` from `offset`.
    async fn users(
        &self,
        organisation_id: Option<&str>,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<UserListing>, StoreError>;
    /// Replaces the password with a new one-time initial password (kept sealed for the
    /// notice), which must be changed at the next login; unlocks the account and ends its
    /// sessions. False when there is no such user.
    async fn reset_password(
        &self,
        id: &str,
        password_hash: &str,
        initial_password: &str,
    ) -> Result<bool, StoreError>;
    /// Clears the failed logins and the lock. False when there is no such user.
    async fn unlock_user(&self, id: &str) -> Result<bool, StoreError>;
    /// Records a failed login; locks the account until `lock_until` when the count reaches
    /// `lock_after`. Returns the new count.
    async fn record_failed_login(
        &self,
        id: &str,
        lock_after: u32,
        lock_until: &str,
    ) -> Result<u32, StoreError>;
    /// Takes the TOTP time step `step` for a login of the user: true when it is later than
    /// the step of their last accepted code (which it then becomes), false when a code of this
    /// step or a later one was already used — a code is good once.
    async fn claim_totp_step(&self, id: &str, step: u64) -> Result<bool, StoreError>;
    /// Clears the failure count after a successful login.
    async fn record_successful_login(&self, id: &str) -> Result<(), StoreError>;
    /// Replaces the password, clears the initial one and ends the user's other sessions.
    async fn set_password(&self, id: &str, password_hash: &str) -> Result<(), StoreError>;

    async fn create_session(
        &self,
        token_sha256: &str,
        user_id: &str,
        scope: SessionScope,
        expires_at: &str,
    ) -> Result<(), StoreError>;
    /// The session of a token, if it has not expired at `now`.
    async fn session(&self, token_sha256: &str, now: &str) -> Result<Option<Session>, StoreError>;
    async fn end_session(&self, token_sha256: &str) -> Result<(), StoreError>;

    /// Accounts created in one registration batch, by organisation then id.
    async fn issued_accounts(&self, batch: &str) -> Result<Vec<IssuedAccount>, StoreError>;
}
