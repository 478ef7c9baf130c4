//! Creating accounts: one at a time (the CLI, `POST /v1/doctors`) or a roster of designated
//! doctors at once. Every new account gets a one-time initial password that must be changed
//! at first login; administrators also get a TOTP secret. Registering the same doctor again
//! changes nothing (the roster can be uploaded twice safely).

use crate::auth::{password, totp};
use crate::doctors::DoctorEntry;
use crate::store::{
    AuditEvent, DoctorProfile, NewUser, Organisation, OrganisationKind, Role, Store, StoreError,
};

/// Why an account could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hash(#[from] password::HashError),
    #[error("organisation {0} is not registered")]
    UnknownOrganisation(String),
    #[error("no user {0}")]
    UnknownUser(String),
    #[error("a {role} belongs to a {expected} organisation, not {organisation}")]
    WrongOrganisationKind {
        role: &'static str,
        expected: &'static str,
        organisation: String,
    },
}

/// A new account's one-time secrets, shown once.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Issued {
    pub user_id: String,
    pub initial_password: String,
    /// For administrators: the TOTP secret and its `otpauth://` URI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub totp_secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub totp_uri: Option<String>,
    /// False when the id existed already (nothing was changed).
    pub created: bool,
}

/// What to create.
#[derive(Debug, Clone)]
pub struct AccountRequest {
    pub user_id: String,
    pub organisation_id: String,
    pub role: Role,
    pub display_name: String,
    pub profile: DoctorProfile,
    pub registration_batch: Option<String>,
}

/// Creates one account, auditing it as `by`.
pub async fn create_account(
    store: &dyn Store,
    request: AccountRequest,
    by: &AuditEvent,
) -> Result<Issued, AccountError> {
    let organisation = store
        .organisation(&request.organisation_id)
        .await?
        .ok_or_else(|| AccountError::UnknownOrganisation(request.organisation_id.clone()))?;
    let expected = request.role.organisation_kind();
    if organisation.kind != expected {
        return Err(AccountError::WrongOrganisationKind {
            role: request.role.as_str(),
            expected: expected.as_str(),
            organisation: organisation.id,
        });
    }
    let (initial, hash) = initial_password().await?;
    let totp_secret = request.role.needs_second_factor().then(totp::new_secret);
    let created = store
        .create_user(&NewUser {
            id: request.user_id.clone(),
            organisation_id: request.organisation_id.clone(),
            role: request.role,
            display_name: request.display_name,
            profile: request.profile,
            password_hash: hash,
            initial_password: Some(initial.clone()),
            totp_secret: totp_secret.clone(),
            registration_batch: request.registration_batch,
            created_by: by.actor.clone(),
        })
        .await?;
    let outcome = if created { "ok" } else { "duplicate" };
    store
        .append_audit(
            &by.clone()
                .outcome(outcome)
                .on("user", &request.user_id)
                .with_detail(request.role.as_str()),
        )
        .await?;
    Ok(Issued {
        totp_uri: totp_secret
            .as_deref()
            .and_then(|s| totp::provisioning_uri(s, &request.user_id)),
        user_id: request.user_id,
        initial_password: if created { initial } else { String::new() },
        totp_secret: if created { totp_secret } else { None },
        created,
    })
}

/// A fresh one-time password and its hash (hashed off the async threads).
async fn initial_password() -> Result<(String, String), password::HashError> {
    let initial = password::generate();
    let hash = {
        let initial = initial.clone();
        tokio::task::spawn_blocking(move || password::hash(&initial))
            .await
            .map_err(|e| password::HashError::from_join(&e))??
    };
    Ok((initial, hash))
}

/// Gives account `user_id` a new one-time initial password (shown once, to be changed at the
/// next login), unlocking it and ending its sessions; audited as `by`. Returns the password.
pub async fn reset_password(
    store: &dyn Store,
    user_id: &str,
    by: &AuditEvent,
) -> Result<String, AccountError> {
    let (initial, hash) = initial_password().await?;
    let found = store.reset_password(user_id, &hash, &initial).await?;
    store
        .append_audit(
            &by.clone()
                .outcome(if found { "ok" } else { "not_found" })
                .on("user", user_id),
        )
        .await?;
    if !found {
        return Err(AccountError::UnknownUser(user_id.to_owned()));
    }
    Ok(initial)
}

/// Lifts the lock after repeated failed logins from account `user_id`; audited as `by`.
pub async fn unlock(store: &dyn Store, user_id: &str, by: &AuditEvent) -> Result<(), AccountError> {
    let found = store.unlock_user(user_id).await?;
    store
        .append_audit(
            &by.clone()
                .outcome(if found { "ok" } else { "not_found" })
                .on("user", user_id),
        )
        .await?;
    if found {
        Ok(())
    } else {
        Err(AccountError::UnknownUser(user_id.to_owned()))
    }
}

/// The institution of a roster entry, registered if new.
async fn institution(store: &dyn Store, entry: &DoctorEntry) -> Result<String, StoreError> {
    let organisation = Organisation::new(
        OrganisationKind::Hospital,
        &entry.institution_code,
        entry
            .institution_name
            .as_deref()
            .unwrap_or(&format!("医療機関 {}", entry.institution_code)),
    );
    store.upsert_organisation(&organisation).await?;
    Ok(organisation.id)
}

/// Registers a roster's doctors under one batch id; returns each one's outcome.
pub async fn register_doctors(
    store: &dyn Store,
    entries: &[DoctorEntry],
    batch: &str,
    by: &AuditEvent,
) -> Result<Vec<Issued>, AccountError> {
    let mut issued = Vec::with_capacity(entries.len());
    for entry in entries {
        let organisation_id = institution(store, entry).await?;
        issued.push(
            create_account(
                store,
                AccountRequest {
                    user_id: entry.user_id(),
                    organisation_id,
                    role: Role::Doctor,
                    display_name: entry.name.clone(),
                    profile: DoctorProfile {
                        name_kana: Some(entry.name_kana.clone()),
                        medical_register_number: Some(entry.medical_register_number.clone()),
                        designated_doctor_number: Some(entry.designated_doctor_number.clone()),
                    },
                    registration_batch: Some(batch.to_owned()),
                },
                by,
            )
            .await?,
        );
    }
    Ok(issued)
}
