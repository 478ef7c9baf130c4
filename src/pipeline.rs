//! The pipeline: receive → journal the raw input → adapt → check → store. Each step is
//! idempotent and the first one is durable before anything is acknowledged, so a crash at any
//! point loses nothing: journaled submissions that never completed are resumed at start-up and
//! every little while after ([`Pipeline::resume_pending`], [`Pipeline::keep_resuming`]), and
//! sending the same bytes again returns the same submission and sheet ids without creating
//! anything.
//!
//! Once journaled, a submission is processed on a task of its own: a client that hangs up, a
//! request timeout or a panic in the request's task cannot leave it half done. A panic inside
//! an adapter rejects the submission with `submission.internal_error` (the journal keeps the
//! bytes) instead of retrying it forever.

use std::collections::HashSet;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use kakehashi_adapter_csv::CsvAdapter;
use kakehashi_adapter_fhir::FhirAdapter;
use kakehashi_adapter_scan::{ScanAdapter, ScanOptions};
use kakehashi_sdk::{Adapter, Finding, Input, MappingContext, OcrReading, Record, Severity};
use sha2::{Digest, Sha256};
use tracing::Instrument;
use uuid::Uuid;

use crate::auth::Principal;
use crate::catalog::Catalog;
use crate::checks::{CheckContext, check_sheet};
use crate::store::{
    AuditEvent, CheckedSheet, Completion, NewReview, RawInput, Rejection, RejectionKind,
    ReviewDetail, Store, StoreError, SubmissionRecord, SubmissionStatus,
};

/// Namespace of submission ids (UUID v5 of the sender's organisation, the input's hash, the
/// adapter and the mapping).
const SUBMISSION_NAMESPACE: Uuid = Uuid::from_u128(0x6b616b65_6861_7368_6900_737562000001);

/// Lower-case hex SHA-256 of a document: its address in the journal.
pub fn content_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Today in Japan (JST, UTC+9, no daylight saving), the calendar the forms are dated in.
pub fn today_in_japan() -> NaiveDate {
    (Utc::now() + chrono::Duration::hours(9)).date_naive()
}

/// Why a submission could not be taken at all (nothing was journaled).
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("no adapter named `{0}`")]
    UnknownAdapter(String),
    #[error("no adapter reads this input (content type {0})")]
    UnsupportedMedia(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("conversion worker failed: {0}")]
    Worker(String),
}

/// A submission to take.
#[derive(Debug, Clone)]
pub struct Submission {
    pub body: bytes::Bytes,
    pub content_type: Option<String>,
    /// Adapter asked for by name; otherwise the first whose `sniff` accepts the input.
    pub adapter: Option<String>,
    pub mapping: Option<String>,
    /// The municipality it is for (`municipality:<code>`), when the sender names one.
    pub municipality_id: Option<String>,
    /// Who sends it: owner of what it creates, and the actor in the audit trail.
    pub sender: Principal,
}

/// The gateway's pipeline, shared by the API handlers.
#[derive(Clone)]
pub struct Pipeline {
    store: Arc<dyn Store>,
    catalog: Arc<Catalog>,
    adapters: Vec<Arc<dyn Adapter>>,
    in_flight: InFlight,
}

/// Ids of the submissions this process is converting now, so that resuming never starts a
/// second conversion of one already under way.
#[derive(Clone, Default)]
struct InFlight(Arc<Mutex<HashSet<String>>>);

impl InFlight {
    /// Claims `id`; None when it is already being processed.
    fn claim(&self, id: &str) -> Option<Claim> {
        let mut ids = self.0.lock().unwrap_or_else(|e| e.into_inner());
        ids.insert(id.to_owned()).then(|| Claim {
            ids: self.clone(),
            id: id.to_owned(),
        })
    }
}

/// A claimed submission id, released when dropped (also when the task holding it panics).
struct Claim {
    ids: InFlight,
    id: String,
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.ids
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.id);
    }
}

impl Pipeline {
    pub fn new(store: Arc<dyn Store>, catalog: Arc<Catalog>) -> Self {
        Self {
            store,
            catalog,
            adapters: builtin_adapters(),
            in_flight: InFlight::default(),
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    /// Checks an edited sheet as a submitted one is checked.
    pub fn check(&self, sheet: &mut kakehashi_sdk::Sheet) -> Vec<Finding> {
        check_sheet(
            sheet,
            &CheckContext {
                diseases: &self.catalog.diseases,
                templates: &self.catalog.templates,
                today: today_in_japan(),
            },
        )
    }

    fn adapter_named(&self, name: &str) -> Result<Arc<dyn Adapter>, SubmitError> {
        self.adapters
            .iter()
            .find(|a| a.name() == name)
            .cloned()
            .ok_or_else(|| SubmitError::UnknownAdapter(name.to_owned()))
    }

    fn adapter_for(
        &self,
        body: &[u8],
        content_type: Option<&str>,
        name: Option<&str>,
    ) -> Result<Arc<dyn Adapter>, SubmitError> {
        if let Some(name) = name {
            return self.adapter_named(name);
        }
        let input = Input {
            bytes: body,
            content_type,
            sha256: "",
        };
        self.adapters
            .iter()
            .find(|a| a.sniff(&input))
            .cloned()
            .ok_or_else(|| {
                SubmitError::UnsupportedMedia(content_type.unwrap_or("not given").to_owned())
            })
    }

    /// Takes a submission: journals it durably, converts and checks it, stores the outcome.
    /// Returns the submission as stored; a resubmission of the same bytes returns the earlier
    /// one untouched.
    pub async fn submit(
        &self,
        submission: Submission,
    ) -> Result<(SubmissionRecord, bool), SubmitError> {
        let adapter = self.adapter_for(
            &submission.body,
            submission.content_type.as_deref(),
            submission.adapter.as_deref(),
        )?;
        let sha256 = content_hash(&submission.body);
        let mapping = submission.mapping.clone().unwrap_or_default();
        let organisation_id = submission.sender.organisation_id.clone();
        let record = SubmissionRecord {
            id: submission_id(&organisation_id, &sha256, adapter.name(), &mapping),
            organisation_id,
            municipality_id: submission.municipality_id.clone(),
            sha256: sha256.clone(),
            adapter: adapter.name().to_owned(),
            mapping,
            status: SubmissionStatus::Received,
            received_at: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            completed_at: None,
            error: None,
        };
        let raw = RawInput {
            sha256: &sha256,
            content_type: submission.content_type.as_deref(),
            body: &submission.body,
        };
        // Claimed before it is journaled, so that the resuming loop never picks it up while
        // this request processes it.
        let claim = self.in_flight.claim(&record.id);
        let stored = self.store.journal(raw, &record).await?;
        let audit = submission
            .sender
            .audit("submission.create", "duplicate")
            .on("submission", &stored.id);
        if stored.status != SubmissionStatus::Received {
            self.store.append_audit(&audit).await?;
            return Ok((stored, false));
        }
        let Some(claim) = claim else {
            // The same bytes are being processed for an earlier request right now: wait for
            // that one instead of converting twice.
            let done = self.wait_for(&stored.id).await?;
            self.store.append_audit(&audit).await?;
            return Ok((done, false));
        };
        let done = self
            .process_detached(
                claim,
                stored,
                adapter,
                submission.body,
                submission.content_type,
                audit,
            )
            .await?;
        Ok((done, true))
    }

    /// Polls a submission another task is processing until it is no longer `received`.
    async fn wait_for(&self, id: &str) -> Result<SubmissionRecord, SubmitError> {
        loop {
            match self.store.submission(id).await? {
                Some(record) if record.status != SubmissionStatus::Received => return Ok(record),
                None => return Err(SubmitError::Worker(format!("submission {id} vanished"))),
                Some(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    /// Processes a journaled submission on a task of its own and waits for it: if the caller
    /// goes away, the processing still finishes.
    async fn process_detached(
        &self,
        claim: Claim,
        record: SubmissionRecord,
        adapter: Arc<dyn Adapter>,
        body: bytes::Bytes,
        content_type: Option<String>,
        audit: AuditEvent,
    ) -> Result<SubmissionRecord, SubmitError> {
        let span = tracing::info_span!("submission", id = %record.id, adapter = %record.adapter, bytes = body.len());
        let pipeline = self.clone();
        let task = tokio::spawn(
            async move {
                let _claim = claim;
                pipeline
                    .process(record, adapter, body, content_type, audit)
                    .await
            }
            .instrument(span),
        );
        task.await.map_err(|e| {
            crate::metrics::record_panic();
            SubmitError::Worker(format!("processing task failed: {e}"))
        })?
    }

    /// Converts and checks a document without storing anything.
    pub async fn dry_run(
        &self,
        body: bytes::Bytes,
        content_type: Option<String>,
        adapter: Option<String>,
        mapping: Option<String>,
    ) -> Result<Completion, SubmitError> {
        let adapter = self.adapter_for(&body, content_type.as_deref(), adapter.as_deref())?;
        let sha256 = content_hash(&body);
        self.convert_in_worker(
            adapter,
            body,
            content_type,
            sha256,
            mapping,
            "dry-run".into(),
        )
        .await
    }

    /// Converts and checks a document on a blocking worker thread. A panic in the adapter or
    /// the checks becomes a rejection (`submission.internal_error`), so that a document that
    /// trips a bug is answered and never retried in a loop.
    async fn convert_in_worker(
        &self,
        adapter: Arc<dyn Adapter>,
        body: bytes::Bytes,
        content_type: Option<String>,
        sha256: String,
        mapping: Option<String>,
        submission_id: String,
    ) -> Result<Completion, SubmitError> {
        let catalog = self.catalog.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            span.in_scope(|| {
                let input = Input {
                    bytes: &body,
                    content_type: content_type.as_deref(),
                    sha256: &sha256,
                };
                std::panic::catch_unwind(AssertUnwindSafe(|| {
                    convert(
                        adapter.as_ref(),
                        &catalog,
                        &input,
                        mapping.as_deref(),
                        &submission_id,
                        today_in_japan(),
                    )
                }))
                .unwrap_or_else(|_| {
                    crate::metrics::record_panic();
                    tracing::error!("the conversion panicked; the submission is rejected");
                    Completion::Rejected(internal_rejection(adapter.name()))
                })
            })
        })
        .await
        .map_err(|e| SubmitError::Worker(e.to_string()))
    }

    /// Converts, checks and stores a journaled submission.
    async fn process(
        &self,
        record: SubmissionRecord,
        adapter: Arc<dyn Adapter>,
        body: bytes::Bytes,
        content_type: Option<String>,
        audit: AuditEvent,
    ) -> Result<SubmissionRecord, SubmitError> {
        let mapping = (!record.mapping.is_empty()).then(|| record.mapping.clone());
        let completion = self
            .convert_in_worker(
                adapter,
                body,
                content_type,
                record.sha256.clone(),
                mapping,
                record.id.clone(),
            )
            .await?;
        let outcome = match &completion {
            Completion::Accepted(sheets) => {
                crate::metrics::record_accepted(sheets);
                format!("accepted: {} sheets", sheets.len())
            }
            Completion::Rejected(r) => {
                crate::metrics::record_rejected();
                format!("rejected: {}", r.code)
            }
        };
        tracing::info!(%outcome, "submission processed");
        self.store
            .complete(
                &record.id,
                &completion,
                &audit.outcome("ok").with_detail(outcome),
            )
            .await?;
        Ok(self.store.submission(&record.id).await?.unwrap_or(record))
    }

    /// Finishes submissions that were journaled but never completed (a crash, or a task that
    /// died) and that no task of this process is working on. A submission that cannot be
    /// finished now is logged and left for the next round; returns how many were finished.
    pub async fn resume_pending(&self) -> Result<usize, SubmitError> {
        let pending = self.store.pending_submissions().await?;
        let mut finished = 0;
        for record in pending {
            let Some(claim) = self.in_flight.claim(&record.id) else {
                continue;
            };
            let id = record.id.clone();
            match self.resume(claim, record).await {
                Ok(()) => finished += 1,
                Err(e) => {
                    tracing::error!(%id, error = %e, "could not resume a journaled submission; will try again")
                }
            }
        }
        Ok(finished)
    }

    async fn resume(&self, claim: Claim, record: SubmissionRecord) -> Result<(), SubmitError> {
        let Some((content_type, body)) = self.store.raw_input(&record.sha256).await? else {
            return Err(SubmitError::Worker("its journaled input is missing".into()));
        };
        let adapter = self.adapter_named(&record.adapter)?;
        tracing::info!(id = %record.id, "resuming a journaled submission that was never completed");
        let audit = AuditEvent {
            actor: "system:recovery".into(),
            organisation: Some(record.organisation_id.clone()),
            action: "submission.create".into(),
            ..AuditEvent::default()
        }
        .on("submission", &record.id);
        self.process_detached(claim, record, adapter, body.into(), content_type, audit)
            .await?;
        Ok(())
    }

    /// Resumes stranded submissions every `every`, for as long as the gateway runs.
    pub async fn keep_resuming(self, every: Duration) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            match self.resume_pending().await {
                Ok(0) => {}
                Ok(resumed) => tracing::warn!(resumed, "finished stranded submissions"),
                Err(e) => tracing::error!(error = %e, "looking for stranded submissions failed"),
            }
        }
    }
}

/// The rejection of a document whose conversion panicked.
fn internal_rejection(adapter: &str) -> Rejection {
    Rejection {
        kind: RejectionKind::Internal,
        code: "submission.internal_error".into(),
        message: format!(
            "the {adapter} adapter failed unexpectedly on this document; it is journaled and the failure is logged for the operator"
        ),
        message_ja: format!(
            "{adapter} アダプターがこの文書の処理中に予期せず失敗しました。文書は保存済みで、障害は運用者向けに記録されています"
        ),
        location: None,
    }
}

/// Adapters built into the gateway.
pub fn builtin_adapters() -> Vec<Arc<dyn Adapter>> {
    // FHIR first: JSON has commas, and the CSV adapter's sniff takes any text with commas.
    // The scan adapter sniffs only PDFs; its OCR threads start with its first scan.
    vec![
        Arc::new(FhirAdapter),
        Arc::new(ScanAdapter::new(ScanOptions::default())),
        Arc::new(CsvAdapter),
    ]
}

/// Converts and checks one document: pure, no store — the CLI's `convert` and the API share it.
pub fn convert(
    adapter: &dyn Adapter,
    catalog: &Catalog,
    input: &Input<'_>,
    mapping: Option<&str>,
    submission_id: &str,
    today: NaiveDate,
) -> Completion {
    let context = MappingContext {
        diseases: &catalog.diseases,
        templates: &catalog.templates,
        mappings: &catalog.mappings,
        mapping,
    };
    let checks = CheckContext {
        diseases: &catalog.diseases,
        templates: &catalog.templates,
        today,
    };
    match adapter.convert(input, &context) {
        Err(e) => Completion::Rejected(Rejection::from(&e)),
        Ok(records) => Completion::Accepted(
            records
                .into_iter()
                .enumerate()
                .filter_map(|(index, converted)| match converted.record {
                    Record::Sheet(mut sheet) => {
                        let mut findings: Vec<Finding> = converted.findings;
                        findings.extend(check_sheet(&mut sheet, &checks));
                        let id = sheet_id(submission_id, index);
                        Some(CheckedSheet {
                            reviews: reviews_for(&id, converted.readings, &findings),
                            id,
                            sheet: *sheet,
                            findings,
                        })
                    }
                    // Applications arrive through `/v1/applications/import`, certifications
                    // with a later adapter; a submission stores sheets only.
                    Record::Application(_) | Record::Certification(_) => None,
                })
                .collect(),
        ),
    }
}

/// The OCR readings a person must check: those the adapter doubts (for its reasons) and those
/// whose value an error finding refuses (a wrong check digit, an impossible date, a required
/// box left blank). The task id is a UUIDv5 of sheet and target, so a rerun makes the same task.
fn reviews_for(sheet_id: &str, readings: Vec<OcrReading>, findings: &[Finding]) -> Vec<NewReview> {
    let namespace = Uuid::parse_str(sheet_id).unwrap_or(SUBMISSION_NAMESPACE);
    readings
        .into_iter()
        .filter_map(|mut r| {
            let mut reasons = std::mem::take(&mut r.review);
            for f in findings {
                if f.severity == Severity::Error
                    && f.item.as_deref() == Some(r.target.as_str())
                    && !reasons.contains(&f.code)
                {
                    reasons.push(f.code.clone());
                }
            }
            (!reasons.is_empty()).then(|| NewReview {
                id: Uuid::new_v5(&namespace, r.target.as_bytes()).to_string(),
                target: r.target,
                confidence: r.confidence,
                detail: ReviewDetail {
                    label: r.label,
                    read: r.text,
                    reasons,
                    location: r.location,
                },
                image_png: r.image_png,
            })
        })
        .collect()
}

/// Deterministic submission id: the same organisation sending the same bytes the same way
/// gets the same submission; another organisation sending them gets its own.
pub fn submission_id(organisation_id: &str, sha256: &str, adapter: &str, mapping: &str) -> String {
    Uuid::new_v5(
        &SUBMISSION_NAMESPACE,
        format!("{organisation_id}\n{sha256}\n{adapter}\n{mapping}").as_bytes(),
    )
    .to_string()
}

/// Deterministic sheet id: the same record of the same submission always gets the same id.
pub fn sheet_id(submission_id: &str, index: usize) -> String {
    let namespace = Uuid::parse_str(submission_id).unwrap_or(SUBMISSION_NAMESPACE);
    Uuid::new_v5(&namespace, index.to_string().as_bytes()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SqliteStore;

    const CSV: &str = "告示番号,氏名,カナ,生年月日,性別\n2,山田太郎,ヤマダ タロウ,S50.1.2,男\n6,佐藤花子,サトウ ハナコ,1960-03-04,女\n";
    const MAPPING: &str = r#"
description = "test"
[[columns]]
column = "告示番号"
field = "disease.number"
[[columns]]
column = "氏名"
field = "patient.name"
[[columns]]
column = "カナ"
field = "patient.name_kana"
[[columns]]
column = "生年月日"
field = "patient.date_of_birth"
[[columns]]
column = "性別"
field = "patient.sex"
"#;

    fn catalog() -> Arc<Catalog> {
        let mut catalog = Catalog::load(None).unwrap();
        catalog
            .mappings
            .insert("csv", "test", "test.toml", MAPPING.to_owned());
        Arc::new(catalog)
    }

    #[test]
    fn doubted_readings_and_readings_a_check_refuses_go_to_review_once() {
        let reading = |target: &str, doubted: bool| OcrReading {
            target: target.into(),
            label: target.into(),
            text: Some("1234567".into()),
            confidence: if doubted { 0.4 } else { 0.95 },
            review: if doubted {
                vec!["ocr.low_confidence".into()]
            } else {
                Vec::new()
            },
            location: kakehashi_sdk::SourceLocation::default(),
            image_png: vec![0x89],
        };
        let findings = [
            Finding::error(
                "identifier.check_digit",
                Some("administrative.recipient_number"),
                "wrong check digit",
                "検証番号が正しくありません",
            ),
            Finding::new(
                Severity::Warning,
                "date.future",
                Some("patient.name"),
                "a warning",
                "警告",
            ),
        ];
        let sheet = sheet_id(&submission_id("o", "s", "scan", ""), 0);
        let tasks = reviews_for(
            &sheet,
            vec![
                reading("administrative.recipient_number", false),
                reading("patient.name", false),
                reading("patient.name_kana", true),
            ],
            &findings,
        );
        let reasons: Vec<(&str, Vec<String>)> = tasks
            .iter()
            .map(|t| (t.target.as_str(), t.detail.reasons.clone()))
            .collect();
        assert_eq!(
            reasons,
            [
                (
                    "administrative.recipient_number",
                    vec!["identifier.check_digit".to_owned()]
                ),
                ("patient.name_kana", vec!["ocr.low_confidence".to_owned()]),
            ]
        );
        // The same sheet and target always make the same task.
        let again = reviews_for(&sheet, vec![reading("patient.name_kana", true)], &[]);
        assert_eq!(again[0].id, tasks[1].id);
    }

    /// An adapter with a bug: it panics on every document.
    struct PanickingAdapter;

    impl Adapter for PanickingAdapter {
        fn name(&self) -> &'static str {
            "panicking"
        }
        fn sniff(&self, _: &Input<'_>) -> bool {
            true
        }
        fn convert(
            &self,
            input: &Input<'_>,
            _: &MappingContext<'_>,
        ) -> Result<Vec<kakehashi_sdk::Converted>, kakehashi_sdk::AdapterError> {
            let records: Vec<kakehashi_sdk::Converted> = Vec::new();
            // Out of bounds: the kind of slip a real adapter might make on odd input.
            let _first = &records[input.bytes.len()];
            Ok(records)
        }
    }

    fn journaled(sha: &str) -> SubmissionRecord {
        SubmissionRecord {
            id: submission_id("hospital:1310000017", sha, "csv", "test"),
            organisation_id: "hospital:1310000017".into(),
            municipality_id: None,
            sha256: sha.to_owned(),
            adapter: "csv".into(),
            mapping: "test".into(),
            status: SubmissionStatus::Received,
            received_at: "2026-11-21T00:00:00.000Z".into(),
            completed_at: None,
            error: None,
        }
    }

    #[tokio::test]
    async fn a_panicking_adapter_rejects_the_document_instead_of_failing_the_worker() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_for_tests(dir.path()).await);
        let pipeline = Pipeline::new(store, catalog());
        let completion = pipeline
            .convert_in_worker(
                Arc::new(PanickingAdapter),
                bytes::Bytes::from_static(b"abc"),
                None,
                "sha".into(),
                None,
                "s".into(),
            )
            .await
            .expect("the worker itself survives");
        let Completion::Rejected(rejection) = completion else {
            panic!("accepted a document the adapter panicked on");
        };
        assert_eq!(rejection.code, "submission.internal_error");
        assert_eq!(rejection.kind, RejectionKind::Internal);
    }

    #[tokio::test]
    async fn a_submission_stranded_while_serving_is_finished_without_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_for_tests(dir.path()).await);
        let pipeline = Pipeline::new(store.clone(), catalog());
        let resuming = tokio::spawn(pipeline.clone().keep_resuming(Duration::from_millis(20)));
        // Journaled after the gateway started, and then left: a task that died.
        let sha = content_hash(CSV.as_bytes());
        let record = journaled(&sha);
        let raw = RawInput {
            sha256: &sha,
            content_type: Some("text/csv"),
            body: CSV.as_bytes(),
        };
        store.journal(raw, &record).await.unwrap();
        let done = tokio::time::timeout(Duration::from_secs(30), pipeline.wait_for(&record.id))
            .await
            .expect("finished while serving")
            .unwrap();
        resuming.abort();
        assert_eq!(done.status, SubmissionStatus::Accepted);
        assert_eq!(store.submission_sheets(&record.id).await.unwrap().len(), 2);
    }

    #[test]
    fn a_submission_being_processed_cannot_be_claimed_twice() {
        let in_flight = InFlight::default();
        let first = in_flight.claim("s1").expect("free");
        assert!(in_flight.claim("s1").is_none());
        assert!(in_flight.claim("s2").is_some());
        drop(first);
        assert!(in_flight.claim("s1").is_some(), "released when dropped");
    }

    #[tokio::test]
    async fn a_submission_journaled_before_a_crash_is_finished_once_at_start_up() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_for_tests(dir.path()).await);
        // The state a crash right after journaling leaves: raw input and a `received` row.
        let sha = content_hash(CSV.as_bytes());
        let record = journaled(&sha);
        let raw = RawInput {
            sha256: &sha,
            content_type: Some("text/csv"),
            body: CSV.as_bytes(),
        };
        store.journal(raw, &record).await.unwrap();

        let pipeline = Pipeline::new(store.clone(), catalog());
        assert_eq!(pipeline.resume_pending().await.unwrap(), 1);
        let done = store.submission(&record.id).await.unwrap().unwrap();
        assert_eq!(done.status, SubmissionStatus::Accepted);
        let sheets = store.submission_sheets(&record.id).await.unwrap();
        assert_eq!(sheets.len(), 2);
        assert_eq!(sheets[0].id, sheet_id(&record.id, 0));

        // Nothing is left to resume, and sending the bytes again creates nothing.
        assert_eq!(pipeline.resume_pending().await.unwrap(), 0);
        let (again, fresh) = pipeline
            .submit(Submission {
                body: bytes::Bytes::from_static(CSV.as_bytes()),
                content_type: Some("text/csv".into()),
                adapter: None,
                mapping: Some("test".into()),
                municipality_id: None,
                sender: Principal {
                    user_id: "test".into(),
                    role: crate::store::Role::Clerk,
                    organisation_id: "hospital:1310000017".into(),
                    terminal: None,
                    source: None,
                },
            })
            .await
            .unwrap();
        assert!(!fresh);
        assert_eq!(again.id, record.id);
        assert_eq!(store.submission_sheets(&record.id).await.unwrap().len(), 2);
        let audit = store
            .audit_query(&crate::store::AuditQuery::default())
            .await
            .unwrap();
        let outcomes: Vec<_> = audit
            .iter()
            .map(|a| {
                (
                    a.event.actor.as_str(),
                    a.event.outcome.as_str(),
                    a.event.detail.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            outcomes,
            [
                ("system:recovery", "ok", Some("accepted: 2 sheets")),
                ("test", "duplicate", None)
            ]
        );
    }
}
