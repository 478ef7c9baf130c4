//! The pipeline: receive → journal the raw input → adapt → check → store. Each step is
//! idempotent and the first one is durable before anything is acknowledged, so a crash at any
//! point loses nothing: journaled submissions that never completed are resumed at start-up and
//! every little while after ([`Pipeline::resume_pending`], [`Pipeline::keep_resuming`]), and
//! sending the same bytes again returns the same submission and sheet ids without creating
//! anything.
//!
//! Every document is read within the decoding budget ([`DecodeBudget`]): the most its adapter
//! says reading it may take is reserved before it is journaled or read, and held until what
//! was read is stored, so a request the budget cannot take is refused with nothing done.
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
use kakehashi_core::conversion::{CheckedRecord, Conversion, read_document, read_each};
use kakehashi_core::registry::{AdapterRegistry, LookupError};
use kakehashi_sdk::{Adapter, Finding, Input, RecordKind};
use sha2::{Digest, Sha256};
use tracing::Instrument;

use crate::catalog::Catalog;
use crate::checks::{CheckContext, check_sheet};
use crate::decode_budget::{BudgetError, DecodeBudget, Reservation};
use crate::decode_thread::on_own_thread;
use crate::metrics::SheetCounts;
use crate::store::{
    AuditEvent, CheckedSheet, Completion, RawInput, Rejection, RejectionKind, Store, StoreError,
    SubmissionRecord, SubmissionStatus,
};

pub use kakehashi_core::conversion::{convert, sheet_id, submission_id};

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
    /// No registered adapter of the intake's kind by that name, or none reads the input.
    #[error(transparent)]
    Adapter(#[from] LookupError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The decoding budget cannot take the document now (or ever, when it is too large).
    #[error(transparent)]
    Budget(#[from] BudgetError),
    #[error("conversion worker failed: {0}")]
    Worker(String),
}

/// A submission to take.
#[derive(Debug)]
pub struct Submission {
    pub body: bytes::Bytes,
    pub content_type: Option<String>,
    /// Adapter asked for by name; otherwise the first whose `sniff` accepts the input.
    pub adapter: Option<String>,
    pub mapping: Option<String>,
    /// The municipality it is for (`municipality:<code>`), when the sender names one.
    pub municipality_id: Option<String>,
    /// The organisation that owns what it creates: the sender's own, or the municipality
    /// whose paper sheet an app sent with an application (the intake API).
    pub owner_id: String,
    /// The sender's `submission.create` event: the actor, terminal and organisation the audit
    /// trail names.
    pub audit: AuditEvent,
    /// Told the submission's id as soon as it is journaled, before it is read (the console's
    /// upload shows the reading's progress from then on).
    pub on_journaled: Option<tokio::sync::oneshot::Sender<String>>,
}

/// The gateway's pipeline, shared by the API handlers.
#[derive(Clone)]
pub struct Pipeline {
    store: Arc<dyn Store>,
    catalog: Arc<Catalog>,
    adapters: Arc<AdapterRegistry>,
    in_flight: InFlight,
    budget: DecodeBudget,
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
    pub fn new(
        store: Arc<dyn Store>,
        catalog: Arc<Catalog>,
        adapters: Arc<AdapterRegistry>,
        budget: DecodeBudget,
    ) -> Self {
        Self {
            store,
            catalog,
            adapters,
            in_flight: InFlight::default(),
            budget,
        }
    }

    /// The registered adapters.
    pub fn adapters(&self) -> &AdapterRegistry {
        &self.adapters
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

    /// The `kind` adapter asked for by name, or else the first registered one that sniffs the
    /// input as its own.
    fn adapter_for(
        &self,
        kind: RecordKind,
        body: &[u8],
        content_type: Option<&str>,
        name: Option<&str>,
    ) -> Result<Arc<dyn Adapter>, SubmitError> {
        let input = Input {
            bytes: body,
            content_type,
            sha256: "",
        };
        Ok(self.adapters.choose(kind, name, &input)?.adapter.clone())
    }

    /// Reserves from the decoding budget what `adapter` may take to read `body` the way
    /// `reading` says. The bound is worked out here: it reads at most the document's structure
    /// (an archive's directory, a PDF's objects), a few milliseconds.
    async fn reserve(
        &self,
        adapter: &Arc<dyn Adapter>,
        body: &bytes::Bytes,
        content_type: Option<&str>,
        reading: Reading,
    ) -> Result<Reservation, SubmitError> {
        let input = Input {
            bytes: body,
            content_type,
            sha256: "",
        };
        let bound = match reading {
            Reading::Whole => adapter.memory_bound(&input),
            Reading::ChunkByChunk => adapter.streamed_memory_bound(&input),
        };
        Ok(self.budget.reserve(bound).await?)
    }

    /// Takes a submission: journals it durably, converts and checks it, stores the outcome.
    /// Returns the submission as stored; a resubmission of the same bytes returns the earlier
    /// one untouched.
    pub async fn submit(
        &self,
        submission: Submission,
    ) -> Result<(SubmissionRecord, bool), SubmitError> {
        let adapter = self.adapter_for(
            RecordKind::Sheet,
            &submission.body,
            submission.content_type.as_deref(),
            submission.adapter.as_deref(),
        )?;
        // Before anything is journaled: a submission the budget cannot take leaves no trace.
        let reservation = self
            .reserve(
                &adapter,
                &submission.body,
                submission.content_type.as_deref(),
                Reading::ChunkByChunk,
            )
            .await?;
        let sha256 = content_hash(&submission.body);
        let mapping = submission.mapping.clone().unwrap_or_default();
        let organisation_id = submission.owner_id.clone();
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
        if let Some(tell) = submission.on_journaled {
            // Nobody listening any more is no error: the request still gets its answer.
            let _ = tell.send(stored.id.clone());
        }
        let audit = submission
            .audit
            .outcome("duplicate")
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
                (claim, reservation),
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
    /// goes away, the processing still finishes. `held` (the claim on its id and the memory
    /// reserved for reading it) is released when the processing ends.
    async fn process_detached(
        &self,
        held: (Claim, Reservation),
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
                let _held = held;
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

    /// Reads and checks a document with the `kind` adapter asked for (or the one that sniffs
    /// it), storing nothing: the one conversion path of dry runs, application imports and
    /// decision files. The inner error is the document's rejection. The reservation from the
    /// decoding budget comes with it: hold it until what was read is stored or answered.
    pub async fn read(
        &self,
        kind: RecordKind,
        adapter: Option<&str>,
        body: bytes::Bytes,
        content_type: Option<String>,
        mapping: Option<String>,
    ) -> Result<(Result<Conversion, Rejection>, Reservation), SubmitError> {
        let adapter = self.adapter_for(kind, &body, content_type.as_deref(), adapter)?;
        let reservation = self
            .reserve(&adapter, &body, content_type.as_deref(), Reading::Whole)
            .await?;
        let sha256 = content_hash(&body);
        let read = self
            .read_in_worker(
                adapter,
                body,
                content_type,
                sha256,
                mapping,
                "dry-run".into(),
            )
            .await?;
        Ok((read, reservation))
    }

    /// Reads and checks a document on a thread of its own, whole: dry runs and imports.
    async fn read_in_worker(
        &self,
        adapter: Arc<dyn Adapter>,
        body: bytes::Bytes,
        content_type: Option<String>,
        sha256: String,
        mapping: Option<String>,
        submission_id: String,
    ) -> Result<Result<Conversion, Rejection>, SubmitError> {
        let catalog = self.catalog.clone();
        on_reading_thread(adapter.name(), move || {
            let input = Input {
                bytes: &body,
                content_type: content_type.as_deref(),
                sha256: &sha256,
            };
            read_document(
                adapter.as_ref(),
                &catalog,
                &input,
                mapping.as_deref(),
                &submission_id,
                today_in_japan(),
            )
        })
        .await
    }

    /// Converts, checks and stores a journaled submission. Its sheets are staged a chunk at a
    /// time as the reading thread hands them over ([`Submissions::stage_sheets`]), so that a
    /// long document is never held as sheets all at once; the completion makes them real.
    async fn process(
        &self,
        record: SubmissionRecord,
        adapter: Arc<dyn Adapter>,
        body: bytes::Bytes,
        content_type: Option<String>,
        audit: AuditEvent,
    ) -> Result<SubmissionRecord, SubmitError> {
        // One chunk in flight while the next is read: the reading waits for the store.
        let (hand_over, chunks) = tokio::sync::mpsc::channel::<Vec<CheckedSheet>>(1);
        let reading = read_in_chunks(
            self.catalog.clone(),
            adapter,
            body,
            content_type,
            &record,
            hand_over,
        );
        let staging = async {
            // Owned here, so that staging that stops drops it: the reading then hands over
            // nothing more instead of waiting for room.
            let mut chunks = chunks;
            let mut counts = SheetCounts::default();
            let mut first = 0;
            while let Some(chunk) = chunks.recv().await {
                if !self.store.stage_sheets(&record.id, first, &chunk).await? {
                    return Ok(None);
                }
                counts.add(&chunk);
                first += chunk.len();
            }
            Ok::<_, SubmitError>(Some(counts))
        };
        let (read, staged) = tokio::join!(reading, staging);
        let (read, Some(mut counts)) = (read?, staged?) else {
            // Another run completed it while this one read.
            return Ok(self.store.submission(&record.id).await?.unwrap_or(record));
        };
        let (completion, outcome) = match read {
            Ok(tail) => {
                counts.add(&tail);
                crate::metrics::record_accepted(&counts);
                let outcome = format!("accepted: {} sheets", counts.sheets());
                (Completion::Accepted(tail), outcome)
            }
            Err(rejection) => {
                crate::metrics::record_rejected();
                let outcome = format!("rejected: {}", rejection.code);
                (Completion::Rejected(rejection), outcome)
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
        let adapter = self
            .adapters
            .named(RecordKind::Sheet, &record.adapter)?
            .adapter
            .clone();
        let body = bytes::Bytes::from(body);
        let reservation = self
            .reserve(
                &adapter,
                &body,
                content_type.as_deref(),
                Reading::ChunkByChunk,
            )
            .await?;
        tracing::info!(id = %record.id, "resuming a journaled submission that was never completed");
        let audit = AuditEvent {
            actor: "system:recovery".into(),
            organisation: Some(record.organisation_id.clone()),
            action: "submission.create".into(),
            ..AuditEvent::default()
        }
        .on("submission", &record.id);
        self.process_detached(
            (claim, reservation),
            record,
            adapter,
            body,
            content_type,
            audit,
        )
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

/// How a document is read, for what it may take from the decoding budget.
#[derive(Debug, Clone, Copy)]
enum Reading {
    /// Every record kept until the end: dry runs, imports, decision files.
    Whole,
    /// Records handed over as they are read: submissions ([`read_in_chunks`]).
    ChunkByChunk,
}

/// Sheets a submission's reading hands over at a time to be staged: with the one being staged,
/// what a long document costs in sheets, whatever its length.
const STAGED_CHUNK: usize = 256;

/// Reads a journaled submission's document on a thread of its own, handing its sheets over a
/// full chunk at a time ([`STAGED_CHUNK`]); returns the last, partial chunk, or the rejection.
/// When the receiver has gone, the rest of the document is read to its end but kept nowhere.
async fn read_in_chunks(
    catalog: Arc<Catalog>,
    adapter: Arc<dyn Adapter>,
    body: bytes::Bytes,
    content_type: Option<String>,
    record: &SubmissionRecord,
    hand_over: tokio::sync::mpsc::Sender<Vec<CheckedSheet>>,
) -> Result<Result<Vec<CheckedSheet>, Rejection>, SubmitError> {
    let mapping = (!record.mapping.is_empty()).then(|| record.mapping.clone());
    let sha256 = record.sha256.clone();
    let submission_id = record.id.clone();
    on_reading_thread(adapter.name(), move || {
        let input = Input {
            bytes: &body,
            content_type: content_type.as_deref(),
            sha256: &sha256,
        };
        let mut chunk = Vec::with_capacity(STAGED_CHUNK);
        let mut wanted = true;
        read_each(
            adapter.as_ref(),
            &catalog,
            &input,
            mapping.as_deref(),
            &submission_id,
            today_in_japan(),
            &mut |record| {
                // A record of another kind rejects the document (`read_each`).
                let CheckedRecord::Sheet(sheet) = record else {
                    return;
                };
                if !wanted {
                    return;
                }
                chunk.push(*sheet);
                if chunk.len() == STAGED_CHUNK {
                    let full = std::mem::replace(&mut chunk, Vec::with_capacity(STAGED_CHUNK));
                    wanted = hand_over.blocking_send(full).is_ok();
                }
            },
        )?;
        Ok(chunk)
    })
    .await
}

/// Runs `read` on a thread of its own ([`on_own_thread`]) in the caller's span. A panic in the
/// adapter or the checks becomes a rejection (`submission.internal_error`), so that a document
/// that trips a bug is answered and never retried in a loop.
async fn on_reading_thread<T: Send + 'static>(
    adapter: &'static str,
    read: impl FnOnce() -> Result<T, Rejection> + Send + 'static,
) -> Result<Result<T, Rejection>, SubmitError> {
    let span = tracing::Span::current();
    on_own_thread(move || {
        span.in_scope(|| {
            std::panic::catch_unwind(AssertUnwindSafe(read)).unwrap_or_else(|_| {
                crate::metrics::record_panic();
                tracing::error!("the conversion panicked; the submission is rejected");
                Err(internal_rejection(adapter))
            })
        })
    })
    .await
    .map_err(|e| SubmitError::Worker(e.to_string()))
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

#[cfg(test)]
mod tests {
    use kakehashi_sdk::MappingContext;

    use super::*;
    use crate::auth::Principal;
    use crate::store::SqlStore;

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

    fn adapters() -> Arc<AdapterRegistry> {
        Arc::new(crate::adapters::registry(&Default::default()).unwrap())
    }

    fn budget() -> DecodeBudget {
        crate::config::DecodingConfig::default().budget()
    }

    fn catalog() -> Arc<Catalog> {
        let mut catalog = Catalog::load(None).unwrap();
        catalog
            .mappings
            .insert("csv", "test", "test.toml", MAPPING.to_owned());
        Arc::new(catalog)
    }

    /// An adapter with a bug: it panics on every document.
    struct PanickingAdapter;

    impl Adapter for PanickingAdapter {
        fn name(&self) -> &'static str {
            "panicking"
        }
        fn produces(&self) -> RecordKind {
            RecordKind::Sheet
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

    fn clerk() -> Principal {
        Principal {
            user_id: "test".into(),
            role: crate::store::Role::Clerk,
            organisation_id: "hospital:1310000017".into(),
            terminal: None,
            source: None,
        }
    }

    /// A clerk's CSV export in the test mapping's layout.
    fn clerks_csv(body: bytes::Bytes) -> Submission {
        Submission {
            body,
            content_type: Some("text/csv".into()),
            adapter: None,
            mapping: Some("test".into()),
            municipality_id: None,
            on_journaled: None,
            owner_id: clerk().organisation_id,
            audit: clerk().audit("submission.create", "ok"),
        }
    }

    /// `rows` rows of the test mapping's layout, each its own patient.
    fn long_csv(rows: usize) -> String {
        let mut csv = String::from("告示番号,氏名,カナ,生年月日,性別\n");
        for i in 0..rows {
            csv.push_str(&format!("2,山田{i},ヤマダ タロウ,1960-03-04,男\n"));
        }
        csv
    }

    /// Journals `csv` as a clerk's submission and leaves it `received`: the state a crash right
    /// after journaling leaves, or a task that died.
    async fn journal_csv(store: &Arc<dyn Store>, csv: &str) -> SubmissionRecord {
        let sha = content_hash(csv.as_bytes());
        let record = SubmissionRecord {
            id: submission_id("hospital:1310000017", &sha, "csv", "test"),
            organisation_id: "hospital:1310000017".into(),
            municipality_id: None,
            sha256: sha.clone(),
            adapter: "csv".into(),
            mapping: "test".into(),
            status: SubmissionStatus::Received,
            received_at: "2026-11-21T00:00:00.000Z".into(),
            completed_at: None,
            error: None,
        };
        let raw = RawInput {
            sha256: &sha,
            content_type: Some("text/csv"),
            body: csv.as_bytes(),
        };
        store.journal(raw, &record).await.unwrap();
        record
    }

    #[tokio::test]
    async fn a_panicking_adapter_rejects_the_document_instead_of_failing_the_worker() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqlStore::open_for_tests(dir.path()).await);
        let pipeline = Pipeline::new(store, catalog(), adapters(), budget());
        let read = pipeline
            .read_in_worker(
                Arc::new(PanickingAdapter),
                bytes::Bytes::from_static(b"abc"),
                None,
                "sha".into(),
                None,
                "s".into(),
            )
            .await
            .expect("the worker itself survives");
        let Err(rejection) = read else {
            panic!("accepted a document the adapter panicked on");
        };
        assert_eq!(rejection.code, "submission.internal_error");
        assert_eq!(rejection.kind, RejectionKind::Internal);
    }

    #[tokio::test]
    async fn a_submission_stranded_while_serving_is_finished_without_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqlStore::open_for_tests(dir.path()).await);
        let pipeline = Pipeline::new(store.clone(), catalog(), adapters(), budget());
        let resuming = tokio::spawn(pipeline.clone().keep_resuming(Duration::from_millis(20)));
        // Journaled after the gateway started, and then left: a task that died.
        let record = journal_csv(&store, CSV).await;
        let done = tokio::time::timeout(Duration::from_secs(30), pipeline.wait_for(&record.id))
            .await
            .expect("finished while serving")
            .unwrap();
        resuming.abort();
        assert_eq!(done.status, SubmissionStatus::Accepted);
        assert_eq!(
            store
                .submission_sheets(&record.id, 0..u32::MAX)
                .await
                .unwrap()
                .len(),
            2
        );
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
        let store: Arc<dyn Store> = Arc::new(SqlStore::open_for_tests(dir.path()).await);
        // The state a crash right after journaling leaves: raw input and a `received` row.
        let record = journal_csv(&store, CSV).await;

        let pipeline = Pipeline::new(store.clone(), catalog(), adapters(), budget());
        assert_eq!(pipeline.resume_pending().await.unwrap(), 1);
        let done = store.submission(&record.id).await.unwrap().unwrap();
        assert_eq!(done.status, SubmissionStatus::Accepted);
        let sheets = store
            .submission_sheets(&record.id, 0..u32::MAX)
            .await
            .unwrap();
        assert_eq!(sheets.len(), 2);
        assert_eq!(sheets[0].id, sheet_id(&record.id, 0));

        // Nothing is left to resume, and sending the bytes again creates nothing.
        assert_eq!(pipeline.resume_pending().await.unwrap(), 0);
        let (again, fresh) = pipeline
            .submit(clerks_csv(bytes::Bytes::from_static(CSV.as_bytes())))
            .await
            .unwrap();
        assert!(!fresh);
        assert_eq!(again.id, record.id);
        assert_eq!(
            store
                .submission_sheets(&record.id, 0..u32::MAX)
                .await
                .unwrap()
                .len(),
            2
        );
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

    #[tokio::test]
    async fn a_long_document_is_stored_a_chunk_at_a_time_whole_and_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqlStore::open_for_tests(dir.path()).await);
        let pipeline = Pipeline::new(store.clone(), catalog(), adapters(), budget());
        // Two full chunks and a part of a third.
        let rows = 2 * STAGED_CHUNK + 17;
        let csv = long_csv(rows);
        let (record, fresh) = pipeline
            .submit(clerks_csv(bytes::Bytes::from(csv)))
            .await
            .unwrap();
        assert!(fresh);
        assert_eq!(record.status, SubmissionStatus::Accepted);
        let sheets = store
            .submission_sheets(&record.id, 0..u32::MAX)
            .await
            .unwrap();
        assert_eq!(sheets.len(), rows);
        for (i, sheet) in sheets.iter().enumerate() {
            assert_eq!(sheet.id, sheet_id(&record.id, i), "sheet {i}");
            let stored = store.sheet(&sheet.id).await.unwrap().unwrap();
            assert_eq!(
                stored.sheet.patient.name,
                Some(format!("山田{i}")),
                "sheet {i}"
            );
        }
    }

    #[tokio::test]
    async fn a_reading_whose_submission_another_run_completed_stops_staging_and_ends() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqlStore::open_for_tests(dir.path()).await);
        let pipeline = Pipeline::new(store.clone(), catalog(), adapters(), budget());
        let csv = long_csv(4 * STAGED_CHUNK);
        let record = journal_csv(&store, &csv).await;
        // Another instance finished it first (with nothing, to tell the two apart).
        let audit = AuditEvent::default().on("submission", &record.id);
        store
            .complete(&record.id, &Completion::Accepted(Vec::new()), &audit)
            .await
            .unwrap();
        let adapter = pipeline
            .adapters
            .named(RecordKind::Sheet, "csv")
            .unwrap()
            .adapter
            .clone();
        let done = tokio::time::timeout(
            Duration::from_secs(60),
            pipeline.process(
                record.clone(),
                adapter,
                bytes::Bytes::from(csv),
                Some("text/csv".into()),
                audit,
            ),
        )
        .await
        .expect("the reading ends once staging has stopped")
        .unwrap();
        assert_eq!(done.status, SubmissionStatus::Accepted);
        assert!(
            store
                .submission_sheets(&record.id, 0..u32::MAX)
                .await
                .unwrap()
                .is_empty()
        );
    }
}
