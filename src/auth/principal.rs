//! Who is calling: the person (from the bearer token), the terminal (from the client
//! certificate) and the organisation both belong to, and the network address. Handlers get it
//! as a request extension and audit in its name.

use std::net::IpAddr;

use crate::store::{AuditEvent, Role};

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub role: Role,
    /// `hospital:<code>`, `municipality:<code>` or `operator:<code>`.
    pub organisation_id: String,
    /// The terminal's name from its certificate; None only in plain-HTTP development mode.
    pub terminal: Option<String>,
    pub source: Option<IpAddr>,
}

impl Principal {
    /// An audit event by this caller.
    pub fn audit(&self, action: &str, outcome: &str) -> AuditEvent {
        Caller {
            terminal: self.terminal.clone(),
            organisation_id: Some(self.organisation_id.clone()),
            source: self.source,
        }
        .audit(&self.user_id, action, outcome)
    }
}

/// An app's back end (アプリ): a caller that is no person. It presents a terminal certificate of
/// its app organisation and a machine credential of that same organisation; intake handlers get
/// it instead of a [`Principal`], so no person's endpoint ever serves an app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppPrincipal {
    /// `app:<code>`
    pub organisation_id: String,
    /// The credential presented (its id, never the token).
    pub credential_id: String,
    /// The terminal's name from its certificate; None only in plain-HTTP development mode.
    pub terminal: Option<String>,
    pub source: Option<IpAddr>,
}

impl AppPrincipal {
    /// An audit event by this app, named with its credential (`app:<code>/<credential id>`).
    pub fn audit(&self, action: &str, outcome: &str) -> AuditEvent {
        Caller {
            terminal: self.terminal.clone(),
            organisation_id: Some(self.organisation_id.clone()),
            source: self.source,
        }
        .audit(
            &format!("{}/{}", self.organisation_id, self.credential_id),
            action,
            outcome,
        )
    }
}

/// Who reached the gateway before (or without) logging in: the terminal and the address.
/// `/v1/healthz`, `/metrics` and the login itself need only this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub terminal: Option<String>,
    /// The terminal's organisation.
    pub organisation_id: Option<String>,
    pub source: Option<IpAddr>,
}

impl Caller {
    /// An audit event for a caller not (yet) known as a person.
    pub fn audit(&self, actor: &str, action: &str, outcome: &str) -> AuditEvent {
        AuditEvent {
            actor: actor.to_owned(),
            terminal: self.terminal.clone(),
            organisation: self.organisation_id.clone(),
            source: self.source.map(|a| a.to_string()),
            action: action.to_owned(),
            outcome: outcome.to_owned(),
            ..AuditEvent::default()
        }
    }
}
