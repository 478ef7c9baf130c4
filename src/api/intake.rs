//! The intake API (申請受付API): applications from apps — those built on マイナポータル's
//! 自己情報取得 and private web applications — delivered by the app's back end straight into
//! the municipality's applications inbox, beside the Mynaportal downloads, with the channel
//! `app:<code>` shown.
//!
//! - **Who.** An app is an organisation of kind `app` with terminals of its own; its back end
//!   presents one of their client certificates and a machine credential of the same app (the
//!   app gate, [`super::identity::require_app`]). A municipality accepts applications only from
//!   the apps on its allow-list, which its officers keep (`/v1/applications/accepted-apps`) or
//!   an administrator (`kakehashi apps accept`).
//! - **What is checked.** The patient, the disease and 新規／更新 are read from their text as a
//!   Mynaportal form's are ([`Application::read_header_fields`], the sheet's own field
//!   parsers), and so is the 受給者番号; an application with an error is refused with its
//!   findings and nothing is stored (an app, unlike a download, can correct and send again).
//!   The access key must be a key in form (`access_key.malformed`); the sheet it opens is
//!   linked and bound to the municipality as an officer's lookup would do
//!   ([`super::applications::link_to_sheet`]). An unknown key is not told to the app (that
//!   would make the API an oracle for keys): the application stays unlinked for the officer.
//! - **Idempotent** by the app's own key (`Idempotency-Key` header or `idempotency_key`): the
//!   same request again answers the same receipt (200, `replayed: true`); another request under
//!   a key already used answers 409 `intake.idempotency_conflict` and stores nothing. "The
//!   same" is the request as read (canonical JSON), so whitespace and member order do not
//!   matter.
//! - **Status.** The app reads its own applications only; the statuses are Mynaportal's as the
//!   applicant sees them (提出済 is 処理中 to the applicant), and a certified decision's
//!   受給者番号 and validity once the back office's decision file was applied.
//!
//! - **Attachments** (PDF, JPEG, PNG; at most 10, 10 MB each as Mynaportal allows) come
//!   base64-encoded in the JSON, so this route takes a body up to the gateway's
//!   `max_body_bytes` (32 MiB by default) instead of the 2 MB other JSON bodies are held to.
//!   Each is checked before anything is stored (its encoding, size, and first bytes against
//!   its media type) and stored as a raw input; the paper sheet among them goes to the
//!   municipality's scan path and its review queue, and the sheet read from it is the
//!   application's unless the access key found one ([`attachments`]). The request as
//!   journaled and compared on replay names each attachment by its SHA-256, not its bytes.
//!
//! - **Webhook.** An app may have each status change posted to its HTTPS endpoint, signed
//!   (Standard Webhooks), instead of polling: `/v1/intake/webhook` ([`super::intake_webhook`]),
//!   events written in the transaction of the change and sent by [`crate::webhook`].

use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use kakehashi_access_key::AccessKey;
use kakehashi_sdk::{
    Applicant, Application, ApplicationStatus, Attachment, AttachmentRole, CertificationDecision,
    Finding, HeaderField, IntakeDetails, IntakeProcedure, Provenance, SelfInformation, Severity,
    Sheet, SheetKind, SourceLocation,
};
use serde::{Deserialize, Serialize};

use super::extract::{Json, Path};
use super::{ApiError, AppState, access_keys, applications};
use crate::auth::{AppPrincipal, Principal};
use crate::pipeline::{content_hash, today_in_japan};
use crate::store::{
    AppAcceptance, IntakeOutcome, NewApplication, NewIntake, OrganisationKind, RawInput,
    StatusChange, StoredApplication,
};

pub(crate) mod attachments;

pub use attachments::IntakeAttachment;

/// The patient (対象者) as the app has it; each value is read as a sheet reads it (和暦 dates,
/// half-width kana, 男/女 or codes).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakePatient {
    /// 氏名
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// 氏名（カナ）
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_kana: Option<String>,
    /// 生年月日 (`1980-03-14`, or 和暦 `S55.3.14`)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<String>,
    /// 性別 (`male`, `female`, 男, 女, 1, 2)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<String>,
    /// 郵便番号
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// 住所
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// The disease applied for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeDisease {
    /// 告示番号 (notified number)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<u16>,
    /// 疾患群 (disease group, 小慢 only)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<u8>,
    /// 告示病名 (notified name)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// An application from an app (`POST /v1/intake/applications`); its JSON Schema is published
/// as `conformance/schema/intake-application.schema.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeRequest {
    /// The app's own key for this application, when not sent as the `Idempotency-Key` header
    /// (1 to 200 printable ASCII characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 200))]
    pub idempotency_key: Option<String>,
    /// The municipality applied to: its 地方公共団体コード (`130001`) or id
    /// (`municipality:130001`).
    #[schemars(length(min = 1, max = 40))]
    pub municipality: String,
    /// 指定難病 (`nanbyo`) or 小児慢性特定疾病 (`shoman`).
    pub kind: SheetKind,
    /// 申請区分: 新規 (`new`), 更新 (`renewal`), 変更 (`change`).
    pub procedure: IntakeProcedure,
    /// 申請日; today in Japan when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_on: Option<NaiveDate>,
    /// 申請者 (the patient, or a guardian).
    #[serde(default)]
    pub applicant: Applicant,
    /// 対象者
    pub patient: IntakePatient,
    #[serde(default)]
    pub disease: IntakeDisease,
    /// アクセスキー of the sheet the designated doctor registered online, as the applicant
    /// typed it (case, spaces, hyphens and full-width characters are forgiven).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 64))]
    pub access_key: Option<String>,
    /// 受給者番号 of the current certification: required for 更新 and 変更.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 16))]
    pub recipient_number: Option<String>,
    /// 研究利用への同意: the patient's answer, when the app asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub research_consent: Option<bool>,
    /// 自己情報 as retrieved (insurance, household, income), each with its source and time.
    #[serde(default, skip_serializing_if = "SelfInformation::is_empty")]
    pub self_information: SelfInformation,
    /// 添付ファイル (PDF, JPEG, PNG; at most 10, each at most 10 MB): the paper 臨床調査個人票 /
    /// 医療意見書 (`paper_sheet`: a PDF, or its pages as JPEG or PNG in order) goes to the
    /// municipality's scan path and its review queue.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    pub attachments: Vec<IntakeAttachment>,
}

/// The request as journaled and compared on replay: its attachments taken out and named by
/// what describes them, their SHA-256 standing for their bytes (stored apart,
/// content-addressed). Without attachments it is the request as read, as before they were
/// taken.
#[derive(Serialize)]
struct Journaled<'a> {
    #[serde(flatten)]
    request: &'a IntakeRequest,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    attachments: &'a [Attachment],
}

/// Where an application is, as the applicant sees it (Mynaportal's words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IntakeStatus {
    /// 処理中: received (提出済) or being processed.
    Processing,
    /// 要再申請: returned to the applicant to apply again.
    ResubmissionRequired,
    /// 完了: decided; see `certification`.
    Completed,
    /// 却下: refused.
    Rejected,
    /// 取消受付: the withdrawal was accepted.
    WithdrawalAccepted,
}

impl From<ApplicationStatus> for IntakeStatus {
    fn from(status: ApplicationStatus) -> Self {
        match status {
            ApplicationStatus::Submitted | ApplicationStatus::Processing => Self::Processing,
            ApplicationStatus::ResubmissionRequired => Self::ResubmissionRequired,
            ApplicationStatus::Completed => Self::Completed,
            ApplicationStatus::Rejected => Self::Rejected,
            ApplicationStatus::WithdrawalAccepted => Self::WithdrawalAccepted,
        }
    }
}

impl IntakeStatus {
    pub(crate) fn label_ja(self) -> &'static str {
        match self {
            Self::Processing => "処理中",
            Self::ResubmissionRequired => "要再申請",
            Self::Completed => "完了",
            Self::Rejected => "却下",
            Self::WithdrawalAccepted => "取消受付",
        }
    }
}

/// The municipality's decision as the app may see it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct IntakeCertification {
    /// 認定 (`certified`) or 不認定 (`not_certified`).
    pub decision: CertificationDecision,
    /// 受給者番号, when certified.
    pub recipient_number: Option<String>,
    /// 有効期間: first day.
    pub valid_from: Option<NaiveDate>,
    /// 有効期間: last day.
    pub valid_to: Option<NaiveDate>,
}

/// An app's application as the app sees it: the receipt of `POST`, the answer of `GET`.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct IntakeView {
    /// The application's id (for `GET /v1/intake/applications/{id}`).
    pub id: String,
    /// 受付番号 the gateway gave it (15 digits, beginning `00`).
    pub receipt_number: String,
    /// `municipality:<code>`
    pub municipality_id: String,
    pub status: IntakeStatus,
    /// The status in Japanese (処理中, 要再申請, 完了, 却下, 取消受付).
    pub status_ja: String,
    /// 理由: why it was returned (要再申請) or refused (却下), as the municipality wrote it.
    pub status_reason: Option<String>,
    /// True when this answers the same request sent again under its idempotency key.
    pub replayed: bool,
    /// Warnings and notes on the values sent (errors refuse the application).
    pub findings: Vec<Finding>,
    /// The decision, once the municipality's back office recorded it.
    pub certification: Option<IntakeCertification>,
    pub received_at: String,
    pub updated_at: String,
}

/// The municipality id named by a request: `municipality:<code>` or the bare code.
fn municipality_id(named: &str) -> String {
    let named = named.trim();
    if named.starts_with("municipality:") {
        named.to_owned()
    } else {
        format!("municipality:{named}")
    }
}

/// The app's idempotency key, from the header or the body (the same when both are given);
/// boxed: the error is large.
fn idempotency_key(
    headers: &HeaderMap,
    request: &mut IntakeRequest,
) -> Result<String, Box<ApiError>> {
    let invalid = |message: &str, message_ja: &str| {
        Box::new(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "intake.idempotency_key",
            message,
            message_ja,
        ))
    };
    let header = match headers.get("idempotency-key") {
        None => None,
        Some(value) => Some(value.to_str().map(str::to_owned).map_err(|_| {
            invalid(
                "the Idempotency-Key header is not printable ASCII",
                "Idempotency-Key ヘッダーに表示可能な ASCII 以外の文字があります",
            )
        })?),
    };
    let key = match (header, request.idempotency_key.take()) {
        (Some(h), Some(b)) if h != b => {
            return Err(invalid(
                "the Idempotency-Key header and idempotency_key differ; send one",
                "Idempotency-Key ヘッダーと idempotency_key が異なります。どちらか一方を送ってください",
            ));
        }
        (Some(key), _) | (None, Some(key)) => key,
        (None, None) => {
            return Err(invalid(
                "an application needs the app's own key for it: the Idempotency-Key header or idempotency_key",
                "申請ごとのアプリ側のキー（Idempotency-Key ヘッダーまたは idempotency_key）が必要です",
            ));
        }
    };
    if key.is_empty() || key.len() > 200 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid(
            "the idempotency key must be 1 to 200 printable ASCII characters without spaces",
            "冪等キーは空白を含まない表示可能な ASCII 1～200 文字にしてください",
        ));
    }
    Ok(key)
}

/// Reads the request into an application as a Mynaportal form is read, and its findings.
fn application_of(request: &IntakeRequest, app: &AppPrincipal) -> (Application, Vec<Finding>) {
    let provenance = Provenance {
        adapter: "intake".to_owned(),
        mapping: Some(app.organisation_id.clone()),
        ..Provenance::default()
    };
    let mut application = Application::new(request.kind, provenance);
    application.application_type = request.procedure.application_type();
    let at = |pointer: &str| SourceLocation {
        element: Some(pointer.to_owned()),
        ..SourceLocation::default()
    };
    let p = &request.patient;
    let d = &request.disease;
    let number = d.number.map(|n| n.to_string());
    let group = d.group.map(|g| g.to_string());
    let texts = [
        (HeaderField::PatientName, p.name.as_deref(), "/patient/name"),
        (
            HeaderField::PatientNameKana,
            p.name_kana.as_deref(),
            "/patient/name_kana",
        ),
        (
            HeaderField::DateOfBirth,
            p.date_of_birth.as_deref(),
            "/patient/date_of_birth",
        ),
        (HeaderField::Sex, p.sex.as_deref(), "/patient/sex"),
        (
            HeaderField::PostalCode,
            p.postal_code.as_deref(),
            "/patient/postal_code",
        ),
        (
            HeaderField::Address,
            p.address.as_deref(),
            "/patient/address",
        ),
        (
            HeaderField::DiseaseNumber,
            number.as_deref(),
            "/disease/number",
        ),
        (
            HeaderField::DiseaseGroup,
            group.as_deref(),
            "/disease/group",
        ),
        (HeaderField::DiseaseName, d.name.as_deref(), "/disease/name"),
    ];
    let insurance = request.self_information.insurance.as_ref().map(|i| &i.data);
    let insurance_texts = insurance.into_iter().flat_map(|i| {
        [
            (
                HeaderField::InsurerNumber,
                i.insurer_number.as_deref(),
                "/self_information/insurance/data/insurer_number",
            ),
            (
                HeaderField::InsuranceSymbol,
                i.symbol.as_deref(),
                "/self_information/insurance/data/symbol",
            ),
            (
                HeaderField::InsuranceNumber,
                i.number.as_deref(),
                "/self_information/insurance/data/number",
            ),
            (
                HeaderField::InsuranceBranch,
                i.branch.as_deref(),
                "/self_information/insurance/data/branch",
            ),
        ]
    });
    let mut findings = application.read_header_fields(
        texts
            .into_iter()
            .chain(insurance_texts)
            .filter_map(|(field, text, pointer)| Some((field, text?, at(pointer)))),
    );
    // 受給者番号 as a sheet reads it; required to renew or change a certification.
    let mut scratch = Sheet::new(request.kind, Provenance::default());
    let recipient_number = match request.recipient_number.as_deref() {
        Some(text) => {
            findings.extend(HeaderField::RecipientNumber.apply_from(
                &mut scratch,
                text,
                at("/recipient_number"),
            ));
            scratch.administrative.recipient_number
        }
        None => None,
    };
    if request.procedure != IntakeProcedure::New && request.recipient_number.is_none() {
        findings.push(
            Finding::error(
                "intake.recipient_number_required",
                Some("recipient_number"),
                format!(
                    "a {} application names the current 受給者番号 (recipient_number)",
                    serde_json::to_value(request.procedure)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                ),
                format!(
                    "{}の申請には現在の受給者番号（recipient_number）が必要です",
                    request.procedure.label_ja()
                ),
            )
            .at(Some(at("/recipient_number"))),
        );
    }
    application.applied_on = Some(request.applied_on.unwrap_or_else(today_in_japan));
    application.procedure = Some(format!("{}申請", request.procedure.label_ja()));
    application.status = Some(ApplicationStatus::Submitted);
    application.applicant = request.applicant.clone().normalized();
    application.access_key = request
        .access_key
        .as_deref()
        .and_then(|k| AccessKey::parse(k).ok())
        .map(|k| k.to_string());
    application.intake = Some(IntakeDetails {
        procedure: request.procedure,
        recipient_number,
        research_consent: request.research_consent,
        self_information: request.self_information.clone(),
    });
    (application, findings)
}

/// The app's view of one of its applications, with the decision once there is one.
async fn view(
    state: &AppState,
    stored: StoredApplication,
    replayed: bool,
) -> Result<IntakeView, ApiError> {
    let status = IntakeStatus::from(stored.status);
    let receipt_number = stored
        .application
        .receipt_number
        .clone()
        .unwrap_or_default();
    let certification = if stored.status == ApplicationStatus::Completed {
        state
            .store()
            .certification(&stored.municipality_id, &receipt_number)
            .await?
            .map(|c| {
                let certified = c.certification.decision == CertificationDecision::Certified;
                IntakeCertification {
                    decision: c.certification.decision,
                    recipient_number: c.certification.recipient_number.filter(|_| certified),
                    valid_from: c.certification.valid_from.filter(|_| certified),
                    valid_to: c.certification.valid_to.filter(|_| certified),
                }
            })
    } else {
        None
    };
    Ok(IntakeView {
        id: stored.id,
        receipt_number,
        municipality_id: stored.municipality_id,
        status,
        status_ja: status.label_ja().to_owned(),
        status_reason: stored.status_reason.filter(|_| {
            matches!(
                status,
                IntakeStatus::ResubmissionRequired | IntakeStatus::Rejected
            )
        }),
        replayed,
        findings: stored.findings,
        certification,
        received_at: stored.imported_at,
        updated_at: stored.updated_at,
    })
}

pub async fn submit(
    State(state): State<AppState>,
    Extension(app): Extension<AppPrincipal>,
    headers: HeaderMap,
    Json(mut request): Json<IntakeRequest>,
) -> Result<Response, ApiError> {
    let store = state.store();
    let audit = app.audit("application.intake", "ok");
    // Every refusal below is audited with its code, and stores nothing else.
    let refuse = |error: ApiError| {
        let event = audit
            .clone()
            .outcome("refused")
            .with_detail(error.code.clone());
        async move {
            store.append_audit(&event).await?;
            Err::<Response, ApiError>(error)
        }
    };
    let key = match idempotency_key(&headers, &mut request) {
        Ok(key) => key,
        Err(error) => return refuse(*error).await,
    };
    let municipality_id = municipality_id(&request.municipality);
    let municipality = store.organisation(&municipality_id).await?;
    if municipality.is_none_or(|m| m.kind != OrganisationKind::Municipality) {
        return refuse(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "intake.unknown_municipality",
            format!("no municipality {municipality_id} is registered at this gateway"),
            format!("自治体 {municipality_id} はこのゲートウェイに登録されていません"),
        ))
        .await;
    }
    if !store
        .accepts_app(&municipality_id, &app.organisation_id)
        .await?
    {
        return refuse(ApiError::new(
            StatusCode::FORBIDDEN,
            "intake.not_accepted",
            format!(
                "{municipality_id} does not accept applications from {}; the municipality puts apps on its list",
                app.organisation_id
            ),
            format!(
                "{municipality_id} は {} からの申請を受け付けていません（受け付けるアプリは自治体が登録します）",
                app.organisation_id
            ),
        ))
        .await;
    }
    if let Some(Err(e)) = request.access_key.as_deref().map(AccessKey::parse) {
        let mut error = access_keys::malformed(&e);
        if let Some(location) = error.location.as_mut() {
            location.element = Some("/access_key".to_owned());
        }
        return refuse(error).await;
    }
    let (mut application, mut findings) = application_of(&request, &app);
    let errors: Vec<Finding> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .cloned()
        .collect();
    if !errors.is_empty() {
        let mut error = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "intake.invalid_application",
            format!(
                "{} value(s) cannot be read: {}",
                errors.len(),
                errors
                    .iter()
                    .map(|f| f.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            format!(
                "読めない値が {} 件あります: {}",
                errors.len(),
                errors
                    .iter()
                    .map(|f| f.message_ja.as_str())
                    .collect::<Vec<_>>()
                    .join("／")
            ),
        );
        error.location = errors[0].location.clone();
        return refuse(error).await;
    }
    let received = match attachments::read(std::mem::take(&mut request.attachments)) {
        Ok(received) => received,
        Err(error) => return refuse(*error).await,
    };
    application.attachments = received.iter().map(|a| a.described.clone()).collect();
    // The request as read, without its key: what a replay must repeat, and what is journaled.
    let journaled = Journaled {
        request: &request,
        attachments: &application.attachments,
    };
    let canonical =
        serde_json::to_vec(&journaled).map_err(|e| ApiError::internal(&e.to_string()))?;
    let sha256 = content_hash(&canonical);
    // A new key's paper sheets are scanned first, so that what the scan made of them is stored
    // with the application; a used key's were scanned when it was new.
    let scanned = if store.intake_key_used(&app.organisation_id, &key).await? {
        attachments::ScannedPapers::default()
    } else {
        attachments::scan_paper_sheets(&state, &app, &municipality_id, &received).await?
    };
    findings.extend(scanned.findings);
    let files: Vec<RawInput<'_>> = received
        .iter()
        .map(attachments::Received::raw_input)
        .collect();
    let intake = NewIntake {
        app_id: &app.organisation_id,
        idempotency_key: &key,
        request_sha256: &sha256,
        body: RawInput {
            sha256: &sha256,
            content_type: Some("application/json"),
            body: &canonical,
        },
        attachments: &files,
        municipality_id: &municipality_id,
        application: NewApplication {
            receipt_number: String::new(),
            application,
            findings,
        },
    };
    let (application_id, replayed) = match store.intake_application(&intake, &audit).await? {
        IntakeOutcome::Created { application_id, .. } => (application_id, false),
        IntakeOutcome::Replayed { application_id, .. } => (application_id, true),
        IntakeOutcome::KeyReused => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "intake.idempotency_conflict",
                format!(
                    "the idempotency key `{key}` was used for another application; use a new key for a new application"
                ),
                format!(
                    "冪等キー `{key}` は別の申請に使われています。新しい申請には新しいキーを使ってください"
                ),
            ));
        }
    };
    let stored = store
        .app_application(&app.organisation_id, &application_id)
        .await?
        .ok_or_else(|| ApiError::internal("the application just stored is gone"))?;
    let by = |action: &str| app.audit(action, "ok");
    let linked = if replayed {
        stored.linked_sheet_id.clone()
    } else {
        applications::link_to_sheet(store.as_ref(), &by, &stored).await?
    };
    let paper_sheets = received
        .iter()
        .filter(|a| a.described.role == AttachmentRole::PaperSheet);
    if linked.is_none() && paper_sheets.count() > 0 {
        // A replay links what a crash before the first answer left unlinked: its paper is then
        // the same submission again, read once.
        let sheet_id = match scanned.sheet_id {
            Some(id) => Some(id),
            None if replayed => {
                attachments::scan_paper_sheets(&state, &app, &municipality_id, &received)
                    .await?
                    .sheet_id
            }
            None => None,
        };
        if let Some(sheet_id) = sheet_id {
            attachments::link_scanned_sheet(store.as_ref(), &by, &stored, &sheet_id).await?;
        }
    }
    let status = if replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(view(&state, stored, replayed).await?)).into_response())
}

pub async fn read(
    State(state): State<AppState>,
    Extension(app): Extension<AppPrincipal>,
    Path(id): Path<String>,
) -> Result<Json<IntakeView>, ApiError> {
    let store = state.store();
    let audit = app.audit("application.intake_read", "ok");
    let Some(stored) = store.app_application(&app.organisation_id, &id).await? else {
        store
            .append_audit(&audit.outcome("not_found").with_detail(id.clone()))
            .await?;
        return Err(ApiError::not_found("application", "申請", &id));
    };
    store
        .append_audit(
            &audit
                .on("application", &stored.id)
                .with_patient(stored.patient_ref.clone()),
        )
        .await?;
    Ok(Json(view(&state, stored, false).await?))
}

/// The applicant withdraws (取消) an application still open: it becomes 取消受付 for the
/// officer and the app alike. Withdrawing one already withdrawn answers the same; a final one
/// (完了, 却下) cannot be withdrawn.
pub async fn withdraw(
    State(state): State<AppState>,
    Extension(app): Extension<AppPrincipal>,
    Path(id): Path<String>,
) -> Result<Json<IntakeView>, ApiError> {
    let store = state.store();
    let audit = app.audit("application.intake_withdraw", "ok");
    let found = store.app_application(&app.organisation_id, &id).await?;
    let Some((stored, receipt_number)) =
        found.and_then(|s| s.application.receipt_number.clone().map(|r| (s, r)))
    else {
        store
            .append_audit(&audit.outcome("not_found").with_detail(id.clone()))
            .await?;
        return Err(ApiError::not_found("application", "申請", &id));
    };
    let to = ApplicationStatus::WithdrawalAccepted;
    let audit = audit
        .on("application", &stored.id)
        .with_patient(stored.patient_ref.clone())
        .with_detail(format!("{} -> {}", stored.status.as_str(), to.as_str()));
    let change = store
        .set_application_status(&stored.municipality_id, &receipt_number, to, None, &audit)
        .await?;
    match change {
        StatusChange::Changed { .. } | StatusChange::Unchanged => {}
        StatusChange::NotFound => return Err(ApiError::not_found("application", "申請", &id)),
        StatusChange::Refused { from } => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "intake.not_open",
                format!(
                    "the application is {} ({}) already: only an open one can be withdrawn",
                    from.as_str(),
                    from.label_ja()
                ),
                format!(
                    "この申請はすでに{}のため取り消せません。取り消せるのは処理が終わっていない申請だけです",
                    from.label_ja()
                ),
            ));
        }
    }
    let Some(stored) = store.app_application(&app.organisation_id, &id).await? else {
        return Err(ApiError::not_found("application", "申請", &id));
    };
    Ok(Json(view(&state, stored, false).await?))
}

/// An app to accept applications from, or to stop accepting.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptanceRequest {
    /// `app:<code>`
    #[schemars(length(min = 5, max = 80))]
    pub app_id: String,
    /// True to accept its applications, false to stop.
    pub accepted: bool,
}

/// The apps the officer's municipality accepts applications from.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct AcceptedApps {
    pub municipality_id: String,
    pub apps: Vec<AppAcceptance>,
}

async fn accepted_apps_of(
    state: &AppState,
    principal: &Principal,
) -> Result<AcceptedApps, ApiError> {
    Ok(AcceptedApps {
        municipality_id: principal.organisation_id.clone(),
        apps: state
            .store()
            .app_acceptances(&principal.organisation_id)
            .await?,
    })
}

pub async fn accepted_apps(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> Result<Json<AcceptedApps>, ApiError> {
    applications::require_officer(&state, &principal, "app.acceptance_list").await?;
    let listed = accepted_apps_of(&state, &principal).await?;
    state
        .store()
        .append_audit(
            &principal
                .audit("app.acceptance_list", "ok")
                .with_detail(format!("{} apps", listed.apps.len())),
        )
        .await?;
    Ok(Json(listed))
}

pub async fn set_acceptance(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Json(request): Json<AcceptanceRequest>,
) -> Result<Json<AcceptedApps>, ApiError> {
    applications::require_officer(&state, &principal, "app.acceptance").await?;
    let audit = principal.audit("app.acceptance", "ok");
    let is_app = state
        .store()
        .organisation(&request.app_id)
        .await?
        .is_some_and(|o| o.kind == OrganisationKind::App);
    if !is_app {
        state
            .store()
            .append_audit(&audit.outcome("refused").with_detail(request.app_id.clone()))
            .await?;
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "intake.unknown_app",
            format!("no app {} is registered at this gateway", request.app_id),
            format!(
                "アプリ {} はこのゲートウェイに登録されていません",
                request.app_id
            ),
        ));
    }
    accept(
        state.store().as_ref(),
        &principal.organisation_id,
        &request.app_id,
        request.accepted,
        &audit,
    )
    .await?;
    Ok(Json(accepted_apps_of(&state, &principal).await?))
}

/// Puts an app on a municipality's allow-list or takes it off, audited as `audit`
/// (`app.acceptance`); the officers' endpoint and `kakehashi apps accept` both do it here.
pub(crate) async fn accept(
    store: &dyn crate::store::Store,
    municipality_id: &str,
    app_id: &str,
    accepted: bool,
    audit: &crate::store::AuditEvent,
) -> Result<bool, crate::store::StoreError> {
    store
        .set_app_acceptance(
            municipality_id,
            app_id,
            accepted,
            &audit.clone().on("organisation", app_id),
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> AppPrincipal {
        AppPrincipal {
            organisation_id: "app:pocket".into(),
            credential_id: "c1".into(),
            terminal: None,
            source: None,
        }
    }

    fn request() -> IntakeRequest {
        serde_json::from_value(serde_json::json!({
            "municipality": "130001",
            "kind": "nanbyo",
            "procedure": "renewal",
            "patient": {"name": "申請 花子", "name_kana": "ｼﾝｾｲ ﾊﾅｺ", "date_of_birth": "S55.2.3", "sex": "女"},
            "disease": {"number": 2},
            "recipient_number": "１２３４５６７",
            "self_information": {"insurance": {"source": "mynaportal:self_information_api", "retrieved_at": "2026-12-01T10:00:00+09:00", "data": {"insurer_number": "06130012"}}}
        }))
        .unwrap()
    }

    #[test]
    fn an_app_request_is_read_as_a_mynaportal_form_is() {
        let (application, findings) = application_of(&request(), &app());
        assert!(findings.is_empty(), "{findings:?}");
        assert_eq!(
            application.patient.name_kana.as_deref(),
            Some("シンセイ ハナコ")
        );
        assert_eq!(
            application.patient.date_of_birth,
            NaiveDate::from_ymd_opt(1980, 2, 3)
        );
        assert_eq!(
            application.patient.insurance.insurer_number.as_deref(),
            Some("06130012")
        );
        let intake = application.intake.unwrap();
        assert_eq!(intake.recipient_number.as_deref(), Some("1234567"));
        assert_eq!(
            application.application_type,
            Some(kakehashi_sdk::ApplicationType::Renewal)
        );
        assert_eq!(
            application.provenance.fields["patient.date_of_birth"]
                .element
                .as_deref(),
            Some("/patient/date_of_birth")
        );
    }

    #[test]
    fn unreadable_values_and_a_renewal_without_its_number_are_errors_located() {
        let mut request = request();
        request.patient.date_of_birth = Some("the third of February".into());
        request.recipient_number = None;
        let (_, findings) = application_of(&request, &app());
        let codes: Vec<(&str, Option<&str>)> = findings
            .iter()
            .map(|f| {
                (
                    f.code.as_str(),
                    f.location.as_ref().and_then(|l| l.element.as_deref()),
                )
            })
            .collect();
        assert_eq!(
            codes,
            [
                ("field.unreadable", Some("/patient/date_of_birth")),
                (
                    "intake.recipient_number_required",
                    Some("/recipient_number")
                ),
            ]
        );
        assert!(findings.iter().all(|f| f.severity == Severity::Error));
    }

    #[test]
    fn the_journaled_request_names_attachments_by_their_sha256_and_is_as_before_without() {
        let mut request = request();
        let plain = serde_json::to_vec(&request).unwrap();
        let journaled = |request: &IntakeRequest, attachments: &[Attachment]| {
            serde_json::to_value(Journaled {
                request,
                attachments,
            })
            .unwrap()
        };
        assert_eq!(
            serde_json::to_vec(&journaled(&request, &[])).unwrap(),
            plain,
            "a replay of a request stored before attachments were taken is still the same"
        );
        request.attachments = vec![IntakeAttachment {
            file_name: "card.png".into(),
            media_type: "image/png".into(),
            document_type: None,
            role: AttachmentRole::Other,
            content: "iVBORw0KGgo=".into(),
        }];
        let received = attachments::read(std::mem::take(&mut request.attachments)).unwrap();
        let described: Vec<Attachment> = received.into_iter().map(|a| a.described).collect();
        let value = journaled(&request, &described);
        assert_eq!(
            value["attachments"][0]["sha256"],
            content_hash(b"\x89PNG\r\n\x1A\n")
        );
        assert_eq!(value["attachments"][0].get("content"), None);
        assert_eq!(value["municipality"], "130001");
    }

    #[test]
    fn statuses_are_the_applicants_words() {
        assert_eq!(
            IntakeStatus::from(ApplicationStatus::Submitted),
            IntakeStatus::Processing
        );
        assert_eq!(IntakeStatus::Completed.label_ja(), "完了");
        assert_eq!(municipality_id("130001"), "municipality:130001");
        assert_eq!(
            municipality_id("municipality:130001"),
            "municipality:130001"
        );
    }
}
