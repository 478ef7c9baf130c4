//! What every console response carries: a Content-Security-Policy without inline script (no
//! script at all), no framing, no caching (pages show personal data), no MIME sniffing, no
//! referrer; and the language of the page, from `?lang=` (remembered in a cookie) or that
//! cookie, Japanese by default.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use super::i18n::Lang;
use super::session::{cookie, set_cookie};

/// The language cookie.
const LANG_COOKIE: &str = "__Host-kakehashi-lang";

/// The policy: only this origin's stylesheet and images, forms only to this origin.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn asked_language(request: &Request) -> Option<Lang> {
    request
        .uri()
        .query()?
        .split('&')
        .find_map(|pair| pair.strip_prefix("lang="))
        .and_then(Lang::parse)
}

/// The language a request's page is in: `?lang=`, else the cookie, else Japanese.
pub fn language(request: &Request) -> Lang {
    asked_language(request)
        .or_else(|| cookie(request.headers(), LANG_COOKIE).and_then(Lang::parse))
        .unwrap_or_default()
}

/// The headers layer (outermost of the console's layers).
pub async fn secure(mut request: Request, next: Next) -> Response {
    let asked = asked_language(&request);
    let lang = language(&request);
    request.extensions_mut().insert(lang);
    let mut response = next.run(request).await;
    protect(response.headers_mut());
    if let Some(lang) = asked
        && let Ok(value) = HeaderValue::from_str(&set_cookie(LANG_COOKIE, lang.tag()))
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// Sets the headers every console response carries.
pub fn protect(headers: &mut HeaderMap) {
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
}
