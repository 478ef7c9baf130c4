//! The review queue's input: which values read by OCR a person must check against the cut-out
//! of their box before the sheet can be registered.

use kakehashi_sdk::{Finding, OcrReading, Severity, SourceLocation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::conversion::ID_NAMESPACE;

/// What a task says about the value, sealed at rest (the value is personal data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReviewDetail {
    /// The box's printed label (生年月日).
    pub label: String,
    /// The text as recognised; absent when the box looked blank.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<String>,
    /// Why a person must look: `ocr.low_confidence`, or the code of the check the value failed
    /// (`identifier.check_digit`, `field.unreadable`, …).
    pub reasons: Vec<String>,
    /// Where the box is in the scan.
    pub location: SourceLocation,
}

/// A task to create with its sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReview {
    pub id: String,
    pub target: String,
    pub confidence: f32,
    pub detail: ReviewDetail,
    /// The box as scanned, PNG.
    pub image_png: Vec<u8>,
}

/// The OCR readings a person must check: those the adapter doubts (for its reasons) and those
/// whose value an error finding refuses (a wrong check digit, an impossible date, a required
/// box left blank). The task id is a UUIDv5 of sheet and target, so a rerun makes the same task.
pub fn reviews_for(
    sheet_id: &str,
    readings: Vec<OcrReading>,
    findings: &[Finding],
) -> Vec<NewReview> {
    let namespace = Uuid::parse_str(sheet_id).unwrap_or(ID_NAMESPACE);
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

#[cfg(test)]
mod tests {
    use kakehashi_sdk::Severity;

    use super::*;

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
        let sheet = crate::conversion::sheet_id("3f1c2e4a-0000-5000-8000-000000000001", 0);
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
}
