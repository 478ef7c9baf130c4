//! 添付ファイル for the officer: an application's attachments (the paper sheet, the insurance
//! card's copy …) as they were received, from a Mynaportal download or an app. The bytes are
//! raw inputs, content-addressed and sealed; the application's list says which, so a file is
//! asked for by its place in that list. Every read is audited with the patient
//! (`application.attachment_read`). The answer is a download (`Content-Disposition:
//! attachment`, `nosniff`), never rendered in the gateway's own pages, since its content is
//! the applicant's.

use axum::body::Body;
use axum::extract::{Extension, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::extract::Path;
use super::{ApiError, AppState};
use crate::auth::Principal;

pub async fn read(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((receipt_number, index)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    attachment(&state, &principal, &receipt_number, &index).await
}

/// Attachment `index` (0-based, as listed in the application) of the officer's municipality's
/// application `receipt_number`, as a download; audited with the patient.
pub(crate) async fn attachment(
    state: &AppState,
    principal: &Principal,
    receipt_number: &str,
    index: &str,
) -> Result<Response, ApiError> {
    const ACTION: &str = "application.attachment_read";
    let found = super::applications::load(state, principal, receipt_number, ACTION).await?;
    let missing = || {
        ApiError::not_found(
            "attachment",
            "添付ファイル",
            &format!("{receipt_number}/{index}"),
        )
    };
    let described = index
        .parse::<usize>()
        .ok()
        .and_then(|i| found.application.attachments.get(i))
        .ok_or_else(missing)?;
    let (_, bytes) = state
        .store()
        .raw_input(&described.sha256)
        .await?
        .ok_or_else(missing)?;
    state
        .store()
        .append_audit(
            &principal
                .audit(ACTION, "ok")
                .on("application", &found.id)
                .with_patient(found.patient_ref.clone())
                .with_detail(format!("attachments[{index}]")),
        )
        .await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                served_media_type(&described.media_type).to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                content_disposition(&described.file_name),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        Body::from(bytes),
    )
        .into_response())
}

/// The media types an attachment is served as; anything else a download's may be (GIF, TIFF,
/// a type named by its extension) is served as bytes.
fn served_media_type(media_type: &str) -> &'static str {
    super::intake::attachments::MEDIA_TYPES
        .into_iter()
        .find(|m| *m == media_type)
        .unwrap_or("application/octet-stream")
}

/// `attachment` with the file name as given (RFC 6266 `filename*`, UTF-8) and an ASCII
/// stand-in for old clients: a Japanese name survives the trip to the officer's disk.
fn content_disposition(file_name: &str) -> String {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        utf8_percent_encode(file_name, NON_ALPHANUMERIC)
    )
}

#[cfg(test)]
mod tests {
    use super::content_disposition;

    #[test]
    fn a_japanese_file_name_is_kept_beside_an_ascii_stand_in() {
        assert_eq!(
            content_disposition("保険証 1.png"),
            "attachment; filename=\"____1.png\"; filename*=UTF-8''%E4%BF%9D%E9%99%BA%E8%A8%BC%201%2Epng"
        );
        assert_eq!(
            content_disposition("a\"b.pdf"),
            "attachment; filename=\"a_b.pdf\"; filename*=UTF-8''a%22b%2Epdf"
        );
    }
}
