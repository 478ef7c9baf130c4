//! Cross-site request forgery (CSRF): every form carries a token in a hidden field named
//! [`FIELD`] ([`super::form_csrf`]), and every state-changing request under `/console/` without
//! the right one is refused 403 here — one layer, not a check per handler. Within a session
//! the token is the session's secret; before it (the login form) it must equal the value of a
//! cookie of its own (double submit). The session cookie is `SameSite=Strict` as well.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use super::i18n::{Lang, t};
use super::layout;
use super::session::{LOGIN_CSRF_COOKIE, Live, cookie};
use crate::api::AppState;
use crate::auth::Caller;

/// The name of the token's form field; forms put it first, so a multipart upload carries it in
/// its first part.
pub const FIELD: &str = "csrf";

/// Whether two secrets are equal, in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

/// The token of a URL-encoded form body.
fn urlencoded_token(body: &[u8]) -> Option<String> {
    form_urlencoded_pairs(body)
        .find(|(key, _)| key == FIELD)
        .map(|(_, value)| value)
}

fn form_urlencoded_pairs(body: &[u8]) -> impl Iterator<Item = (String, String)> + '_ {
    body.split(|b| *b == b'&').filter_map(|pair| {
        let text = std::str::from_utf8(pair).ok()?;
        let (key, value) = text.split_once('=').unwrap_or((text, ""));
        Some((decode(key)?, decode(value)?))
    })
}

fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// The token of a multipart body: the value of its first part, which must be named [`FIELD`].
fn multipart_token(content_type: &str, body: &[u8]) -> Option<String> {
    let boundary = content_type
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("boundary="))
        .next()?
        .trim_matches('"');
    let opening = format!("--{boundary}\r\n");
    let rest = body.strip_prefix(opening.as_bytes())?;
    let head_end = rest.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&rest[..head_end]).ok()?;
    let named = format!("name=\"{FIELD}\"");
    if !head
        .lines()
        .any(|l| l.to_ascii_lowercase().starts_with("content-disposition:") && l.contains(&named))
    {
        return None;
    }
    let value = &rest[head_end + 4..];
    let closing = format!("\r\n--{boundary}");
    let end = value
        .windows(closing.len())
        .position(|w| w == closing.as_bytes())?;
    String::from_utf8(value[..end].to_vec()).ok()
}

/// The CSRF layer.
pub async fn verify(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let lang = request
        .extensions()
        .get::<Lang>()
        .copied()
        .unwrap_or_default();
    let expected = match request.extensions().get::<Live>() {
        Some(live) => Some(live.csrf.clone()),
        None => cookie(request.headers(), LOGIN_CSRF_COOKIE).map(str::to_owned),
    };
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, state.max_body_bytes).await else {
        return layout::error_page(
            lang,
            StatusCode::PAYLOAD_TOO_LARGE,
            "submission.too_large",
            t(lang, "error.too_large"),
        );
    };
    let presented = if content_type.starts_with("multipart/form-data") {
        multipart_token(&content_type, &bytes)
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        urlencoded_token(&bytes)
    } else {
        None
    };
    let valid = matches!((&expected, &presented), (Some(e), Some(p)) if same(e, p));
    if !valid {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            let actor = parts
                .extensions
                .get::<Live>()
                .map_or("unknown", |l| l.principal.user_id.as_str());
            let event = caller
                .audit(actor, "console.csrf", "denied")
                .with_detail(format!("{} {}", parts.method, parts.uri.path()));
            if let Err(e) = state.store().append_audit(&event).await {
                return layout::api_error_page(lang, &e.into());
            }
        }
        return layout::error_page(
            lang,
            StatusCode::FORBIDDEN,
            "csrf.invalid",
            t(lang, "error.csrf"),
        );
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_read_from_urlencoded_and_multipart_forms() {
        assert_eq!(
            urlencoded_token(b"user_id=a&csrf=ab%2Dc_d&x=1").as_deref(),
            Some("ab-c_d")
        );
        assert_eq!(urlencoded_token(b"user_id=a"), None);
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntoken123\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nx\r\n--XyZ--\r\n";
        assert_eq!(
            multipart_token("multipart/form-data; boundary=XyZ", body).as_deref(),
            Some("token123")
        );
        let file_first =
            b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\ncsrf\r\n--XyZ--\r\n";
        assert_eq!(
            multipart_token("multipart/form-data; boundary=XyZ", file_first),
            None
        );
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
