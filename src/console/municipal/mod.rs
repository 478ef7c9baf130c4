//! The municipal officer's screens (自治体職員): the access-key lookup, a sheet's machine
//! judgment, the masked print and research consent, the OCR review queue, the applications
//! from Mynaportal, decision files and the exports for the back office. Each acts through the
//! API's own functions ([`crate::api::access_keys`], [`crate::api::judgment`],
//! [`crate::api::review`], [`crate::api::applications`], [`crate::api::certifications`],
//! [`crate::api::issuing`] …), so the access rules — another municipality's sheet is not
//! found — and the audit are the API's.

mod applications;
mod decisions;
mod exports;
mod lookup;
mod review;
mod sheet;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use super::NavItem;
use crate::api::AppState;
use crate::store::Role;

/// The officer's navigation, after home.
pub const NAV: &[NavItem] = &[
    NavItem {
        href: "/console/municipal/lookup",
        msg: "muni.nav.lookup",
    },
    NavItem {
        href: "/console/municipal/review",
        msg: "muni.nav.review",
    },
    NavItem {
        href: "/console/municipal/applications",
        msg: "muni.nav.applications",
    },
    NavItem {
        href: "/console/municipal/decisions",
        msg: "muni.nav.decisions",
    },
    NavItem {
        href: "/console/municipal/exports",
        msg: "muni.nav.exports",
    },
];

/// The role these screens are for.
const ROLES: &[Role] = &[Role::MunicipalOfficer];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/console/municipal/lookup",
            get(lookup::form).post(lookup::submit),
        )
        .route("/console/municipal/sheets/{id}", get(sheet::show))
        .route("/console/municipal/sheets/{id}/print", get(sheet::print))
        .route(
            "/console/municipal/sheets/{id}/registration-card",
            get(sheet::registration_card),
        )
        .route(
            "/console/municipal/sheets/{id}/consent",
            post(sheet::consent),
        )
        .route("/console/municipal/review", get(review::show))
        .route("/console/municipal/review/{id}", post(review::resolve))
        .route("/console/municipal/review/{id}/image", get(review::image))
        .route("/console/municipal/applications", get(applications::list))
        // Uploads: the CSRF layer has read the body within the gateway's `max_body_bytes`;
        // axum's own 2 MB default for multipart forms would refuse a download below it.
        .route(
            "/console/municipal/applications/import",
            get(applications::import_form)
                .post(applications::import)
                .layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/console/municipal/applications/{receipt}",
            get(applications::show),
        )
        .route(
            "/console/municipal/applications/{receipt}/attachments/{index}",
            get(applications::attachment),
        )
        .route(
            "/console/municipal/applications/{receipt}/status",
            post(applications::set_status),
        )
        .route(
            "/console/municipal/decisions",
            get(decisions::form)
                .post(decisions::import)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/console/municipal/exports", get(exports::show))
        .route("/console/municipal/exports/issuing", get(exports::issuing))
        .route("/console/municipal/exports/pmh", get(exports::pmh))
}
