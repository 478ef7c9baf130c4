//! The checks (チェック機能) and auto-calculation (自動計算機能) every sheet passes, whichever
//! adapter produced it: the disease is bound to the notified list, the header is validated
//! (required fields, formats, date order, kana, check digits), items are read as the disease
//! template types them and range-checked, and the template's formulas are computed. The sheet
//! comes out normalised (typed items, computed totals, the notified disease name); the findings
//! say what is wrong, where, in English and Japanese.
//!
//! Checks are pure functions of the sheet, the catalog and "today", so the CLI, the API and the
//! benchmarks run exactly the same code.

mod dates;
mod digits;
mod disease;
mod formulas;
mod header;
mod items;

use chrono::NaiveDate;
use kakehashi_sdk::{DiseaseRegistry, Finding, Sheet, TemplateSet};

pub use digits::check_digit_is_valid;

/// What the checks consult.
#[derive(Debug, Clone, Copy)]
pub struct CheckContext<'a> {
    pub diseases: &'a DiseaseRegistry,
    pub templates: &'a TemplateSet,
    /// The date dates are checked against (記載日 ≤ today); the caller's clock, in JST.
    pub today: NaiveDate,
}

/// Runs every check on a sheet, normalising it in place, and returns the findings, each
/// located in the source where the sheet's provenance knows the place.
pub fn check_sheet(sheet: &mut Sheet, context: &CheckContext<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    disease::bind(sheet, context.diseases, &mut findings);
    header::check(sheet, &mut findings);
    digits::check(sheet, &mut findings);
    dates::check(sheet, context.today, &mut findings);
    let template = sheet.disease.number.and_then(|number| {
        context.templates.get(&kakehashi_sdk::DiseaseKey {
            kind: sheet.kind,
            group: sheet.disease.group,
            number,
        })
    });
    items::check(sheet, template, &mut findings);
    if let Some(template) = template {
        formulas::compute(sheet, template, &mut findings);
    }
    for finding in &mut findings {
        if finding.location.is_none() {
            finding.location = finding
                .item
                .as_deref()
                .and_then(|i| sheet.location_of(i))
                .or_else(|| Some(sheet.provenance.record_location.clone()));
        }
    }
    findings
}

/// Whether any finding is an error.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings
        .iter()
        .any(|f| f.severity == kakehashi_sdk::Severity::Error)
}
