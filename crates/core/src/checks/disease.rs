//! Binding the sheet's 告示番号 to the notified list: the notified name and, for a 医療意見書,
//! its 疾病コード, 大分類 and 細分類.

use kakehashi_sdk::{DiseaseEntry, DiseaseKey, DiseaseRegistry, Finding, Sheet, SheetKind};

pub(super) fn bind(sheet: &mut Sheet, registry: &DiseaseRegistry, findings: &mut Vec<Finding>) {
    let Some(number) = sheet.disease.number else {
        if sheet.provenance.unreadable.contains_key("disease.number") {
            return; // reported once, as unreadable
        }
        findings.push(Finding::error(
            "header.required",
            Some("disease.number"),
            "the disease's notified number (告示番号) is missing",
            "告示番号が記入されていません",
        ));
        return;
    };
    if sheet.kind == SheetKind::Shoman && sheet.disease.group.is_none() {
        if sheet.provenance.unreadable.contains_key("disease.group") {
            return;
        }
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
    if sheet.kind == SheetKind::Shoman {
        bind_classification(sheet, entry, findings);
    }
}

/// The 医療意見書's 疾病コード, 大分類 and 細分類 come from the list: a code the sheet gives is
/// compared first (a code of another disease is a warning, since the 告示番号 decides).
fn bind_classification(sheet: &mut Sheet, entry: &DiseaseEntry, findings: &mut Vec<Finding>) {
    let key = entry.key;
    if let (Some(given), Some(listed)) = (sheet.disease.code.as_deref(), entry.code.as_deref())
        && given.trim() != listed
    {
        findings.push(Finding::warning(
            "disease.code_mismatch",
            Some("disease.code"),
            format!("{key} has the disease code {listed}, the sheet says {given}; the listed code is used"),
            format!("{key} の疾病コードは {listed} です（記入は {given}）。一覧の疾病コードを採用します"),
        ));
    }
    let listed = |value: &Option<String>, given: &mut Option<String>| {
        if value.is_some() {
            given.clone_from(value);
        }
    };
    listed(&entry.code, &mut sheet.disease.code);
    listed(&entry.group_name, &mut sheet.disease.major_class);
    listed(&entry.subgroup_name, &mut sheet.disease.minor_class);
}
