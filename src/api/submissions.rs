//! `POST /v1/submissions` and `GET /v1/submissions/{id}`.

use axum::body::Body;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use kakehashi_sdk::RecordKind;
use serde::{Deserialize, Serialize};

use super::extract::{Json, Path, Query};
use super::{ApiError, AppState};
use crate::auth::{Principal, access};
use crate::pipeline::Submission;
use crate::store::{
    OrganisationKind, Role, SheetSummary, Store, SubmissionRecord, SubmissionSummary,
};

/// `?adapter=csv&mapping=NAME&municipality=CODE`
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitParams {
    /// The sheet adapter (`GET /v1/adapters`); chosen from Content-Type and the first bytes
    /// when absent (municipal officers: the adapter municipalities send through, `scan`).
    #[schemars(length(min = 1))]
    pub adapter: Option<String>,
    /// The mapping in the adapter's folder of `mappings/` (a CSV column layout, a scan form
    /// template); detected by the adapter when absent.
    #[schemars(length(min = 1))]
    pub mapping: Option<String>,
    /// 地方公共団体コード of the municipality the sheets are for; its officers may read them.
    #[schemars(length(min = 1))]
    pub municipality: Option<String>,
}

/// `?offset=1000&limit=1000`: which of a submission's sheets to list.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SheetPage {
    /// Record index of the first sheet listed (0 when absent).
    pub offset: Option<u32>,
    /// Sheets listed, 1 to 1000 (1000 when absent).
    #[schemars(range(min = 1, max = 1000))]
    pub limit: Option<u32>,
}

/// The most sheets one answer lists: a long submission's are read a page at a time.
const SHEETS_PER_PAGE: u32 = 1000;

impl SheetPage {
    /// The record indexes asked for; None when the limit is out of range.
    fn records(&self) -> Option<std::ops::Range<u32>> {
        let limit = self.limit.unwrap_or(SHEETS_PER_PAGE);
        let offset = self.offset.unwrap_or(0);
        (1..=SHEETS_PER_PAGE)
            .contains(&limit)
            .then(|| offset..offset.saturating_add(limit))
    }
}

/// A submission with its sheets and their findings, a page of them at a time.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SubmissionView {
    #[serde(flatten)]
    pub submission: SubmissionRecord,
    /// True when these bytes had been submitted before and nothing new was created.
    pub duplicate: bool,
    /// Counts over all the submission's sheets, not only those listed.
    pub summary: SubmissionSummary,
    /// The sheets of the page asked for (the first 1000 when none was), in record order.
    pub sheets: Vec<SheetSummary>,
    /// Where the next page of sheets is, when there are more than this answer lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

impl SubmissionView {
    /// The submission with the sheets of `page`, and the counts over all of them.
    async fn load(
        store: &dyn Store,
        submission: SubmissionRecord,
        duplicate: bool,
        page: &SheetPage,
    ) -> Result<Self, ApiError> {
        let records = page.records().ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "submission.bad_page",
                format!("limit must be 1 to {SHEETS_PER_PAGE}"),
                format!("limit は 1 から {SHEETS_PER_PAGE} で指定してください"),
            )
        })?;
        let summary = store.submission_summary(&submission.id).await?;
        let sheets = store
            .submission_sheets(&submission.id, records.clone())
            .await?;
        let next = (summary.sheets > records.end as usize).then(|| {
            format!(
                "/v1/submissions/{}?offset={}&limit={}",
                submission.id,
                records.end,
                records.len()
            )
        });
        Ok(Self {
            submission,
            duplicate,
            summary,
            sheets,
            next,
        })
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "submission.too_large",
        format!("the body is larger than the limit of {limit} bytes; split the file"),
        format!("本文が上限 {limit} バイトを超えています。ファイルを分割してください"),
    )
}

/// Reads a submitted body within the size limit.
pub(super) async fn read_body(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<bytes::Bytes, ApiError> {
    let limit = state.max_body_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    // Collected into one buffer of the declared size: gathering the frames and joining them
    // afterwards held the body twice.
    let mut collected = bytes::BytesMut::with_capacity(declared.unwrap_or(0));
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "submission.incomplete_body",
                "the body broke off before it was whole; send the file again",
                "本文が途中で途切れました。ファイルをもう一度送信してください",
            )
        })?;
        if let Ok(data) = frame.into_data() {
            if collected.len() + data.len() > limit {
                return Err(too_large(limit));
            }
            collected.extend_from_slice(&data);
        }
    }
    let body = collected.freeze();
    if body.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "submission.empty",
            "the body is empty; send the file as the request body",
            "本文が空です。ファイルを本文として送信してください",
        ));
    }
    Ok(body)
}

pub(super) fn content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<SubmitParams>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (view, _) = submit(&state, principal, params, &headers, body, None).await?;
    let location = format!("/v1/submissions/{}", view.submission.id);
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, location)],
        Json(view),
    )
        .into_response())
}

/// The sheet adapter municipalities send their paper through (`scan`), when one is
/// registered: an officer's upload and an app's paper sheet (the intake API) both read with it.
pub(super) fn municipal_sheet_adapter(state: &AppState) -> Option<String> {
    state
        .pipeline
        .adapters()
        .of_kind(RecordKind::Sheet)
        .find(|r| r.senders.includes_municipalities())
        .map(|r| r.adapter.name().to_owned())
}

/// Stores a submission for `principal` (the API's and the console's one way): who may submit
/// through which adapter, for which municipality; the body read within the limit; journaled,
/// converted, checked and stored by the pipeline. The submission with its sheets, and whether
/// it is new (false: these bytes were submitted before). `on_journaled` is told the id once
/// the submission is journaled.
pub(crate) async fn submit(
    state: &AppState,
    principal: Principal,
    params: SubmitParams,
    headers: &HeaderMap,
    body: Body,
    on_journaled: Option<tokio::sync::oneshot::Sender<String>>,
) -> Result<(SubmissionView, bool), ApiError> {
    // Municipal officers send the paper they scanned (the sheet adapter municipalities send
    // through, when they name none); their submissions are for their own municipality.
    let officer = principal.role == Role::MunicipalOfficer;
    let params = if officer {
        SubmitParams {
            adapter: params.adapter.or_else(|| municipal_sheet_adapter(state)),
            municipality: params.municipality.or_else(|| {
                principal
                    .organisation_id
                    .strip_prefix("municipality:")
                    .map(str::to_owned)
            }),
            ..params
        }
    } else {
        params
    };
    let senders = params
        .adapter
        .as_deref()
        .and_then(|name| state.pipeline.adapters().get(name))
        .map(|r| r.senders);
    if !access::may_submit(&principal, senders)
        || (officer
            && params.municipality.as_deref()
                != principal.organisation_id.strip_prefix("municipality:"))
    {
        state
            .store()
            .append_audit(&principal.audit("submission.create", "denied"))
            .await?;
        return Err(ApiError::role_denied(
            "store submissions",
            "提出を保存することは",
        ));
    }
    let municipality_id = match params.municipality {
        None => None,
        Some(code) => {
            let id = format!("{}:{code}", OrganisationKind::Municipality.as_str());
            if state.store().organisation(&id).await?.is_none() {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "submission.unknown_municipality",
                    format!("no registered municipality with code {code}"),
                    format!("地方公共団体コード {code} の自治体は登録されていません"),
                ));
            }
            Some(id)
        }
    };
    let body = read_body(state, headers, body).await?;
    let content_type = content_type(headers);
    let (record, fresh) = state
        .pipeline
        .submit(Submission {
            body,
            content_type,
            adapter: params.adapter,
            mapping: params.mapping,
            municipality_id,
            owner_id: principal.organisation_id.clone(),
            audit: principal.audit("submission.create", "ok"),
            on_journaled,
        })
        .await?;
    if let Some(rejection) = &record.error {
        return Err(ApiError::rejected(rejection, Some(&record.id)));
    }
    let view = SubmissionView::load(
        state.pipeline.store().as_ref(),
        record,
        !fresh,
        &SheetPage::default(),
    )
    .await?;
    Ok((view, fresh))
}

pub async fn read(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    Query(page): Query<SheetPage>,
) -> Result<Json<SubmissionView>, ApiError> {
    let store = state.pipeline.store();
    let found = store.submission(&id).await?;
    let audit = principal
        .audit("submission.read", "ok")
        .on("submission", &id);
    let record = match found {
        Some(record) if access::may_read_submission(&principal, &record) => record,
        other => {
            let outcome = if other.is_some() {
                "denied"
            } else {
                "not_found"
            };
            store.append_audit(&audit.outcome(outcome)).await?;
            return Err(ApiError::not_found("submission", "提出", &id));
        }
    };
    store.append_audit(&audit).await?;
    Ok(Json(
        SubmissionView::load(store.as_ref(), record, false, &page).await?,
    ))
}

/// `?adapter=csv&mapping=NAME` for a conversion that stores nothing.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConvertParams {
    /// The sheet adapter; chosen from Content-Type and the first bytes when absent.
    #[schemars(length(min = 1))]
    adapter: Option<String>,
    /// The mapping in the adapter's folder of `mappings/`; detected when absent.
    #[schemars(length(min = 1))]
    mapping: Option<String>,
}

/// The outcome of a dry-run conversion: the canonical sheets and their findings.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ConversionView {
    pub sheets: Vec<ConvertedSheet>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ConvertedSheet {
    pub sheet: kakehashi_sdk::Sheet,
    pub findings: Vec<kakehashi_sdk::Finding>,
}

/// `POST /v1/convert`: converts and checks a document without storing anything (for
/// integrators testing a mapping). Audited without the content.
pub async fn convert(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<ConvertParams>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<ConversionView>, ApiError> {
    let audit = principal.audit("submission.convert", "ok");
    state
        .require_role(
            access::may_convert(&principal),
            &audit,
            "run conversions",
            "変換を実行することは",
        )
        .await?;
    let body = read_body(&state, &headers, body).await?;
    let (read, _reservation) = state
        .pipeline
        .read(
            RecordKind::Sheet,
            params.adapter.as_deref(),
            body,
            content_type(&headers),
            params.mapping,
        )
        .await?;
    match read.map(|r| r.sheets) {
        Err(rejection) => {
            state
                .store()
                .append_audit(&audit.outcome("failed").with_detail(rejection.code.clone()))
                .await?;
            Err(ApiError::rejected(&rejection, None))
        }
        Ok(sheets) => {
            state
                .store()
                .append_audit(&audit.with_detail(format!("{} sheets", sheets.len())))
                .await?;
            Ok(Json(ConversionView {
                sheets: sheets
                    .into_iter()
                    .map(|c| ConvertedSheet {
                        sheet: c.sheet,
                        findings: c.findings,
                    })
                    .collect(),
            }))
        }
    }
}
