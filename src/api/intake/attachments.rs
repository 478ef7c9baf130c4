//! An app's attachments (添付ファイル): PDF, JPEG or PNG, at most [`MAX_ATTACHMENTS`] of at
//! most 10 MB each as Mynaportal allows, sent base64-encoded in the application's JSON.
//!
//! Each is checked before anything is stored — standard base64, the size, and its first bytes
//! against the media type declared, so a PNG named `.pdf` or a program dressed as a PDF is
//! refused — and a refusal names the attachment by its index and file name. The bytes are
//! stored as raw inputs, content-addressed and sealed, as a Mynaportal download's are; the
//! application describes them ([`Attachment`]).
//!
//! The paper 臨個票 / 意見書 (`paper_sheet`) goes to the municipality's scan path as an officer's
//! upload does: a submission of the municipality, journaled before it is read, whose doubtful
//! values wait in the review queue. A paper sheet is a scanned PDF, or one page as a JPEG or PNG
//! (a photograph or an image scan): an application's image pages, in the order attached, are
//! one paper, wrapped into the image PDF the scan reads (`pdf_of_page_images`), since the
//! 臨個票 has two pages and a paper is read as one document. It runs within the request, before the application is stored, so that what it made of the
//! paper — the sheet to link, or a finding when it is no sheet — is stored with the
//! application and told in the receipt. A crash in between loses nothing: the scan is
//! journaled (and resumed at start-up), the application is not stored yet, and the app, which
//! got no receipt, sends again; the same bytes are then the same submission.

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use kakehashi_adapter_scan::Limits;
use kakehashi_sdk::{Attachment, AttachmentRole, Finding, SourceLocation};
use serde::{Deserialize, Serialize};

use super::super::{ApiError, AppState, submissions};
use crate::auth::AppPrincipal;
use crate::pipeline::{Submission, content_hash};
use crate::store::{AuditEvent, RawInput, Store, StoreError, StoredApplication};

/// Most attachments one application carries.
pub const MAX_ATTACHMENTS: usize = 10;

/// Most bytes one attachment has once decoded: Mynaportal's 10 MB, read as 10 MiB so that
/// nothing Mynaportal takes is refused here. Base64 makes it 13.4 MiB of the request, which
/// the gateway's `max_body_bytes` (32 MiB by default) must allow.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

/// The media types an attachment may have.
pub(crate) const MEDIA_TYPES: [&str; 3] = ["application/pdf", "image/jpeg", "image/png"];

/// The media type of a paper sheet scanned as a whole; any other is one page's image.
const PDF: &str = "application/pdf";

/// A file attached to an application, its bytes in the request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeAttachment {
    /// ファイル名 as the applicant gave it (no folders, no control characters).
    #[schemars(length(min = 1, max = 255))]
    pub file_name: String,
    /// What the file is; its first bytes must say the same.
    #[schemars(extend("enum" = MEDIA_TYPES))]
    pub media_type: String,
    /// 書類名 (臨床調査個人票, 医療意見書, 保険証の写し …), when the app knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_type: Option<String>,
    /// `paper_sheet`: the paper 臨床調査個人票 / 医療意見書, read by the municipality's scan
    /// path — a PDF of the whole paper, or one page as JPEG or PNG (the pages in order);
    /// `other`: anything else (保険証の写し, 住民票 …).
    pub role: AttachmentRole,
    /// The bytes in standard base64 (RFC 4648 §4, padded, no line breaks); at most 10 MiB
    /// decoded.
    #[schemars(extend("contentEncoding" = "base64"))]
    pub content: String,
}

/// An attachment checked and decoded: what describes it, and its bytes.
#[derive(Debug, Clone)]
pub struct Received {
    pub described: Attachment,
    pub bytes: bytes::Bytes,
}

impl Received {
    /// The bytes to store, content-addressed.
    pub fn raw_input(&self) -> RawInput<'_> {
        RawInput {
            sha256: &self.described.sha256,
            content_type: Some(&self.described.media_type),
            body: &self.bytes,
        }
    }
}

/// Where attachment `index`'s `member` is in the request.
fn at(index: usize, member: &str) -> Option<SourceLocation> {
    Some(SourceLocation {
        element: Some(format!("/attachments/{index}/{member}")),
        ..SourceLocation::default()
    })
}

/// A refusal of attachment `index` (`file_name`), located at its `member`; boxed: the error is
/// large.
fn refusal(
    status: StatusCode,
    code: &str,
    (index, file_name, member): (usize, &str, &str),
    message: &str,
    message_ja: &str,
) -> Box<ApiError> {
    let mut error = ApiError::new(
        status,
        code,
        format!("attachments[{index}] (`{file_name}`): {message}"),
        format!("添付ファイル attachments[{index}]（{file_name}）: {message_ja}"),
    );
    error.location = at(index, member);
    Box::new(error)
}

/// Whether a file name is one to keep: a name, not a path, without control characters.
fn plain_file_name(name: &str) -> bool {
    !name.trim().is_empty()
        && name.chars().count() <= 255
        && !name
            .chars()
            .any(|c| c.is_control() || c == '/' || c == '\\')
}

/// Checks and decodes the attachments, in order; the first that cannot be taken refuses the
/// application.
pub fn read(attachments: Vec<IntakeAttachment>) -> Result<Vec<Received>, Box<ApiError>> {
    if attachments.len() > MAX_ATTACHMENTS {
        let mut error = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "intake.too_many_attachments",
            format!(
                "{} attachments: an application carries at most {MAX_ATTACHMENTS}",
                attachments.len()
            ),
            format!(
                "添付ファイルが {} 件あります。1 件の申請に添付できるのは {MAX_ATTACHMENTS} 件までです",
                attachments.len()
            ),
        );
        error.location = Some(SourceLocation {
            element: Some("/attachments".into()),
            ..SourceLocation::default()
        });
        return Err(Box::new(error));
    }
    attachments
        .into_iter()
        .enumerate()
        .map(|(index, attachment)| read_one(index, attachment))
        .collect()
}

fn read_one(index: usize, attachment: IntakeAttachment) -> Result<Received, Box<ApiError>> {
    let IntakeAttachment {
        file_name,
        media_type,
        document_type,
        role,
        content,
    } = attachment;
    let invalid = StatusCode::UNPROCESSABLE_ENTITY;
    let this = |member| (index, file_name.as_str(), member);
    if !plain_file_name(&file_name) {
        return Err(refusal(
            invalid,
            "intake.attachment_file_name",
            (index, &file_name.escape_debug().to_string(), "file_name"),
            "the file name must be 1 to 255 characters, without folders or control characters",
            "ファイル名は 1～255 文字で、フォルダーや制御文字を含めないでください",
        ));
    }
    let Some(media_type) = MEDIA_TYPES.into_iter().find(|m| *m == media_type) else {
        return Err(refusal(
            invalid,
            "intake.attachment_media_type",
            this("media_type"),
            &format!("`{media_type}` is not taken: attach PDF, JPEG or PNG"),
            &format!("`{media_type}` は添付できません。PDF・JPEG・PNG を添付してください"),
        ));
    };
    let bytes = STANDARD.decode(content.as_bytes()).map_err(|e| {
        refusal(
            invalid,
            "intake.attachment_encoding",
            this("content"),
            &format!("the content is not standard base64 ({e})"),
            "content が標準の Base64 (RFC 4648) ではありません",
        )
    })?;
    drop(content);
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            "intake.attachment_too_large",
            this("content"),
            &format!(
                "{} bytes: an attachment may have at most {MAX_ATTACHMENT_BYTES} bytes (10 MB)",
                bytes.len()
            ),
            &format!(
                "{} バイトあります。添付ファイルは 1 件 {MAX_ATTACHMENT_BYTES} バイト (10 MB) までです",
                bytes.len()
            ),
        ));
    }
    let sniffed = Attachment::sniffed_media_type(&bytes);
    if sniffed != Some(media_type) {
        let (says, says_ja) = match sniffed {
            Some(other) => (
                format!("its bytes are {other}"),
                format!("中身は {other} です"),
            ),
            None => (
                "its bytes are no PDF, JPEG or PNG".to_owned(),
                "中身は PDF・JPEG・PNG のいずれでもありません".to_owned(),
            ),
        };
        return Err(refusal(
            invalid,
            "intake.attachment_disguised",
            this("content"),
            &format!("declared {media_type}, but {says}"),
            &format!("{media_type} とされていますが、{says_ja}"),
        ));
    }
    Ok(Received {
        described: Attachment {
            media_type: media_type.to_owned(),
            size: bytes.len() as u64,
            sha256: content_hash(&bytes),
            file_name,
            document_type,
            role,
        },
        bytes: bytes.into(),
    })
}

/// What the scan path made of an application's paper sheets.
#[derive(Debug, Clone, Default)]
pub struct ScannedPapers {
    /// The first sheet read from them: the application's sheet unless its access key found one.
    pub sheet_id: Option<String>,
    /// One for each paper the scan could not read as a sheet, for the officer and the app.
    pub findings: Vec<Finding>,
}

/// One paper to scan: a PDF attached as it is, or an application's page images made one PDF.
struct Paper {
    /// The attachment a finding about the paper names: the PDF, or the first page.
    index: usize,
    /// Its file name, or the pages' names in order.
    file_names: String,
    /// The PDF to scan, or why the pages could not be made one.
    pdf: Result<bytes::Bytes, kakehashi_sdk::AdapterError>,
}

/// An application's papers: each paper sheet attached as a PDF, and its paper sheets attached
/// as images — one page a file, in the order attached — as one PDF, made off the async
/// workers (a PNG is decoded).
async fn papers(attachments: &[Received]) -> Result<Vec<Paper>, ApiError> {
    let (pdfs, pages): (Vec<_>, Vec<_>) = attachments
        .iter()
        .enumerate()
        .filter(|(_, a)| a.described.role == AttachmentRole::PaperSheet)
        .partition(|(_, a)| a.described.media_type == PDF);
    let mut papers: Vec<Paper> = pdfs
        .into_iter()
        .map(|(index, a)| Paper {
            index,
            file_names: a.described.file_name.clone(),
            pdf: Ok(a.bytes.clone()),
        })
        .collect();
    if let Some(&(index, _)) = pages.first() {
        let file_names = pages
            .iter()
            .map(|(_, a)| a.described.file_name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let images: Vec<bytes::Bytes> = pages.iter().map(|(_, a)| a.bytes.clone()).collect();
        let pdf = tokio::task::spawn_blocking(move || {
            let images: Vec<&[u8]> = images.iter().map(|b| b.as_ref()).collect();
            kakehashi_adapter_scan::pdf_of_page_images(&images, &Limits::default())
        })
        .await
        .map_err(|e| ApiError::internal(&format!("wrapping page images: {e}")))?;
        papers.push(Paper {
            index,
            file_names,
            pdf: pdf.map(bytes::Bytes::from),
        });
    }
    Ok(papers)
}

/// The warning for a paper the scan path could not read as a sheet, and why (`code`, messages).
fn unread(paper: &Paper, code: &str, message: &str, message_ja: &str) -> Finding {
    let (index, file_names) = (paper.index, &paper.file_names);
    Finding::warning(
        "intake.paper_sheet_unread",
        None,
        format!(
            "attachments[{index}] (`{file_names}`) was stored, but the scan path could not read it as a paper sheet ({code}: {message}); the municipality reviews the paper itself"
        ),
        format!(
            "添付ファイル attachments[{index}]（{file_names}）は保存しましたが、紙の臨床調査個人票・医療意見書として読み取れませんでした（{code}: {message_ja}）。自治体が書類を確認します"
        ),
    )
    .at(at(index, "content"))
}

/// Sends each paper through the municipality's scan path as a submission of the municipality
/// by the app (audited as the app's `submission.create`), as an officer's upload goes. The same
/// bytes again are the same submission, read once.
pub async fn scan_paper_sheets(
    state: &AppState,
    app: &AppPrincipal,
    municipality_id: &str,
    attachments: &[Received],
) -> Result<ScannedPapers, ApiError> {
    let mut scanned = ScannedPapers::default();
    for paper in papers(attachments).await? {
        let body = match &paper.pdf {
            Ok(pdf) => pdf.clone(),
            Err(e) => {
                let finding = unread(&paper, e.code, &e.message, &e.message_ja);
                scanned.findings.push(finding);
                continue;
            }
        };
        let (record, _) = state
            .pipeline
            .submit(Submission {
                body,
                content_type: Some(PDF.to_owned()),
                adapter: submissions::municipal_sheet_adapter(state),
                mapping: None,
                municipality_id: Some(municipality_id.to_owned()),
                owner_id: municipality_id.to_owned(),
                audit: app.audit("submission.create", "ok"),
                on_journaled: None,
            })
            .await?;
        if let Some(rejection) = &record.error {
            let finding = unread(
                &paper,
                &rejection.code,
                &rejection.message,
                &rejection.message_ja,
            );
            scanned.findings.push(finding);
        } else if scanned.sheet_id.is_none() {
            scanned.sheet_id = state
                .store()
                .submission_sheets(&record.id, 0..1)
                .await?
                .into_iter()
                .next()
                .map(|sheet| sheet.id);
        }
    }
    Ok(scanned)
}

/// Links a stored application that no access key linked to the sheet read from its paper,
/// with its audit record (`application.link`) as `by`; false when it was linked already.
pub async fn link_scanned_sheet(
    store: &dyn Store,
    by: &(dyn Fn(&str) -> AuditEvent + Sync),
    stored: &StoredApplication,
    sheet_id: &str,
) -> Result<bool, StoreError> {
    let audit = by("application.link")
        .on("application", &stored.id)
        .with_patient(stored.patient_ref.clone())
        .with_detail(format!("sheet {sheet_id}, scanned from its paper sheet"));
    store
        .link_application_sheet(&stored.id, sheet_id, &audit)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1A\n\0\0\0\rIHDR";

    fn attachment(
        name: &str,
        media_type: &str,
        role: AttachmentRole,
        bytes: &[u8],
    ) -> IntakeAttachment {
        IntakeAttachment {
            file_name: name.into(),
            media_type: media_type.into(),
            document_type: None,
            role,
            content: STANDARD.encode(bytes),
        }
    }

    fn code(result: Result<Vec<Received>, Box<ApiError>>) -> (u16, String, Option<String>) {
        let error = result.unwrap_err();
        (
            error.status,
            error.code,
            error.location.and_then(|l| l.element),
        )
    }

    #[test]
    fn attachments_are_decoded_and_described() {
        let read = read(vec![
            attachment(
                "rinkohyo.pdf",
                "application/pdf",
                AttachmentRole::PaperSheet,
                b"%PDF-1.7\n",
            ),
            attachment("保険証.png", "image/png", AttachmentRole::Other, PNG),
        ])
        .unwrap();
        assert_eq!(read[0].bytes.as_ref(), b"%PDF-1.7\n");
        assert_eq!(read[0].described.sha256, content_hash(b"%PDF-1.7\n"));
        assert_eq!(read[1].described.size, PNG.len() as u64);
        assert_eq!(read[1].described.file_name, "保険証.png");
        assert_eq!(read[1].raw_input().content_type, Some("image/png"));
    }

    #[test]
    fn each_refusal_names_its_attachment_and_says_why() {
        use AttachmentRole::{Other, PaperSheet};
        let pdf = b"%PDF-1.7\n".as_slice();
        let cases = [
            (
                vec![attachment("a.pdf", "application/pdf", Other, pdf); MAX_ATTACHMENTS + 1],
                (422, "intake.too_many_attachments", Some("/attachments")),
            ),
            (
                vec![attachment("../a.pdf", "application/pdf", Other, pdf)],
                (
                    422,
                    "intake.attachment_file_name",
                    Some("/attachments/0/file_name"),
                ),
            ),
            (
                vec![attachment("a.gif", "image/gif", Other, b"GIF89a")],
                (
                    422,
                    "intake.attachment_media_type",
                    Some("/attachments/0/media_type"),
                ),
            ),
            (
                vec![IntakeAttachment {
                    content: "not base64!".into(),
                    ..attachment("a.pdf", "application/pdf", Other, pdf)
                }],
                (
                    422,
                    "intake.attachment_encoding",
                    Some("/attachments/0/content"),
                ),
            ),
            (
                vec![
                    attachment("a.pdf", "application/pdf", Other, pdf),
                    attachment("scan.pdf", "application/pdf", PaperSheet, PNG),
                ],
                (
                    422,
                    "intake.attachment_disguised",
                    Some("/attachments/1/content"),
                ),
            ),
            (
                vec![attachment(
                    "setup.pdf",
                    "application/pdf",
                    Other,
                    b"MZ\x90\0",
                )],
                (
                    422,
                    "intake.attachment_disguised",
                    Some("/attachments/0/content"),
                ),
            ),
        ];
        for (attachments, (status, expected, element)) in cases {
            assert_eq!(
                code(read(attachments)),
                (status, expected.to_owned(), element.map(str::to_owned))
            );
        }
        let mut big = b"%PDF-".to_vec();
        big.resize(MAX_ATTACHMENT_BYTES + 1, b' ');
        let error = read(vec![attachment("big.pdf", "application/pdf", Other, &big)]).unwrap_err();
        assert_eq!(
            (error.status, error.code.as_str()),
            (413, "intake.attachment_too_large")
        );
        assert!(
            error.message.contains("attachments[0] (`big.pdf`)"),
            "{}",
            error.message
        );
        assert!(error.message_ja.contains("big.pdf"), "{}", error.message_ja);
        big.truncate(MAX_ATTACHMENT_BYTES);
        assert!(read(vec![attachment("big.pdf", "application/pdf", Other, &big)]).is_ok());
    }
}
