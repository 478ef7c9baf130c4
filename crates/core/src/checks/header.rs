//! Header rules: required fields per form, formats, kana, the living-condition scale, plausible
//! child measurements.

use kakehashi_sdk::{Finding, Sheet, SheetKind};

/// Fields every sheet must have: path, Japanese name, whether the sheet has it.
type Required = (&'static str, &'static str, fn(&Sheet) -> bool);

const REQUIRED: &[Required] = &[
    ("patient.name", "氏名", |s| s.patient.name.is_some()),
    ("patient.name_kana", "氏名（カナ）", |s| {
        s.patient.name_kana.is_some()
    }),
    ("patient.date_of_birth", "生年月日", |s| {
        s.patient.date_of_birth.is_some()
    }),
    ("patient.sex", "性別", |s| s.patient.sex.is_some()),
    (
        "institution.designated_doctor_number",
        "指定医番号",
        |s| s.institution.designated_doctor_number.is_some(),
    ),
    ("institution.doctor_name", "医師の氏名", |s| {
        s.institution.doctor_name.is_some()
    }),
    ("institution.name", "医療機関名", |s| {
        s.institution.name.is_some()
    }),
    ("institution.date_written", "記載年月日", |s| {
        s.institution.date_written.is_some()
    }),
];

/// Whether a character may appear in a kana field: katakana, hiragana, the long-vowel mark,
/// the middle dot and spaces.
fn is_kana(c: char) -> bool {
    matches!(c, '\u{30A1}'..='\u{30FA}' | '\u{30FC}' | '\u{30FB}' | '\u{3041}'..='\u{3096}' | ' ' | '\u{3000}' | 'ヽ' | 'ヾ' | 'ゝ' | 'ゞ')
}

fn plausible(
    findings: &mut Vec<Finding>,
    path: &str,
    label_ja: &str,
    value: Option<f64>,
    min: f64,
    max: f64,
) {
    if let Some(v) = value
        && !(min..=max).contains(&v)
    {
        findings.push(Finding::warning(
            "header.implausible",
            Some(path),
            format!("{path} = {v} is outside the plausible range {min}–{max}; please confirm"),
            format!("{label_ja} {v} は想定範囲 {min}～{max} の外です。ご確認ください"),
        ));
    }
}

pub(super) fn check(sheet: &mut Sheet, findings: &mut Vec<Finding>) {
    for (path, label_ja, present) in REQUIRED {
        // A value kept as written but unreadable has its own finding (field.unreadable).
        if !present(sheet) && !sheet.provenance.unreadable.contains_key(*path) {
            findings.push(Finding::error(
                "header.required",
                Some(path),
                format!("{path} is required"),
                format!("{label_ja}が記入されていません"),
            ));
        }
    }
    if let Some(kana) = &sheet.patient.name_kana
        && let Some(bad) = kana.chars().find(|c| !is_kana(*c))
    {
        findings.push(Finding::error(
            "header.not_kana",
            Some("patient.name_kana"),
            format!("the kana name may hold only kana, not `{bad}`"),
            format!("氏名（カナ）にカナ以外の文字「{bad}」があります"),
        ));
    }
    if let Some(postal) = &sheet.patient.postal_code {
        let digits: String = postal.chars().filter(|c| *c != '-').collect();
        if digits.len() != 7 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            findings.push(Finding::error(
                "header.format",
                Some("patient.postal_code"),
                format!("postal code `{postal}` is not NNN-NNNN"),
                format!("郵便番号「{postal}」は NNN-NNNN の形式ではありません"),
            ));
        }
    }
    for (path, answer) in sheet.clinical.living.answers() {
        if let Some(a) = answer
            && !(1..=5).contains(&a)
        {
            findings.push(Finding::error(
                "header.out_of_range",
                Some(path),
                format!("{path} is answered on five levels, 1–5, not {a}"),
                format!("生活状況は 1～5 の 5 段階で記入してください（{a}）"),
            ));
        }
    }
    if sheet.kind == SheetKind::Nanbyo && sheet.child.is_some() {
        findings.push(Finding::warning(
            "header.child_fields",
            Some("child"),
            "a 難病 sheet has 医療意見書 (小慢) fields; they are kept but not part of the 臨個票",
            "臨個票に医療意見書（小慢）の項目が含まれています",
        ));
    }
    if let Some(child) = &sheet.child {
        plausible(
            findings,
            "child.birth_weight_g",
            "出生時体重",
            child.birth_weight_g.map(f64::from),
            200.0,
            6000.0,
        );
        plausible(
            findings,
            "child.birth_weeks",
            "出生時週数",
            child.birth_weeks.map(f64::from),
            20.0,
            45.0,
        );
        plausible(
            findings,
            "child.height_cm",
            "身長",
            child.height_cm,
            30.0,
            220.0,
        );
        plausible(
            findings,
            "child.weight_kg",
            "体重",
            child.weight_kg,
            0.5,
            200.0,
        );
    }
}
