//! The administrator's screens (管理者): accounts (add with a one-time password shown once,
//! reset, unlock), terminals, the designated-doctor roster with its notice, deliveries to the
//! national DB with their dead letters, and the audit trail with its chain check. Accounts and
//! terminals change through the functions the CLI uses ([`crate::accounts`],
//! [`crate::terminals`]); the rest through the API's ([`crate::api::deliveries`],
//! [`crate::api::doctors`], [`crate::api::audit`]). Every change is audited as the person.

mod audit;
mod deliveries;
mod doctors;
mod terminals;
mod users;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use super::NavItem;
use crate::api::AppState;
use crate::store::Role;

/// The administrator's navigation, after home.
pub const NAV: &[NavItem] = &[
    NavItem {
        href: "/console/admin/users",
        msg: "admin.nav.users",
    },
    NavItem {
        href: "/console/admin/terminals",
        msg: "admin.nav.terminals",
    },
    NavItem {
        href: "/console/admin/doctors",
        msg: "admin.nav.doctors",
    },
    NavItem {
        href: "/console/admin/deliveries",
        msg: "admin.nav.deliveries",
    },
    NavItem {
        href: "/console/admin/audit",
        msg: "admin.nav.audit",
    },
];

/// The role these screens are for.
const ROLES: &[Role] = &[Role::Administrator];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/admin/users", get(users::list).post(users::add))
        .route("/console/admin/users/{id}/reset", post(users::reset))
        .route("/console/admin/users/{id}/unlock", post(users::unlock))
        .route(
            "/console/admin/terminals",
            get(terminals::list).post(terminals::add),
        )
        // The CSRF layer has bounded the body by `max_body_bytes`; not axum's 2 MB as well.
        .route(
            "/console/admin/doctors",
            get(doctors::form)
                .post(doctors::import)
                .layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/console/admin/doctors/{batch}/notice.pdf",
            get(doctors::notice),
        )
        .route("/console/admin/deliveries", get(deliveries::list))
        .route(
            "/console/admin/deliveries/{id}/retry",
            post(deliveries::retry),
        )
        .route(
            "/console/admin/deliveries/{id}/discard",
            post(deliveries::discard),
        )
        .route("/console/admin/audit", get(audit::search))
        .route("/console/admin/audit/verify", post(audit::verify))
}
