//! Cross-field agreement: the fields of one form as independent witnesses of each other. A
//! misread rarely keeps two fields consistent, so each rule here, when the fields disagree,
//! sends every field involved to review:
//!
//! - 告示番号 against the disease name written beside it (a mismatch is also an error finding:
//!   the sheet would otherwise become another disease);
//! - the postal code against the address (Japan Post's table, [`crate::postal`]);
//! - the フリガナ against the name, where the surname's reading is certain ([`crate::readings`]);
//! - dates against each other and the ages a sheet can describe; identifiers against their
//!   check digits; disease items against the disease template's ranges;
//! - and, field by field, a name, address or institution containing a character with a variant
//!   form (異体字, [`crate::variants`]).

use chrono::{Datelike, NaiveDate};
use kakehashi_sdk::parse::{check_digit_is_valid, parse_date, parse_year_month};
use kakehashi_sdk::{
    DiseaseKey, DiseaseRegistry, Finding, MappingContext, SheetKind, SourceLocation, TemplateSet,
    YearMonth,
};

use crate::evidence::Reason;
use crate::postal::{self, Agreement};
use crate::read::ZoneReading;
use crate::readings::kana_agrees;
use crate::template::Zone;
use crate::variants::first_variant;

/// One zone of a form as read.
pub(crate) struct Read<'t> {
    pub zone: &'t Zone,
    pub reading: ZoneReading,
    pub location: SourceLocation,
}

/// The oldest a person on a sheet is taken to be, and the oldest on a 小慢 意見書 (children,
/// continued up to 20).
const MAX_AGE: i32 = 120;
const MAX_AGE_SHOMAN: i32 = 20;

/// The earliest date a sheet can be written on (指定難病 under the 2015 law).
const FIRST_WRITTEN: (i32, u32, u32) = (2015, 1, 1);

/// Runs every rule over one form's readings, doubting the readings that disagree; returns the
/// findings the disagreement is (the disease mismatch).
pub(crate) fn cross_check(
    kind: SheetKind,
    reads: &mut [Read<'_>],
    context: &MappingContext<'_>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let disease = disease(kind, reads, context.diseases, &mut findings);
    let confirmed_address = postal_and_address(reads);
    kana_and_name(reads);
    dates(kind, reads);
    identifiers(reads);
    if let Some(key) = disease {
        items(reads, key, context.templates);
    }
    variants(reads, confirmed_address);
    findings
}

fn index(reads: &[Read<'_>], target: &str) -> Option<usize> {
    reads.iter().position(|r| r.zone.target() == target)
}

fn text<'r>(reads: &'r [Read<'_>], target: &str) -> Option<&'r str> {
    index(reads, target).and_then(|i| reads[i].reading.text.as_deref())
}

fn doubt(reads: &mut [Read<'_>], target: &str, reason: Reason) {
    if let Some(i) = index(reads, target) {
        reads[i].reading.doubt(reason);
    }
}

/// A disease name as compared: no spaces, no punctuation that OCR renders either way.
fn normalise(name: &str) -> Vec<char> {
    name.chars()
        .filter(|c| !c.is_whitespace() && !"・･/／()（）".contains(*c))
        .collect()
}

fn distance(a: &[char], b: &[char]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diagonal + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// How far a written name is from a notified one: 0 when it is the notified name or one of the
/// names it joins with `／` (多発性硬化症 of 多発性硬化症／視神経脊髄炎).
fn name_distance(written: &[char], notified: &str) -> usize {
    std::iter::once(notified)
        .chain(notified.split('／'))
        .map(|n| distance(written, &normalise(n)))
        .min()
        .unwrap_or(usize::MAX)
}

/// 告示番号 against the written name: the number stands only when the name written beside it is
/// nearest to that number's notified name, clearly (closer than to any other disease, and
/// within a third of its length). Returns the disease when they agree.
fn disease(
    kind: SheetKind,
    reads: &mut [Read<'_>],
    registry: &DiseaseRegistry,
    findings: &mut Vec<Finding>,
) -> Option<DiseaseKey> {
    let number_text = text(reads, "disease.number")?.to_owned();
    let number: Option<u16> = number_text.parse().ok();
    let Some(name) = text(reads, "disease.name").map(normalise) else {
        doubt(reads, "disease.number", Reason::DiseaseMismatch);
        return None;
    };
    let mut ranked: Vec<(usize, DiseaseKey)> = registry
        .search(Some(kind), None)
        .map(|e| (name_distance(&name, &e.name), e.key))
        .collect();
    ranked.sort_by_key(|(d, k)| (*d, k.number));
    let agreed = match (ranked.first(), ranked.get(1), number) {
        (Some(&(best, key)), second, Some(n)) => {
            let clear = second.is_none_or(|&(d, _)| d > best);
            (key.number == n && clear && best * 3 <= name.len()).then_some((key, best))
        }
        _ => None,
    };
    match agreed {
        Some((key, best)) => {
            if best > 0 {
                // The number stands; the name itself was not read as notified.
                doubt(reads, "disease.name", Reason::DiseaseMismatch);
            }
            Some(key)
        }
        None => {
            doubt(reads, "disease.number", Reason::DiseaseMismatch);
            doubt(reads, "disease.name", Reason::DiseaseMismatch);
            let written: String = name.iter().collect();
            let nearest = ranked
                .first()
                .map(|(_, k)| k.number.to_string())
                .unwrap_or_default();
            findings.push(Finding::error(
                Reason::DiseaseMismatch.code(),
                Some("disease.number"),
                format!(
                    "the 告示番号 reads {number_text} but the disease name written beside it, 「{written}」, is nearest to notified disease {nearest}: both go to review"
                ),
                format!(
                    "告示番号は {number_text} と読めますが、記入された病名「{written}」は告示番号 {nearest} の病名に最も近く一致しません。両方を確認してください"
                ),
            ));
            None
        }
    }
}

/// Postal code against address; returns how many bytes of the (whitespace-free) address the
/// postal data confirms (its prefecture, city and town).
fn postal_and_address(reads: &mut [Read<'_>]) -> usize {
    let (Some(code), Some(address)) = (
        text(reads, "patient.postal_code"),
        text(reads, "patient.address"),
    ) else {
        return 0;
    };
    match postal::agreement(code, address) {
        Agreement::Agrees { confirmed } => confirmed,
        Agreement::Disagrees | Agreement::UnknownCode => {
            doubt(reads, "patient.postal_code", Reason::PostalMismatch);
            doubt(reads, "patient.address", Reason::PostalMismatch);
            0
        }
    }
}

fn kana_and_name(reads: &mut [Read<'_>]) {
    let (Some(name), Some(kana)) = (
        text(reads, "patient.name"),
        text(reads, "patient.name_kana"),
    ) else {
        return;
    };
    if kana_agrees(name, kana) == Some(false) {
        doubt(reads, "patient.name", Reason::KanaMismatch);
        doubt(reads, "patient.name_kana", Reason::KanaMismatch);
    }
}

fn years_between(from: NaiveDate, to: NaiveDate) -> i32 {
    let mut years = to.year() - from.year();
    if (to.month(), to.day()) < (from.month(), from.day()) {
        years -= 1;
    }
    years
}

/// Dates against each other: born before the sheet was written and at an age the sheet can
/// describe, the onset between birth and writing, the writing within the programme's years.
fn dates(kind: SheetKind, reads: &mut [Read<'_>]) {
    const BIRTH: &str = "patient.date_of_birth";
    const WRITTEN: &str = "institution.date_written";
    const ONSET: &str = "clinical.onset";
    let date = |reads: &[Read<'_>], t| text(reads, t).and_then(|s| parse_date(s).ok());
    let birth = date(reads, BIRTH);
    let written = date(reads, WRITTEN);
    let onset = text(reads, ONSET).and_then(|s| parse_year_month(s).ok());
    let first_written = NaiveDate::from_ymd_opt(FIRST_WRITTEN.0, FIRST_WRITTEN.1, FIRST_WRITTEN.2);
    if let (Some(w), Some(first)) = (written, first_written)
        && w < first
    {
        doubt(reads, WRITTEN, Reason::Implausible);
    }
    if let (Some(b), Some(w)) = (birth, written) {
        let age = years_between(b, w);
        let oldest = if kind == SheetKind::Shoman {
            MAX_AGE_SHOMAN
        } else {
            MAX_AGE
        };
        if !(0..=oldest).contains(&age) {
            doubt(reads, BIRTH, Reason::Implausible);
            doubt(reads, WRITTEN, Reason::Implausible);
        }
    }
    if let Some(o) = onset {
        if let Some(b) = birth
            && o < YearMonth::of(b)
        {
            doubt(reads, ONSET, Reason::Implausible);
            doubt(reads, BIRTH, Reason::Implausible);
        }
        if let Some(w) = written
            && o > YearMonth::of(w)
        {
            doubt(reads, ONSET, Reason::Implausible);
            doubt(reads, WRITTEN, Reason::Implausible);
        }
    }
}

/// Identifiers of a known length whose last digit checks the others (受給者番号, 保険者番号),
/// and the postal code's seven digits.
fn identifiers(reads: &mut [Read<'_>]) {
    let rules: [(&str, &[usize], bool); 3] = [
        ("administrative.recipient_number", &[7], true),
        ("patient.insurance.insurer_number", &[6, 8], true),
        ("patient.postal_code", &[7], false),
    ];
    for (target, lengths, check_digit) in rules {
        let Some(value) = text(reads, target) else {
            continue;
        };
        let digits: String = value.chars().filter(|c| *c != '-').collect();
        if !lengths.contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            doubt(reads, target, Reason::Implausible);
        } else if check_digit && !check_digit_is_valid(&digits) {
            doubt(reads, target, Reason::CheckDigit);
        }
    }
}

/// Disease items against the template's range and allowed values.
fn items(reads: &mut [Read<'_>], key: DiseaseKey, templates: &TemplateSet) {
    let Some(template) = templates.get(&key) else {
        return;
    };
    for read in reads.iter_mut() {
        let (Some(code), Some(value)) = (&read.zone.item, &read.reading.text) else {
            continue;
        };
        let Some(def) = template.items.iter().find(|d| &d.code == code) else {
            continue;
        };
        let number: Option<f64> = value.trim().parse().ok();
        let plausible = match number {
            Some(n) => {
                def.min.is_none_or(|m| n >= m)
                    && def.max.is_none_or(|m| n <= m)
                    && (def.allowed.is_empty()
                        || def.allowed.iter().any(|a| a.value.as_f64() == Some(n)))
            }
            None => def.min.is_none() && def.max.is_none(),
        };
        if !plausible {
            read.reading.doubt(Reason::Implausible);
        }
    }
}

/// Names, addresses and institutions keep their character forms: any character with a
/// variant goes to review — in an address, past the part the postal code confirms.
fn variants(reads: &mut [Read<'_>], confirmed_address: usize) {
    for read in reads.iter_mut().filter(|r| r.zone.exact_kanji) {
        let Some(value) = &read.reading.text else {
            continue;
        };
        let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
        let unconfirmed = if read.zone.target() == "patient.address" {
            compact.get(confirmed_address..).unwrap_or(&compact)
        } else {
            &compact
        };
        if first_variant(unconfirmed).is_some() {
            read.reading.doubt(Reason::VariantKanji);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_and_notified_names() {
        let n = normalise;
        assert_eq!(
            distance(&n("全身性エリテマトーデス"), &n("全身性エリテマトーデス")),
            0
        );
        assert_eq!(
            distance(&n("全身性エリテマトーテス"), &n("全身性エリテマトーデス")),
            1
        );
        assert_eq!(
            name_distance(&n("多発性硬化症"), "多発性硬化症／視神経脊髄炎"),
            0
        );
        assert_eq!(distance(&n(""), &n("abc")), 3);
    }
}
