//! One input document to checked records: the adapter converts, the checks validate and
//! complete each sheet, doubtful OCR readings become review tasks. Pure — no store, no clock
//! ("today" is the caller's) — so the gateway, the CLI, the benches and an integrator's tests
//! run exactly the same code.

use chrono::NaiveDate;
use kakehashi_sdk::{Adapter, Finding, Input, MappingContext, Record, Sheet};
use uuid::Uuid;

use crate::catalog::Catalog;
use crate::checks::{CheckContext, check_sheet};
use crate::rejection::Rejection;
use crate::review::{NewReview, reviews_for};

/// Namespace of the gateway's deterministic ids (UUID v5): submissions, and the sheets and
/// review tasks derived from them when the parent id is not itself a UUID.
pub const ID_NAMESPACE: Uuid = Uuid::from_u128(0x6b616b65_6861_7368_6900_737562000001);

/// A checked sheet ready to store.
#[derive(Debug, Clone)]
pub struct CheckedSheet {
    pub id: String,
    pub sheet: Sheet,
    pub findings: Vec<Finding>,
    /// Values read by OCR that a person must check before the sheet can be registered;
    /// written with a new sheet only.
    pub reviews: Vec<NewReview>,
}

/// What the conversion of a submission came to.
#[derive(Debug, Clone)]
pub enum Completion {
    Accepted(Vec<CheckedSheet>),
    Rejected(Rejection),
}

/// Deterministic sheet id: the same record of the same submission always gets the same id.
pub fn sheet_id(submission_id: &str, index: usize) -> String {
    let namespace = Uuid::parse_str(submission_id).unwrap_or(ID_NAMESPACE);
    Uuid::new_v5(&namespace, index.to_string().as_bytes()).to_string()
}

/// Converts and checks one document.
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
