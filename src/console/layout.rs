//! The frame of every page: `<html lang>`, the skip link, a header with the service name, the
//! person and their organisation, the language toggle and the logout, the navigation of the
//! person's role, and `<main id="main">` with the page's heading.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::i18n::{Lang, t};
use super::session::Console;
use super::{admin, csrf, hospital, municipal};
use crate::api::ApiError;
use crate::store::Role;

/// An entry of a role's navigation: where it goes and its catalogue key.
#[derive(Debug, Clone, Copy)]
pub struct NavItem {
    pub href: &'static str,
    pub msg: &'static str,
}

/// The home page of an area whose screens need no summary (the officer's, the administrator's):
/// a card for each screen of its navigation, under the catalogue key `title`.
pub fn nav_home(console: &Console, title: &str, nav: &[NavItem]) -> Response {
    let lang = console.lang;
    let body = html! {
        ul class="cards" {
            @for item in nav {
                li class="card" { a href=(item.href) { (t(lang, item.msg)) } }
            }
        }
    };
    page(console, t(lang, title), body).into_response()
}

/// The navigation of a role: home, then the role's area ([`hospital::NAV`],
/// [`municipal::NAV`], [`admin::NAV`]).
fn nav(role: Role) -> &'static [NavItem] {
    match role {
        Role::Doctor | Role::Clerk => hospital::NAV,
        Role::MunicipalOfficer => municipal::NAV,
        Role::Administrator => admin::NAV,
        Role::Integrator => &[],
    }
}

/// The catalogue key of a role's name.
pub fn role_key(role: Role) -> &'static str {
    match role {
        Role::Doctor => "role.doctor",
        Role::Clerk => "role.clerk",
        Role::MunicipalOfficer => "role.municipal_officer",
        Role::Administrator => "role.administrator",
        Role::Integrator => "role.integrator",
    }
}

/// The hidden field with the session's CSRF token; the first thing inside every `<form
/// method="post">` of the console (a multipart form must carry it as its first part).
pub fn form_csrf(console: &Console) -> Markup {
    hidden_token(&console.csrf)
}

pub(super) fn hidden_token(token: &str) -> Markup {
    html! { input type="hidden" name=(csrf::FIELD) value=(token); }
}

fn document(lang: Lang, title: &str, header: Markup, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — " (t(lang, "app.name")) }
                link rel="stylesheet" href="/console/assets/console.css";
            }
            body {
                a class="skip-link" href="#main" { (t(lang, "layout.skip")) }
                (header)
                main id="main" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

fn language_toggle(lang: Lang) -> Markup {
    let other = lang.other();
    html! {
        a href={ "?lang=" (other.tag()) } lang=(other.tag()) hreflang=(other.tag()) {
            (t(other, "layout.language_name"))
        }
    }
}

/// A page for a signed-in person.
pub fn page(console: &Console, title: &str, body: Markup) -> Markup {
    let lang = console.lang;
    let header = html! {
        header class="site" {
            a class="brand" href="/console/" { (t(lang, "app.name")) }
            span class="who" {
                (console.display_name) " (" (t(lang, role_key(console.principal.role))) ") · "
                (console.organisation_name)
            }
            (language_toggle(lang))
            form method="post" action="/console/logout" {
                (form_csrf(console))
                button class="secondary" type="submit" { (t(lang, "layout.logout")) }
            }
        }
        nav class="main" aria-label=(t(lang, "layout.nav")) {
            ul {
                @for item in std::iter::once(&HOME).chain(nav(console.principal.role)) {
                    li {
                        @if item.href == console.path {
                            a href=(item.href) aria-current="page" { (t(lang, item.msg)) }
                        } @else {
                            a href=(item.href) { (t(lang, item.msg)) }
                        }
                    }
                }
            }
        }
    };
    document(lang, title, header, body)
}

const HOME: NavItem = NavItem {
    href: "/console/",
    msg: "nav.home",
};

/// A page for someone not signed in (the login, error pages).
pub fn bare_page(lang: Lang, title: &str, body: Markup) -> Markup {
    let header = html! {
        header class="site" {
            a class="brand" href="/console/" { (t(lang, "app.name")) }
            (language_toggle(lang))
        }
    };
    document(lang, title, header, body)
}

/// An error page: the stable code and the message in the page's language.
pub fn error_page(lang: Lang, status: StatusCode, code: &str, message: &str) -> Response {
    located_error_page(lang, status, code, message, None)
}

fn located_error_page(
    lang: Lang,
    status: StatusCode,
    code: &str,
    message: &str,
    location: Option<String>,
) -> Response {
    let body = html! {
        div class="notice error" role="alert" {
            p { (message) }
            @if let Some(location) = location {
                p { (t(lang, "error.location")) ": " (location) }
            }
            p class="hint" { (t(lang, "error.code")) ": " code { (code) } }
        }
        p { a href="/console/" { (t(lang, "nav.home")) } }
    };
    (status, bare_page(lang, t(lang, "error.title"), body)).into_response()
}

/// The error page of an error the API's functions answered, with where in a document it is
/// and, when the error says when to come back (`busy`), its `Retry-After`.
pub fn api_error_page(lang: Lang, error: &ApiError) -> Response {
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut page = located_error_page(
        lang,
        status,
        &error.code,
        lang.pick(&error.message_ja, &error.message),
        error.location.as_ref().map(ToString::to_string),
    );
    if let Some(seconds) = error.retry_after_seconds {
        page.headers_mut()
            .insert(axum::http::header::RETRY_AFTER, seconds.into());
    }
    page
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::decode_budget::BudgetError;

    #[test]
    fn a_busy_error_page_says_when_to_come_back() {
        let busy = ApiError::from(BudgetError::Busy {
            retry_after: Duration::from_secs(5),
        });
        let page = api_error_page(Lang::Ja, &busy);
        assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(page.headers()[axum::http::header::RETRY_AFTER], "5");
        let other = ApiError::not_found("sheet", "シート", "x");
        assert!(
            !api_error_page(Lang::Ja, &other)
                .headers()
                .contains_key(axum::http::header::RETRY_AFTER)
        );
    }
}
