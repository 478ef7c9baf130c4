//! New sheets — a submission's, or a renewal's one — sealed before the writer lock is taken,
//! then written under it in a few multi-row statements ([`rows`](super::rows)). Sealing is CPU
//! work that needs no lock, and the lock is what every other writer waits for.
//!
//! A long submission's sheets are staged a chunk at a time while it is read (each chunk in a
//! transaction of its own, in tables nobody reads) and made real by the transaction that
//! completes the submission, which copies them with `INSERT … SELECT`: memory holds one chunk,
//! not the document's every sheet, and the sheets still appear all at once, only when the
//! submission is acknowledged as accepted.

use crate::store::NewReview;
use kakehashi_sdk::Finding;
use sqlx::AnyConnection;

use super::rows::{Query, insert_rows};
use super::{SqlStore, deliveries};
use crate::store::StoreError;
use crate::store::submissions::CheckedSheet;

/// Sheets with their findings and review tasks, sealed and ready to insert.
pub(super) struct SealedSheets<'a> {
    key_id: String,
    sheets: Vec<SealedSheet<'a>>,
    findings: Vec<SealedFinding<'a>>,
    reviews: Vec<SealedReview<'a>>,
}

struct SealedSheet<'a> {
    checked: &'a CheckedSheet,
    record_index: i64,
    has_errors: bool,
    body: Vec<u8>,
    patient_ref: Option<String>,
}

impl SealedSheet<'_> {
    /// Binds the columns `sheets` and `staged_sheets` share, in this order: kind,
    /// disease_group, disease_number, has_errors, body_json.
    fn bind_columns<'q>(&'q self, query: Query<'q>) -> Query<'q> {
        let sheet = &self.checked.sheet;
        query
            .bind(sheet.kind.as_str())
            .bind(sheet.disease.group.map(i64::from))
            .bind(sheet.disease.number.map(i64::from))
            .bind(i64::from(self.has_errors))
            .bind(self.body.as_slice())
    }
}

/// A finding sealed under its sheet id and place in the sheet's list.
pub(super) struct SealedFinding<'a> {
    sheet_id: &'a str,
    seq: i64,
    finding: &'a Finding,
    body: Vec<u8>,
}

struct SealedReview<'a> {
    sheet_id: &'a str,
    seq: i64,
    review: &'a NewReview,
    body: Vec<u8>,
    image: Vec<u8>,
}

impl SealedFinding<'_> {
    /// Binds the columns `findings` and `staged_findings` share, in this order: sheet_id,
    /// seq, severity, code, item, body_json.
    fn bind_columns<'q>(&'q self, query: Query<'q>) -> Query<'q> {
        query
            .bind(self.sheet_id)
            .bind(self.seq)
            .bind(self.finding.severity.as_str())
            .bind(self.finding.code.as_str())
            .bind(self.finding.item.as_deref())
            .bind(self.body.as_slice())
    }
}

impl SealedReview<'_> {
    /// Binds the columns `review_tasks` and `staged_reviews` share, in this order: id,
    /// sheet_id, seq, target, confidence, body_json, image_png.
    fn bind_columns<'q>(&'q self, query: Query<'q>) -> Query<'q> {
        query
            .bind(self.review.id.as_str())
            .bind(self.sheet_id)
            .bind(self.seq)
            .bind(self.review.target.as_str())
            .bind(f64::from(self.review.confidence))
            .bind(self.body.as_slice())
            .bind(self.image.as_slice())
    }
}

/// Where new sheets belong, and who records them when.
pub(super) struct SheetOwner<'a> {
    pub submission_id: &'a str,
    pub organisation_id: Option<&'a str>,
    pub municipality_id: Option<&'a str>,
    /// Who the source data's research consent is recorded by.
    pub actor: &'a str,
    pub at: &'a str,
}

impl SqlStore {
    /// Seals `sheets`, the first of them record `first_index` of its submission.
    pub(super) fn seal_new_sheets<'a>(
        &self,
        sheets: &'a [CheckedSheet],
        first_index: usize,
    ) -> Result<SealedSheets<'a>, StoreError> {
        let mut sealed = SealedSheets {
            key_id: self.sealer.primary_key_id(),
            sheets: Vec::with_capacity(sheets.len()),
            findings: Vec::new(),
            reviews: Vec::new(),
        };
        for (index, checked) in (first_index..).zip(sheets) {
            sealed.sheets.push(SealedSheet {
                checked,
                record_index: index as i64,
                has_errors: crate::checks::has_errors(&checked.findings),
                body: self
                    .sealer
                    .seal_json("sheets.body_json", &checked.id, &checked.sheet)?,
                patient_ref: self.sealer.patient_ref(&checked.sheet),
            });
            sealed.findings.extend(self.seal_findings(checked)?);
            for (seq, review) in (0..).zip(&checked.reviews) {
                sealed.reviews.push(SealedReview {
                    sheet_id: &checked.id,
                    seq,
                    review,
                    body: self.sealer.seal_json(
                        "review_tasks.body_json",
                        &review.id,
                        &review.detail,
                    )?,
                    image: self.sealer.seal(
                        "review_tasks.image_png",
                        &review.id,
                        &review.image_png,
                    ),
                });
            }
        }
        Ok(sealed)
    }

    /// Seals a sheet's findings, each under the sheet's id and its place in the list.
    pub(super) fn seal_findings<'a>(
        &self,
        checked: &'a CheckedSheet,
    ) -> Result<Vec<SealedFinding<'a>>, StoreError> {
        (0..)
            .zip(&checked.findings)
            .map(|(seq, finding)| {
                Ok(SealedFinding {
                    sheet_id: &checked.id,
                    seq,
                    finding,
                    body: self.sealer.seal_json(
                        "findings.body_json",
                        &format!("{}/{seq}", checked.id),
                        finding,
                    )?,
                })
            })
            .collect()
    }
}

impl SealedSheets<'_> {
    /// Numbers the sheets from record index `first` on (those staged before them come first).
    pub(super) fn number_from(&mut self, first: usize) {
        for (index, sheet) in (first..).zip(&mut self.sheets) {
            sheet.record_index = index as i64;
        }
    }

    /// Inserts the sheets as drafts of `owner`, with their findings, review tasks (once: a task
    /// is unique per sheet and target) and the research consent their source data states.
    pub(super) async fn insert(
        &self,
        conn: &mut AnyConnection,
        owner: &SheetOwner<'_>,
    ) -> Result<(), StoreError> {
        insert_rows(
            conn,
            "sheets (id, submission_id, record_index, kind, disease_group, disease_number, has_errors, body_json, key_id, organisation_id, municipality_id, patient_ref, status, created_at, updated_at)",
            15,
            "",
            &self.sheets,
            |query, s| {
                s.bind_columns(
                    query
                        .bind(s.checked.id.as_str())
                        .bind(owner.submission_id.to_owned())
                        .bind(s.record_index),
                )
                .bind(self.key_id.clone())
                    .bind(owner.organisation_id.map(str::to_owned))
                    .bind(owner.municipality_id.map(str::to_owned))
                    .bind(s.patient_ref.as_deref())
                    .bind("draft")
                    .bind(owner.at.to_owned())
                    .bind(owner.at.to_owned())
            },
        )
        .await?;
        insert_findings(conn, &self.key_id, &self.findings).await?;
        insert_rows(
            conn,
            "review_tasks (id, sheet_id, seq, target, confidence, body_json, image_png, status, key_id, created_at)",
            10,
            "ON CONFLICT DO NOTHING",
            &self.reviews,
            |query, r| {
                r.bind_columns(query)
                    .bind("open")
                    .bind(self.key_id.clone())
                    .bind(owner.at.to_owned())
            },
        )
        .await?;
        let consents: Vec<(&str, bool)> = self
            .sheets
            .iter()
            .filter_map(|s| {
                let consent = s.checked.sheet.administrative.research_consent?;
                Some((s.checked.id.as_str(), consent))
            })
            .collect();
        deliveries::record_source_consents(conn, &consents, owner.actor, owner.at).await
    }

    /// Stages the sheets of a submission still being read (`staged_sheets`, …; see
    /// `migrations/sqlite/0016_staged_sheets.sql`): rows staged earlier for the same record
    /// indexes (a resumed reading) are replaced.
    pub(super) async fn stage(
        &self,
        conn: &mut AnyConnection,
        submission_id: &str,
    ) -> Result<(), StoreError> {
        let (Some(first), Some(last)) = (self.sheets.first(), self.sheets.last()) else {
            return Ok(());
        };
        let indexes = "SELECT id FROM staged_sheets WHERE submission_id = $1 AND record_index BETWEEN $2 AND $3";
        for delete in [
            format!("DELETE FROM staged_findings WHERE sheet_id IN ({indexes})"),
            format!("DELETE FROM staged_reviews WHERE sheet_id IN ({indexes})"),
            "DELETE FROM staged_sheets WHERE submission_id = $1 AND record_index BETWEEN $2 AND $3"
                .to_owned(),
        ] {
            sqlx::query(&delete)
                .bind(submission_id)
                .bind(first.record_index)
                .bind(last.record_index)
                .execute(&mut *conn)
                .await?;
        }
        insert_rows(
            conn,
            "staged_sheets (submission_id, record_index, id, kind, disease_group, disease_number, has_errors, body_json, key_id, patient_ref, research_consent)",
            11,
            "",
            &self.sheets,
            |query, s| {
                let sheet = &s.checked.sheet;
                s.bind_columns(
                    query
                        .bind(submission_id)
                        .bind(s.record_index)
                        .bind(s.checked.id.as_str()),
                )
                .bind(self.key_id.as_str())
                    .bind(s.patient_ref.as_deref())
                    .bind(sheet.administrative.research_consent.map(i64::from))
            },
        )
        .await?;
        insert_rows(
            conn,
            "staged_findings (submission_id, sheet_id, seq, severity, code, item, body_json, key_id)",
            8,
            "",
            &self.findings,
            |query, f| {
                f.bind_columns(query.bind(submission_id))
                    .bind(self.key_id.as_str())
            },
        )
        .await?;
        insert_rows(
            conn,
            "staged_reviews (submission_id, id, sheet_id, seq, target, confidence, body_json, image_png, key_id)",
            9,
            "",
            &self.reviews,
            |query, r| {
                r.bind_columns(query.bind(submission_id))
                    .bind(self.key_id.as_str())
            },
        )
        .await
    }
}

/// Makes the staged sheets of `owner`'s submission real (drafts, with their findings, review
/// tasks and source-data consents, as [`SealedSheets::insert`] writes them) and deletes the
/// staged rows. Returns how many sheets there were: the record index the next sheet gets.
pub(super) async fn publish_staged(
    conn: &mut AnyConnection,
    owner: &SheetOwner<'_>,
) -> Result<usize, StoreError> {
    let published = sqlx::query(
        "INSERT INTO sheets (id, submission_id, record_index, kind, disease_group, disease_number, has_errors, body_json, key_id, organisation_id, municipality_id, patient_ref, status, created_at, updated_at)
         SELECT id, submission_id, record_index, kind, disease_group, disease_number, has_errors, body_json, key_id, $2, $3, patient_ref, 'draft', $4, $4
         FROM staged_sheets WHERE submission_id = $1 ORDER BY record_index",
    )
    .bind(owner.submission_id)
    .bind(owner.organisation_id)
    .bind(owner.municipality_id)
    .bind(owner.at)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if published == 0 {
        return Ok(0);
    }
    sqlx::query(
        "INSERT INTO findings (sheet_id, seq, severity, code, item, body_json, key_id)
         SELECT sheet_id, seq, severity, code, item, body_json, key_id FROM staged_findings WHERE submission_id = $1",
    )
    .bind(owner.submission_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO review_tasks (id, sheet_id, seq, target, confidence, status, body_json, image_png, key_id, created_at)
         SELECT id, sheet_id, seq, target, confidence, 'open', body_json, image_png, key_id, $2 FROM staged_reviews WHERE submission_id = $1
         ON CONFLICT DO NOTHING",
    )
    .bind(owner.submission_id)
    .bind(owner.at)
    .execute(&mut *conn)
    .await?;
    deliveries::record_staged_consents(conn, owner.submission_id, owner.actor, owner.at).await?;
    discard_staged(conn, owner.submission_id).await?;
    Ok(usize::try_from(published).unwrap_or(usize::MAX))
}

/// Deletes whatever a submission has staged (it was rejected, or completed by another run).
pub(super) async fn discard_staged(
    conn: &mut AnyConnection,
    submission_id: &str,
) -> Result<(), StoreError> {
    for table in ["staged_findings", "staged_reviews", "staged_sheets"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE submission_id = $1"))
            .bind(submission_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Inserts sealed findings, `key_id` the key that sealed them.
pub(super) async fn insert_findings(
    conn: &mut AnyConnection,
    key_id: &str,
    findings: &[SealedFinding<'_>],
) -> Result<(), StoreError> {
    insert_rows(
        conn,
        "findings (sheet_id, seq, severity, code, item, body_json, key_id)",
        7,
        "",
        findings,
        |query, f| f.bind_columns(query).bind(key_id.to_owned()),
    )
    .await
}

#[cfg(test)]
mod tests {
    use kakehashi_sdk::{Severity, Sheet, SheetKind};

    use super::*;
    use crate::store::sql::tests::{event, submission};
    use crate::store::{
        Completion, Deliveries, RawInput, Rejection, ReviewDetail, Reviews, Submissions,
    };

    /// 150 sheets, each with two findings and a review task, every other one consented: more
    /// rows of each table than one statement binds, so every insert takes several.
    fn many_sheets() -> Vec<CheckedSheet> {
        (0..150)
            .map(|i| {
                let mut sheet = Sheet::new(SheetKind::Nanbyo, Default::default());
                sheet.patient.name = Some(format!("患者{i}"));
                sheet.administrative.research_consent = (i % 2 == 0).then_some(true);
                let finding = |n: usize| {
                    Finding::new(Severity::Warning, &format!("test.{i}.{n}"), None, "m", "j")
                };
                CheckedSheet {
                    id: format!("sheet-{i}"),
                    sheet,
                    findings: vec![finding(0), finding(1)],
                    reviews: vec![NewReview {
                        id: format!("review-{i}"),
                        target: "patient.name".into(),
                        confidence: 0.5,
                        detail: ReviewDetail {
                            label: "氏名".into(),
                            read: Some(format!("患者{i}")),
                            reasons: vec!["ocr.low_confidence".into()],
                            location: Default::default(),
                        },
                        image_png: vec![i as u8; 3],
                    }],
                }
            })
            .collect()
    }

    #[tokio::test]
    async fn a_submission_larger_than_one_statement_is_stored_whole_and_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open_for_tests(dir.path()).await;
        let raw = RawInput {
            sha256: "cc",
            content_type: None,
            body: b"x",
        };
        store.journal(raw, &submission("sub", "cc")).await.unwrap();
        let sheets = many_sheets();
        store
            .complete(
                "sub",
                &Completion::Accepted(sheets.clone()),
                &event("submit"),
            )
            .await
            .unwrap();

        let stored = store.submission_sheets("sub", 0..u32::MAX).await.unwrap();
        assert_eq!(stored.len(), sheets.len());
        for (i, (summary, sent)) in stored.iter().zip(&sheets).enumerate() {
            assert_eq!(summary.id, sent.id);
            assert_eq!(summary.record_index, i as u32);
            assert_eq!(summary.findings, sent.findings, "findings of {}", sent.id);
        }
        let last = store.sheet("sheet-149").await.unwrap().unwrap();
        assert_eq!(last.sheet.patient.name.as_deref(), Some("患者149"));
        for (i, sent) in sheets.iter().enumerate() {
            let consent = store.consent(&sent.id).await.unwrap();
            assert_eq!(consent.map(|c| c.consented), (i % 2 == 0).then_some(true));
            let review = store.review(&sent.reviews[0].id).await.unwrap().unwrap();
            assert_eq!(review.sheet_id, sent.id);
            assert_eq!(review.detail, sent.reviews[0].detail);
        }
    }

    /// Rows left in the staging tables.
    async fn staged_rows(store: &SqlStore) -> i64 {
        let mut rows = 0;
        for table in ["staged_sheets", "staged_findings", "staged_reviews"] {
            let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(&store.pool)
                .await
                .unwrap();
            rows += n;
        }
        rows
    }

    async fn journaled(store: &SqlStore, id: &str) {
        let raw = RawInput {
            sha256: id,
            content_type: None,
            body: id.as_bytes(),
        };
        store.journal(raw, &submission(id, id)).await.unwrap();
    }

    #[tokio::test]
    async fn staged_sheets_appear_only_with_the_completion_and_before_its_own_sheets() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open_for_tests(dir.path()).await;
        journaled(&store, "sub").await;
        let sheets = many_sheets();
        // Staged out of order, and the first chunk twice (a resumed reading): replaced.
        assert!(
            store
                .stage_sheets("sub", 50, &sheets[50..100])
                .await
                .unwrap()
        );
        assert!(store.stage_sheets("sub", 0, &sheets[..50]).await.unwrap());
        assert!(store.stage_sheets("sub", 0, &sheets[..50]).await.unwrap());
        assert_eq!(staged_rows(&store).await, 100 * 4);
        assert!(
            store
                .submission_sheets("sub", 0..u32::MAX)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(store.submission_summary("sub").await.unwrap().sheets, 0);
        assert!(store.consent(&sheets[0].id).await.unwrap().is_none());

        store
            .complete(
                "sub",
                &Completion::Accepted(sheets[100..].to_vec()),
                &event("submit"),
            )
            .await
            .unwrap();
        assert_eq!(staged_rows(&store).await, 0);
        let stored = store.submission_sheets("sub", 0..u32::MAX).await.unwrap();
        assert_eq!(stored.len(), 150);
        for (i, (summary, sent)) in stored.iter().zip(&sheets).enumerate() {
            assert_eq!(
                (summary.id.as_str(), summary.record_index),
                (sent.id.as_str(), i as u32)
            );
            assert_eq!(summary.findings, sent.findings, "findings of {}", sent.id);
            let consent = store.consent(&sent.id).await.unwrap();
            assert_eq!(consent.map(|c| c.consented), (i % 2 == 0).then_some(true));
            let review = store.review(&sent.reviews[0].id).await.unwrap().unwrap();
            assert_eq!(review.detail, sent.reviews[0].detail);
        }
        let staged = store.sheet("sheet-7").await.unwrap().unwrap();
        assert_eq!(staged.sheet.patient.name.as_deref(), Some("患者7"));
        assert_eq!(staged.submission_id, "sub");
        let summary = store.submission_summary("sub").await.unwrap();
        assert_eq!(
            (summary.sheets, summary.warnings, summary.errors),
            (150, 300, 0)
        );
        let page = store.submission_sheets("sub", 140..145).await.unwrap();
        let indexes: Vec<u32> = page.iter().map(|s| s.record_index).collect();
        assert_eq!(indexes, [140, 141, 142, 143, 144]);
        assert_eq!(page[0].findings, sheets[140].findings);
    }

    #[tokio::test]
    async fn a_rejected_submission_keeps_no_staged_sheet_and_stages_no_more() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open_for_tests(dir.path()).await;
        let sheets = many_sheets();
        journaled(&store, "rejected").await;
        assert!(
            store
                .stage_sheets("rejected", 0, &sheets[..20])
                .await
                .unwrap()
        );
        let rejection = Rejection {
            kind: crate::store::RejectionKind::Malformed,
            code: "test.broken".into(),
            message: "m".into(),
            message_ja: "j".into(),
            location: None,
        };
        store
            .complete(
                "rejected",
                &Completion::Rejected(rejection),
                &event("submit"),
            )
            .await
            .unwrap();
        assert_eq!(staged_rows(&store).await, 0);
        assert!(
            store
                .submission_sheets("rejected", 0..u32::MAX)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            !store
                .stage_sheets("rejected", 20, &sheets[20..40])
                .await
                .unwrap(),
            "a completed submission stages nothing more"
        );
        assert_eq!(staged_rows(&store).await, 0);
    }
}
