//! Every route of the API, once: the router serves exactly these ([`super::router`]) and the
//! OpenAPI document describes exactly these ([`super::openapi`]).

use axum::routing::{delete, get, post, put};
use kakehashi_sdk::{FieldDescription, RecordKind, Sheet};

use super::endpoint::{Endpoint, Gate, Method, binary, object};
use super::*;
use crate::judgment::Judgment;
use crate::store::{ApplicationListing, AuditQuery, AuditRecord, Delivery, SheetListing};

const PDF: &str = "application/pdf";
const FHIR_JSON: &str = "application/fhir+json";

/// The routes, in the order the document lists them.
pub fn endpoints() -> Vec<Endpoint> {
    use Gate::{AnySession, App, FullSession, Terminal};
    use Method::{Delete, Get, Post, Put};
    vec![
        // ---------------------------------------------------------------- system
        Endpoint::new(Get, "/v1/healthz", Terminal, "Liveness and store health", get(system::healthz))
            .json::<system::Health>(200, "Healthy"),
        Endpoint::new(Get, "/v1/openapi.json", Terminal, "This document", get(system::openapi))
            .answer(200, "OpenAPI 3.1 document", "application/json", object),
        Endpoint::new(Get, "/metrics", Terminal, "Prometheus metrics (OpenMetrics text)", get(system::metrics))
            .answer(200, "OpenMetrics text", "application/openmetrics-text", binary),
        Endpoint::new(Get, "/v1/header-fields", Terminal, "The header fields of the canonical sheet, from the SDK's one table: path (as mappings name it), type, Japanese and English label, whether it is personal data, its section of the form", get(system::header_fields))
            .json::<Vec<FieldDescription>>(200, "Every header field, in the order of the form"),
        Endpoint::new(Get, "/v1/adapters", Terminal, "The registered adapters: name, the record kind each produces, who sends its format, and the mappings it has", get(system::adapters))
            .json::<Vec<system::AdapterView>>(200, "Every adapter, in the order sniffing tries them"),
        // ---------------------------------------------------------------- people
        Endpoint::new(Post, "/v1/auth/login", Terminal, "Log in (user id, password, and the TOTP code for administrators); a token for the terminal's own organisation. An initial password gives a token good only for changing it", post(auth::login))
            .json_body::<auth::LoginRequest>()
            .json::<auth::LoginResponse>(200, "The token and its scope")
            .error(401, "Every failed login alike — unknown user, wrong password, a user of another organisation than the terminal, a missing, wrong or already used TOTP code (auth.invalid_credentials)")
            .error(403, "The account is locked after repeated failures (auth.locked)"),
        Endpoint::new(Post, "/v1/auth/password", AnySession, "Change one's password (also with the token of an initial password)", post(auth::change_password))
            .json_body::<auth::PasswordChange>()
            .json::<auth::Notice>(200, "Changed; log in again")
            .error(422, "The new password breaks the policy (auth.weak_password)"),
        Endpoint::new(Post, "/v1/auth/logout", FullSession, "End this session", post(auth::logout))
            .empty(204, "Logged out"),
        Endpoint::new(Get, "/v1/me", FullSession, "Who the token belongs to", get(auth::me))
            .json::<auth::Me>(200, "The caller"),
        // ---------------------------------------------------------------- submissions
        Endpoint::new(Post, "/v1/submissions", FullSession, "Submit a document (an EHR's CSV or JSON Lines export, a FHIR document, scanned paper); journaled before the answer, converted, checked and stored as draft sheets", post(submissions::create))
            .reads(RecordKind::Sheet)
            .query::<submissions::SubmitParams>()
            .binary_body(&["text/csv", "application/fhir+json", "application/x-ndjson", PDF, "application/octet-stream"])
            .json::<SubmissionView>(202, "Journaled, converted and checked (sheets may carry error findings); the same bytes again answer the same submission with duplicate: true")
            .error(400, "Unknown adapter (submission.unknown_adapter), mapping (mapping.unknown) or municipality (submission.unknown_municipality); an empty body (submission.empty), or one that broke off (submission.incomplete_body)")
            .error(413, "Body over the configured limit (submission.too_large)")
            .error(415, "No adapter reads the content type (submission.unsupported_media_type), or an undecodable encoding; located")
            .error(422, "The document is broken (e.g. csv.truncated_row); located; carries submission_id: the input is journaled"),
        Endpoint::new(Get, "/v1/submissions/{id}", FullSession, "A submission with a page of its sheets and their findings (next: the following page)", get(submissions::read))
            .param("id", "Submission id")
            .query::<submissions::SheetPage>()
            .json::<SubmissionView>(200, "The submission")
            .error(400, "A limit outside 1 to 1000 (submission.bad_page)")
            .error(404, "No such submission of the caller's organisation"),
        Endpoint::new(Post, "/v1/convert", FullSession, "Convert and check a document without storing anything (integrators testing a mapping; hospital staff)", post(submissions::convert))
            .reads(RecordKind::Sheet)
            .query::<submissions::ConvertParams>()
            .binary_body(&["text/csv", "application/fhir+json", "application/x-ndjson", PDF, "application/octet-stream"])
            .json::<submissions::ConversionView>(200, "The canonical sheets and their findings")
            .error(400, "Unknown adapter or mapping; an empty body")
            .error(413, "Body over the configured limit")
            .error(415, "No adapter reads the content type, or an undecodable encoding")
            .error(422, "The document is broken; located"),
        // ---------------------------------------------------------------- sheets
        Endpoint::new(Get, "/v1/sheets", FullSession, "Sheets the caller may see (its organisation's, or those sent to its municipality), without personal data", get(sheets::list))
            .query::<sheets::ListParams>()
            .json::<Vec<SheetListing>>(200, "Sheets, newest first"),
        Endpoint::new(Get, "/v1/sheets/{id}", FullSession, "One sheet: its state, the canonical JSON and its findings; with ?format=fhir a FHIR Bundle of Patient and QuestionnaireResponse", get(sheets::read))
            .param("id", "Sheet id")
            .query::<sheets::ReadParams>()
            .json::<sheets::SheetView>(200, "The sheet")
            .answer(200, "The sheet", FHIR_JSON, object)
            .error(404, "No such sheet, or not one the caller may read"),
        Endpoint::new(Put, "/v1/sheets/{id}", FullSession, "Replace a draft's canonical sheet (corrections by the institution); checked again", put(sheets::update))
            .param("id", "Sheet id")
            .json_body::<Sheet>()
            .json::<sheets::SheetView>(200, "The corrected sheet with its new findings")
            .error(404, "No such sheet, or not one the caller may read")
            .error(409, "The sheet is confirmed and can no longer change (sheet.not_draft)"),
        Endpoint::new(Post, "/v1/sheets/{id}/confirm", FullSession, "A designated doctor confirms (登録) a draft; issues its access key (アクセスキー), shown only in this answer. With Accept: application/pdf the answer is the patient's printed notice of the key", post(confirm::confirm))
            .param("id", "Sheet id")
            .json::<access_keys::IssuedKeyView>(200, "Confirmed, with the key")
            .answer(200, "Confirmed, with the key", PDF, binary)
            .error(404, "No such sheet, or not one the caller may read")
            .error(409, "Confirmed already (sheet.not_draft), errors left (sheet.has_errors) or OCR values waiting for review (review.pending)"),
        Endpoint::new(Post, "/v1/sheets/{id}/access-key", FullSession, "Issue a new access key for a confirmed sheet (the patient lost the paper); the previous key stops working. JSON, or with Accept: application/pdf the printed notice", post(access_keys::reissue))
            .param("id", "Sheet id")
            .json::<access_keys::IssuedKeyView>(200, "The new key")
            .answer(200, "The new key", PDF, binary)
            .error(404, "No such sheet, or not one the caller may read")
            .error(409, "The sheet is a draft (access_key.sheet_not_confirmed)"),
        Endpoint::new(Post, "/v1/access-keys/lookup", FullSession, "A municipal officer fetches a sheet by its access key; the sheet is bound to the officer's municipality", post(access_keys::lookup))
            .json_body::<access_keys::LookupRequest>()
            .json::<sheets::SheetView>(200, "The sheet, now visible to the municipality")
            .error(404, "Unknown, expired or replaced key (access_key.unknown)")
            .error(409, "Another municipality took the sheet up (access_key.bound_elsewhere)")
            .error(422, "Not a key: wrong length, a character keys never use, or a check character that does not match (access_key.malformed)"),
        Endpoint::new(Get, "/v1/sheets/{id}/print", FullSession, "The sheet as an A4 PDF: masked for the review board (personal data blacked out and absent from the file, the age instead of the date of birth), or with ?masked=false in full for the sheet's institution and municipality", get(print::sheet))
            .param("id", "Sheet id")
            .query::<print::PrintParams>()
            .answer(200, "The print", PDF, binary)
            .error(404, "No such sheet, or not one the caller may read"),
        Endpoint::new(Get, "/v1/sheets/{id}/registration-card", FullSession, "The registration card (指定難病登録者証 / 小児慢性特定疾病登録者証) as a PDF, for a confirmed sheet whose patient consented; officers of the sheet's municipality", get(print::registration_card))
            .param("id", "Sheet id")
            .answer(200, "The card", PDF, binary)
            .error(404, "No such sheet, or not one the caller may read")
            .error(409, "Not confirmed (registration_card.not_confirmed) or no consent (registration_card.no_consent)"),
        Endpoint::new(Get, "/v1/sheets/{id}/judgment", FullSession, "Machine judgment (機械判定 / 一次判定): 該当 / 非該当 / 要確認 for the diagnostic category, the severity and 軽症高額, with the reasons item by item", get(judgment::read))
            .param("id", "Sheet id")
            .query::<judgment::JudgmentParams>()
            .json::<Judgment>(200, "The judgment")
            .error(404, "No such sheet, or not one the caller may read"),
        Endpoint::new(Post, "/v1/sheets/{id}/consent", FullSession, "A municipal officer records the patient's answer to research use (研究利用同意); consent on a confirmed sheet enqueues its delivery to the national DB, a refusal withdraws one not yet made", post(consent::record))
            .param("id", "Sheet id")
            .json_body::<consent::ConsentRequest>()
            .json::<consent::ConsentView>(200, "The consent recorded and what it means for the delivery")
            .error(404, "No such sheet, or not one the caller may read"),
        Endpoint::new(Post, "/v1/sheets/{id}/renew", FullSession, "Renewal (前回値踏襲): start this year's draft (更新) from the patient's last confirmed sheet of this disease; every carried value is listed in provenance.carried_over until someone changes it or clears its mark, and confirmation clears them. From another hospital only where the patient's consent was recorded", post(renewals::renew))
            .param("id", "A confirmed sheet of the patient (from another hospital: the sheet the consent names)")
            .json::<sheets::SheetView>(201, "The new draft")
            .json::<sheets::SheetView>(200, "The draft this renewal made before (asking again is idempotent)")
            .error(403, "Only hospital doctors and clerks renew (access.denied)")
            .error(404, "No such sheet, or another hospital's without the patient's consent")
            .error(409, "No confirmed sheet to renew from (renewal.not_confirmed)"),
        Endpoint::new(Post, "/v1/sheets/{id}/carryover-consent", FullSession, "Record the patient's consent that another hospital may renew from this sheet (by the sheet's hospital or its municipality)", post(renewals::consent))
            .param("id", "Sheet id")
            .json_body::<renewals::CarryoverConsentRequest>()
            .json::<renewals::CarryoverConsentView>(200, "Recorded (recording it again changes nothing)")
            .error(404, "No such sheet (or not the caller's)")
            .error(422, "Not a hospital's organisation id (renewal.organisation)"),
        Endpoint::new(Get, "/v1/templates/{kind}/{number}/questionnaire", FullSession, "A disease template as a FHIR Questionnaire", get(templates::questionnaire))
            .param("kind", "nanbyo (指定難病) or shoman (小慢)")
            .param("number", "The notified number (49), or group-number for 小慢 (7-1)")
            .answer(200, "The Questionnaire", FHIR_JSON, object)
            .error(404, "No template for that disease"),
        Endpoint::new(Get, "/fhir/Questionnaire/{slug}", FullSession, "A form's FHIR Questionnaire at its canonical URL, which the QuestionnaireResponses of ?format=fhir name (with the form's version after |)", get(templates::canonical))
            .param("slug", "The form: nanbyo-049 (指定難病 by notified number), shoman-07-001 (小慢 by group and number), or nanbyo-common / shoman-common")
            .answer(200, "The Questionnaire", FHIR_JSON, object)
            .error(404, "No such form, or a disease without a template (not_found)"),
        // ---------------------------------------------------------------- review of OCR
        Endpoint::new(Get, "/v1/review", FullSession, "Values read by OCR that wait for a person (municipal officers: their municipality's queue)", get(review::list))
            .query::<review::ListParams>()
            .json::<review::ReviewList>(200, "Open review tasks, oldest first"),
        Endpoint::new(Post, "/v1/review/{id}", FullSession, "Record the value the reviewer reads in the box; the sheet is checked again", post(review::resolve))
            .param("id", "Review task id")
            .json_body::<review::ReviewAnswer>()
            .json::<review::ReviewOutcome>(200, "Resolved")
            .error(404, "No such task visible to the caller")
            .error(409, "Resolved already, or the sheet is registered (review.resolved)")
            .error(422, "The value does not fit the field (review.invalid_value)"),
        Endpoint::new(Get, "/v1/review/{id}/image", FullSession, "The box as scanned and straightened", get(review::image))
            .param("id", "Review task id")
            .answer(200, "PNG", "image/png", binary)
            .error(404, "No such task visible to the caller"),
        // ---------------------------------------------------------------- deliveries
        Endpoint::new(Get, "/v1/deliveries", FullSession, "The outbox to the national DB (administrators)", get(deliveries::list))
            .query::<deliveries::ListParams>()
            .json::<Vec<Delivery>>(200, "Deliveries, newest first"),
        Endpoint::new(Get, "/v1/deliveries/{id}", FullSession, "One delivery with its attempts' outcome (administrators)", get(deliveries::read))
            .param("id", "Delivery id")
            .json::<Delivery>(200, "The delivery")
            .error(404, "No such delivery"),
        Endpoint::new(Post, "/v1/deliveries/{id}/retry", FullSession, "Retry a dead letter with a fresh budget (administrators)", post(deliveries::retry))
            .param("id", "Delivery id")
            .json::<Delivery>(200, "The delivery, pending again")
            .error(404, "No such delivery")
            .error(409, "Not a dead letter"),
        Endpoint::new(Post, "/v1/deliveries/{id}/discard", FullSession, "Discard a dead letter (administrators)", post(deliveries::discard))
            .param("id", "Delivery id")
            .json::<Delivery>(200, "The delivery, discarded")
            .error(404, "No such delivery")
            .error(409, "Not a dead letter"),
        // ---------------------------------------------------------------- doctors
        Endpoint::new(Post, "/v1/doctors", FullSession, "Register one designated doctor (指定医) and their account (prefectures, administrators)", post(doctors::register_one))
            .json_body::<crate::doctors::DoctorEntry>()
            .json::<doctors::RegistrationView>(201, "Registered; the notice PDF carries the initial password")
            .error(422, "The entry is invalid or outside the caller's prefecture (roster.invalid, with its problems)"),
        Endpoint::new(Post, "/v1/doctors/import", FullSession, "Register a roster of designated doctors (CSV, UTF-8 or CP932); all or nothing", post(doctors::import))
            .binary_body(&["text/csv", "application/octet-stream"])
            .json::<doctors::RegistrationView>(201, "Registered; the notice PDF carries the initial passwords")
            .error(413, "Body over the configured limit (roster.too_large)")
            .error(422, "Problems located by line (roster.invalid, with its problems); nothing registered"),
        Endpoint::new(Get, "/v1/doctors/imports/{batch}/notice.pdf", FullSession, "The printable notice of a registration batch with the initial passwords", get(doctors::notice))
            .param("batch", "Batch id from the registration")
            .answer(200, "The notice", PDF, binary)
            .error(404, "No such batch of the caller's"),
        // ---------------------------------------------------------------- applications
        Endpoint::new(Get, "/v1/applications", FullSession, "The municipality's applications, without personal data", get(applications::list))
            .reads(RecordKind::Application)
            .query::<applications::ListParams>()
            .json::<Vec<ApplicationListing>>(200, "Applications by 受付番号")
            .error(400, "Unknown status (application.bad_status)"),
        Endpoint::new(Post, "/v1/applications/import", FullSession, "Import a Mynaportal 申請管理 download (ZIP of application XML and attachments; municipal officers). Atomic per download; importing it again changes nothing", post(applications::import))
            .reads(RecordKind::Application)
            .query::<applications::ImportParams>()
            .binary_body(&["application/zip", "application/octet-stream"])
            .json::<applications::ImportView>(200, "Per-application results")
            .error(400, "Unknown mapping, or an empty body")
            .error(413, "Body over the configured limit")
            .error(415, "Not a ZIP, an entry in an encoding not read, or an encrypted entry")
            .error(422, "The download is broken or hostile (truncated, path traversal, zip bomb, bad XML, bad 受付番号); names the entry, line and element; nothing stored"),
        Endpoint::new(Get, "/v1/applications/status-export", FullSession, "CSV of 受付番号 and 処理状況 for Mynaportal's bulk status update (columns, labels and encoding from the mapping's [status_export])", get(applications::status_export))
            .reads(RecordKind::Application)
            .query::<applications::ExportParams>()
            .answer(200, "The CSV (CP932 or UTF-8)", "text/csv", binary)
            .error(400, "Unknown status or mapping")
            .error(422, "A label cannot be written in CP932"),
        Endpoint::new(Get, "/v1/applications/{receipt_number}", FullSession, "One application with applicant, patient, access key, attachments and the statuses it may move to", get(applications::read))
            .param("receipt_number", "受付番号 (15 digits)")
            .json::<applications::ApplicationView>(200, "The application")
            .error(404, "No such application at the caller's municipality"),
        Endpoint::new(Get, "/v1/applications/{receipt_number}/attachments/{index}", FullSession, "One attachment (添付ファイル) of an application, by its place in the application's attachments (0-based), as received: its media type (PDF, JPEG, PNG; anything else application/octet-stream), a download named as the applicant named it; audited with the patient", get(application_files::read))
            .param("receipt_number", "受付番号 (15 digits)")
            .param("index", "The attachment's place in the application's attachments, from 0")
            .answer(200, "The file", PDF, binary)
            .answer(200, "The file", "image/jpeg", binary)
            .answer(200, "The file", "image/png", binary)
            .answer(200, "The file", "application/octet-stream", binary)
            .error(404, "No such application at the caller's municipality, or no such attachment"),
        Endpoint::new(Post, "/v1/applications/{receipt_number}/status", FullSession, "Move an application's status (状態遷移): open statuses may move to any but 提出済; 完了, 却下 and 取消受付 are final", post(applications::set_status))
            .param("receipt_number", "受付番号 (15 digits)")
            .json_body::<applications::StatusRequest>()
            .json::<applications::StatusView>(200, "Moved, or already there (changed: false)")
            .error(404, "No such application at the caller's municipality")
            .error(409, "Not an allowed transition"),
        Endpoint::new(Get, "/v1/applications/accepted-apps", FullSession, "The apps the officer's municipality accepts applications from (the intake API's allow-list)", get(intake::accepted_apps))
            .json::<intake::AcceptedApps>(200, "The apps accepted, by id"),
        Endpoint::new(Post, "/v1/applications/accepted-apps", FullSession, "Accept applications from an app, or stop accepting them (municipal officers, for their municipality); audited", post(intake::set_acceptance))
            .json_body::<intake::AcceptanceRequest>()
            .json::<intake::AcceptedApps>(200, "The list as it now is")
            .error(404, "No app of that id (intake.unknown_app)"),
        // ---------------------------------------------------------------- intake (apps)
        Endpoint::new(Post, "/v1/intake/applications", App, "An app delivers an application (新規 / 更新 / 変更) with the sheet's access key, the self-information it retrieved and its attachments (PDF, JPEG, PNG, base64; a paper sheet — a PDF, or its pages as images in order — is scanned into the municipality's review queue and linked), into the municipality's applications inbox (channel app:<code>). Idempotent by the app's own key: the Idempotency-Key header or idempotency_key. The body may be up to the gateway's max_body_bytes", post(intake::submit))
            .json_body::<intake::IntakeRequest>()
            .json::<intake::IntakeView>(201, "Received: the receipt, with the 受付番号 the gateway gave it")
            .json::<intake::IntakeView>(200, "The same request again under its key: the same receipt, replayed: true")
            .error(403, "The municipality does not accept applications from this app (intake.not_accepted), or the credential is another app's (intake.wrong_organisation)")
            .error(409, "The idempotency key was used for another request (intake.idempotency_conflict); nothing stored")
            .error(413, "An attachment over 10 MiB decoded (intake.attachment_too_large), or a body over max_body_bytes (request.too_large); nothing stored")
            .error(422, "No idempotency key (intake.idempotency_key), an unknown municipality (intake.unknown_municipality), a malformed access key (access_key.malformed), values that cannot be read (intake.invalid_application, located), more than 10 attachments (intake.too_many_attachments), or an attachment with a bad file name (intake.attachment_file_name), media type (intake.attachment_media_type), base64 (intake.attachment_encoding), or first bytes not of its media type (intake.attachment_disguised), located; nothing stored"),
        Endpoint::new(Get, "/v1/intake/applications/{id}", App, "Where one of the app's applications is: 処理中, 要再申請, 完了, 却下 or 取消受付, and once certified the 受給者番号 and validity", get(intake::read))
            .param("id", "The application id of the receipt")
            .json::<intake::IntakeView>(200, "The application's status")
            .error(404, "No such application of this app"),
        Endpoint::new(Post, "/v1/intake/applications/{id}/withdraw", App, "The applicant withdraws (取消) an application still open: it becomes 取消受付; the same again answers the same", post(intake::withdraw))
            .param("id", "The application id of the receipt")
            .json::<intake::IntakeView>(200, "The application, withdrawn")
            .error(404, "No such application of this app")
            .error(409, "It is final already, 完了 or 却下 (intake.not_open)"),
        Endpoint::new(Put, "/v1/intake/webhook", App, "Set (or replace) the app's webhook: each status change of its applications is posted there, signed (Standard Webhooks: Webhook-Id, Webhook-Timestamp, Webhook-Signature v1 HMAC-SHA256) and retried with backoff; answers a new signing secret, this once; audited", put(intake_webhook::set))
            .json_body::<intake_webhook::WebhookRequest>()
            .json::<intake_webhook::WebhookRegistered>(200, "Set: the endpoint and its new secret")
            .error(422, "Not an https URL, or one with credentials or a fragment (intake.webhook_url)"),
        Endpoint::new(Get, "/v1/intake/webhook", App, "The app's webhook: its endpoint, when and by whom it was set, and its events pending and failed (never the secret); audited", get(intake_webhook::read))
            .json::<crate::store::AppWebhook>(200, "The webhook")
            .error(404, "The app has no webhook (intake.no_webhook)"),
        Endpoint::new(Delete, "/v1/intake/webhook", App, "Remove the app's webhook: nothing more is posted, and events still pending are cancelled; audited", delete(intake_webhook::remove))
            .empty(204, "Removed")
            .error(404, "The app has no webhook (intake.no_webhook)"),
        // ---------------------------------------------------------------- certifications
        Endpoint::new(Post, "/v1/certifications/convert", FullSession, "Read a municipal back office's decision file (CSV or fixed-length, CP932) with a layout, storing nothing (municipal officers, integrators)", post(certifications::convert))
            .reads(RecordKind::Certification)
            .query::<certifications::ConvertParams>()
            .binary_body(&["text/csv", "text/plain", "application/octet-stream"])
            .json::<certifications::CertificationConversionView>(200, "Every decision of the file, with findings located by line and column or byte")
            .error(400, "Unknown or invalid layout, missing ?layout= (municipal.layout_required), or an empty body")
            .error(413, "Body over the configured limit")
            .error(415, "Bytes that are not Shift_JIS (CP932) / UTF-8; located by line and byte")
            .error(422, "A broken file (wrong record length, field count, unknown decision); located"),
        Endpoint::new(Post, "/v1/certifications/import", FullSession, "Apply a decision file (municipal officers). All or nothing: each decision stored, merged into its linked sheet's 行政記載欄, the application moved to 完了, the research consent recorded; the same file again changes nothing", post(certifications::import))
            .reads(RecordKind::Certification)
            .query::<certifications::ConvertParams>()
            .binary_body(&["text/csv", "text/plain", "application/octet-stream"])
            .json::<certifications::CertificationImportView>(200, "Per-application outcome, status and delivery outlook")
            .error(400, "Unknown or invalid layout, missing ?layout=, or an empty body")
            .error(409, "An application not linked to a sheet yet (certification.unlinked_application); located; nothing applied")
            .error(413, "Body over the configured limit")
            .error(415, "Bytes that are not Shift_JIS (CP932) / UTF-8; located")
            .error(422, "A broken file, a record with error findings (certification.invalid_record, with its findings) or a 受付番号 of no application (certification.unknown_application); located; nothing applied"),
        Endpoint::new(Get, "/v1/certifications/issuing-file", FullSession, "The 受給者証 issuing file for the back office: the municipality's certified decisions in a layout, patient fields from the applications", get(issuing::issuing_file))
            .reads(RecordKind::Certification)
            .query::<issuing::IssuingParams>()
            .answer(200, "The file in the layout's encoding", "text/csv", binary)
            .answer(200, "The file in the layout's encoding", "text/plain", binary)
            .error(400, "Unknown or invalid layout")
            .error(422, "A stored value cannot be written in the layout; names the 受付番号 and field"),
        Endpoint::new(Get, "/v1/certifications/{receipt_number}/pmh", FullSession, "One certified decision as the JSON of the PMH hub's 医療費助成対象者情報登録API, patient fields from the application", get(issuing::pmh))
            .param("receipt_number", "受付番号 (15 digits)")
            .json::<kakehashi_adapter_municipal::PmhRegistration>(200, "The registration")
            .error(404, "No decision on that application at the caller's municipality")
            .error(422, "Not registrable (pmh.not_certified, pmh.missing, pmh.insurer_number …)"),
        // ---------------------------------------------------------------- audit
        Endpoint::new(Get, "/v1/audit", FullSession, "The audit trail (administrators; hospital and municipal staff see their organisation's)", get(audit::query))
            .query::<AuditQuery>()
            .json::<Vec<AuditRecord>>(200, "Audit records, oldest first"),
        Endpoint::new(Get, "/v1/audit/fhir", FullSession, "The same records as a FHIR Bundle of AuditEvent", get(audit::fhir))
            .query::<AuditQuery>()
            .answer(200, "A FHIR Bundle of AuditEvent", "application/json", object),
    ]
}
