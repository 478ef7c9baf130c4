//! Date order: birth ≤ onset ≤ date written ≤ today; a child's first visit after birth and a
//! mother born before her child. Also computes the 意見書's age (自動計算).

use chrono::{Datelike, NaiveDate};
use kakehashi_sdk::{Finding, Sheet, SheetKind, YearMonth};

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
        && age >= 20
    {
        findings.push(Finding::error(
            "header.age",
            Some("patient.date_of_birth"),
            format!("小慢 covers children under 20; the patient is {age} on the date written"),
            format!("小慢の対象は 20 歳未満です（記載日時点で {age} 歳）"),
        ));
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
}
