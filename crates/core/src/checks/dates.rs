//! Date order: birth ≤ onset ≤ date written ≤ today; a child's first visit after birth and a
//! mother born before her child. Also computes the 意見書's age (自動計算) and checks it
//! against 小慢's limits (under 18 for 新規, under 20 for 継続).

use chrono::{Datelike, NaiveDate};
use kakehashi_sdk::{ApplicationType, Finding, Sheet, SheetKind, YearMonth};

/// Full years from `birth` to `on`.
fn age_on(birth: NaiveDate, on: NaiveDate) -> Option<u32> {
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

fn order(
    findings: &mut Vec<Finding>,
    later: &str,
    later_ja: &str,
    later_value: String,
    earlier: &str,
    earlier_ja: &str,
    earlier_value: String,
) {
    findings.push(Finding::error(
        "date.order",
        Some(later),
        format!("{later} ({later_value}) is before {earlier} ({earlier_value})"),
        format!("{later_ja}（{later_value}）が{earlier_ja}（{earlier_value}）より前です"),
    ));
}

pub(super) fn check(sheet: &mut Sheet, today: NaiveDate, findings: &mut Vec<Finding>) {
    let birth = sheet.patient.date_of_birth;
    let written = sheet.institution.date_written;
    let onset = sheet.clinical.onset;
    for (path, label_ja, date) in [
        ("institution.date_written", "記載年月日", written),
        ("patient.date_of_birth", "生年月日", birth),
    ] {
        if let Some(d) = date
            && d > today
        {
            findings.push(Finding::error(
                "date.future",
                Some(path),
                format!("{path} ({d}) is in the future (today is {today})"),
                format!("{label_ja}（{d}）が未来の日付です（本日 {today}）"),
            ));
        }
    }
    if let (Some(b), Some(o)) = (birth, onset)
        && o < YearMonth::of(b)
    {
        order(
            findings,
            "clinical.onset",
            "発症年月",
            o.to_string(),
            "patient.date_of_birth",
            "生年月日",
            b.to_string(),
        );
    }
    if let (Some(o), Some(w)) = (onset, written)
        && YearMonth::of(w) < o
    {
        order(
            findings,
            "institution.date_written",
            "記載年月日",
            w.to_string(),
            "clinical.onset",
            "発症年月",
            o.to_string(),
        );
    }
    if let (Some(b), Some(w)) = (birth, written)
        && w < b
    {
        order(
            findings,
            "institution.date_written",
            "記載年月日",
            w.to_string(),
            "patient.date_of_birth",
            "生年月日",
            b.to_string(),
        );
    }
    let Some(child) = sheet.child.as_mut() else {
        return;
    };
    if let (Some(b), Some(v)) = (birth, child.first_visit_date)
        && v < b
    {
        order(
            findings,
            "child.first_visit_date",
            "初診日",
            v.to_string(),
            "patient.date_of_birth",
            "生年月日",
            b.to_string(),
        );
    }
    if let (Some(v), Some(w)) = (child.first_visit_date, written)
        && w < v
    {
        order(
            findings,
            "institution.date_written",
            "記載年月日",
            w.to_string(),
            "child.first_visit_date",
            "初診日",
            v.to_string(),
        );
    }
    if let (Some(b), Some(m)) = (birth, child.mother_date_of_birth)
        && b <= m
    {
        order(
            findings,
            "patient.date_of_birth",
            "生年月日",
            b.to_string(),
            "child.mother_date_of_birth",
            "母の生年月日",
            m.to_string(),
        );
    }
    child.age_years = birth.zip(written).and_then(|(b, w)| age_on(b, w));
    if sheet.kind == SheetKind::Shoman
        && let Some(age) = child.age_years
    {
        shoman_age(age, sheet.application_type, findings);
    }
}

/// 小慢 age (児童福祉法 第6条の2): a first application (新規) needs a child under 18; past 18
/// only a child already certified before turning 18 continues (継続, on a 更新 sheet), and only
/// while under 20. The age is counted on the date written, the only date the sheet has; the
/// municipality applies the same rule on the application date.
fn shoman_age(age: u32, application: Option<ApplicationType>, findings: &mut Vec<Finding>) {
    let path = Some("patient.date_of_birth");
    if age >= 20 {
        findings.push(Finding::error(
            "header.age",
            path,
            format!("小慢 covers children under 20; the patient is {age} on the date written"),
            format!("小慢の対象は 20 歳未満です（記載日時点で {age} 歳）"),
        ));
        return;
    }
    if age < 18 {
        return;
    }
    match application {
        Some(ApplicationType::Renewal) => {}
        Some(ApplicationType::New) => findings.push(Finding::error(
            "header.age",
            path,
            format!(
                "a first 小慢 application (新規) needs a child under 18; the patient is {age} on the date written, and past 18 only a child certified before 18 continues (更新)"
            ),
            format!(
                "小慢の新規申請は 18 歳未満が対象です（記載日時点で {age} 歳）。18 歳以上は、18 歳到達時点で認定を受けていた方の継続（更新）に限られます"
            ),
        )),
        None => findings.push(Finding::warning(
            "header.age",
            path,
            format!(
                "the patient is {age}: past 18, 小慢 continues only a child certified before 18 (更新); the sheet does not say whether it is 新規 or 更新"
            ),
            format!(
                "記載日時点で {age} 歳です。18 歳以上は 18 歳到達時点で認定を受けていた方の継続（更新）に限られます。新規／更新を記入してください"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_counts_birthdays() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(age_on(d(2010, 4, 2), d(2026, 4, 1)), Some(15));
        assert_eq!(age_on(d(2010, 4, 2), d(2026, 4, 2)), Some(16));
        assert_eq!(age_on(d(2026, 4, 2), d(2026, 4, 1)), None);
    }

    fn age_findings(age: u32, application: Option<ApplicationType>) -> Vec<(String, &'static str)> {
        let mut findings = Vec::new();
        shoman_age(age, application, &mut findings);
        findings
            .into_iter()
            .map(|f| {
                let severity = match f.severity {
                    kakehashi_sdk::Severity::Error => "error",
                    _ => "warning",
                };
                (f.code, severity)
            })
            .collect()
    }

    #[test]
    fn shoman_new_needs_under_18_and_continuing_under_20() {
        use ApplicationType::{New, Renewal};
        let error = vec![("header.age".to_owned(), "error")];
        let warning = vec![("header.age".to_owned(), "warning")];
        for application in [Some(New), Some(Renewal), None] {
            assert!(age_findings(17, application).is_empty(), "{application:?}");
            assert_eq!(age_findings(20, application), error, "{application:?}");
        }
        for age in [18, 19] {
            assert_eq!(age_findings(age, Some(New)), error, "新規 at {age}");
            assert!(age_findings(age, Some(Renewal)).is_empty(), "更新 at {age}");
            assert_eq!(age_findings(age, None), warning, "unknown at {age}");
        }
    }
}
