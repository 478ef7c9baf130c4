//! Binding the sheet's 告示番号 to the notified list.

use kakehashi_sdk::{DiseaseKey, DiseaseRegistry, Finding, Sheet, SheetKind};

pub(super) fn bind(sheet: &mut Sheet, registry: &DiseaseRegistry, findings: &mut Vec<Finding>) {
    let Some(number) = sheet.disease.number else {
        findings.push(Finding::error(
            "header.required",
            Some("disease.number"),
            "the disease's notified number (告示番号) is missing",
            "告示番号が記入されていません",
        ));
        return;
    };
    if sheet.kind == SheetKind::Shoman && sheet.disease.group.is_none() {
        findings.push(Finding::error(
            "header.required",
            Some("disease.group"),
            "a 小慢 sheet needs its disease group (疾患群): numbers restart in every group",
            "小慢の意見書には疾患群が必要です（告示番号は疾患群ごとの番号です）",
        ));
        return;
    }
    let key = DiseaseKey {
        kind: sheet.kind,
        group: (sheet.kind == SheetKind::Shoman)
            .then_some(sheet.disease.group)
            .flatten(),
        number,
    };
    let Some(entry) = registry.get(&key) else {
        findings.push(Finding::error(
            "disease.unknown",
            Some("disease.number"),
            format!("{key} is not a notified disease"),
            format!("{key} は告示された疾病にありません"),
        ));
        return;
    };
    let notified = entry.name.trim();
    if let Some(given) = sheet.disease.name.as_deref()
        && given.trim() != notified
    {
        findings.push(Finding::warning(
            "disease.name_mismatch",
            Some("disease.name"),
            format!("{key} is notified as 「{notified}」, the sheet says 「{given}」; the notified name is used"),
            format!("{key} の告示病名は「{notified}」です（記入は「{given}」）。告示病名を採用します"),
        ));
    }
    sheet.disease.name = Some(notified.to_owned());
}
