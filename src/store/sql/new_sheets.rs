//! New sheets — a submission's, or a renewal's one — sealed before the writer lock is taken,
//! then written under it in a few multi-row statements ([`rows`](super::rows)). Sealing is CPU
//! work that needs no lock, and the lock is what every other writer waits for.

use crate::store::NewReview;
use kakehashi_sdk::Finding;
use sqlx::AnyConnection;

use super::rows::insert_rows;
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
                let sheet = &s.checked.sheet;
                query
                    .bind(s.checked.id.as_str())
                    .bind(owner.submission_id.to_owned())
                    .bind(s.record_index)
                    .bind(sheet.kind.as_str())
                    .bind(sheet.disease.group.map(i64::from))
                    .bind(sheet.disease.number.map(i64::from))
                    .bind(i64::from(s.has_errors))
                    .bind(s.body.as_slice())
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
            "review_tasks (id, sheet_id, seq, target, confidence, status, body_json, image_png, key_id, created_at)",
            10,
            "ON CONFLICT DO NOTHING",
            &self.reviews,
            |query, r| {
                query
                    .bind(r.review.id.as_str())
                    .bind(r.sheet_id)
                    .bind(r.seq)
                    .bind(r.review.target.as_str())
                    .bind(f64::from(r.review.confidence))
                    .bind("open")
                    .bind(r.body.as_slice())
                    .bind(r.image.as_slice())
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
        |query, f| {
            query
                .bind(f.sheet_id)
                .bind(f.seq)
                .bind(f.finding.severity.as_str())
                .bind(f.finding.code.as_str())
                .bind(f.finding.item.as_deref())
                .bind(f.body.as_slice())
                .bind(key_id.to_owned())
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use kakehashi_sdk::{Severity, Sheet, SheetKind};

    use super::*;
    use crate::store::sql::tests::{event, submission};
    use crate::store::{Completion, Deliveries, RawInput, ReviewDetail, Reviews, Submissions};

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

        let stored = store.submission_sheets("sub").await.unwrap();
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
}
