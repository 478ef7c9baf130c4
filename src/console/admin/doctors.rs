//! The designated-doctor roster (指定医名簿): a CSV registered all or nothing through the API's
//! import ([`import_roster`]), its problems located by line, and the printable notice of the
//! batch with the initial passwords ([`notice_pdf`]).

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use crate::api::AppState;
use crate::api::doctors::{import_roster, notice_pdf};
use crate::console::hospital::upload::{file_field, read_upload, upload_form};
use crate::console::{Console, page, t};

const PATH: &str = "/console/admin/doctors";

fn render(console: &Console, above: Markup) -> Markup {
    let lang = console.lang;
    let body = html! {
        (above)
        (upload_form(console, PATH, file_field(lang, "admin.doctors.file", "admin.doctors.file_hint", ".csv"), "admin.doctors.submit"))
    };
    page(console, t(lang, "admin.doctors.title"), body)
}

pub async fn form(console: Console) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    render(&console, html! {}).into_response()
}

pub async fn import(
    State(state): State<AppState>,
    console: Console,
    multipart: Multipart,
) -> Response {
    let lang = console.lang;
    let upload = match read_upload(&console, super::ROLES, multipart).await {
        Ok(upload) => upload,
        Err(refused) => return refused,
    };
    match import_roster(&state, &console.principal, &upload.file).await {
        Ok(Ok(view)) => {
            let above = html! {
                div class="notice success" role="status" {
                    p { (t(lang, "admin.doctors.created")) ": " (view.created.len()) " · "
                        (t(lang, "admin.doctors.existing")) ": " (view.existing.len()) }
                    p { a class="button" href={ (PATH) "/" (view.batch_id) "/notice.pdf" } download { (t(lang, "admin.doctors.notice")) } }
                }
            };
            render(&console, above).into_response()
        }
        Ok(Err(problems)) => {
            let above = html! {
                div class="notice error" role="alert" {
                    p { (t(lang, "admin.doctors.refused")) }
                    ul {
                        @for p in &problems {
                            li { (lang.pick(&p.message_ja, &p.message)) " " code { "(" (p.code) ")" } }
                        }
                    }
                }
            };
            (StatusCode::UNPROCESSABLE_ENTITY, render(&console, above)).into_response()
        }
        Err(error) => console.error(&error),
    }
}

pub async fn notice(
    State(state): State<AppState>,
    console: Console,
    Path(batch): Path<String>,
) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    notice_pdf(&state, &console.principal, &batch)
        .await
        .unwrap_or_else(|e| console.error(&e))
}
