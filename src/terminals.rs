//! Permitting terminals (端末): the name in a client certificate allowed to reach the gateway
//! for one organisation. The CLI (`kakehashi terminals add`) and the administrators' console
//! both permit through [`permit`].

use crate::store::{AuditEvent, Store, StoreError};

/// Why a terminal could not be permitted.
#[derive(Debug, thiserror::Error)]
pub enum PermitError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no organisation {0}; add it first")]
    UnknownOrganisation(String),
}

/// Permits terminal `name` for `organisation_id` (or moves it there, re-enabling it); audited
/// as `by`.
pub async fn permit(
    store: &dyn Store,
    name: &str,
    organisation_id: &str,
    by: &AuditEvent,
) -> Result<(), PermitError> {
    if store.organisation(organisation_id).await?.is_none() {
        return Err(PermitError::UnknownOrganisation(organisation_id.to_owned()));
    }
    store.upsert_terminal(name, organisation_id).await?;
    store
        .append_audit(
            &by.clone()
                .on("terminal", name)
                .with_detail(organisation_id.to_owned()),
        )
        .await?;
    Ok(())
}
