//! One field's text, both ways: reading a decision file's text into a canonical value, and
//! writing a canonical value as the layout wants it. Both go through the layout's `codes`, so a
//! file written with a layout reads back to the same values.

use chrono::{Datelike, NaiveDate};
use kakehashi_sdk::{
    CertificationDecision, IncomeTier, Patient, Sex, SheetKind, SpecialStatus, parse,
};

use crate::kana::to_halfwidth_katakana;
use crate::layout::{DateFormat, DecisionField, FieldSpec, KanaWidth};

/// A value that could not be read, or could not be written: a stable code and both messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub code: &'static str,
    pub message: String,
    pub message_ja: String,
}

impl Problem {
    pub fn new(code: &'static str, message: String, message_ja: String) -> Self {
        Self {
            code,
            message,
            message_ja,
        }
    }

    /// A value the file wrote in a way that does not read as `what`.
    fn unreadable(code: &'static str, spec: &FieldSpec, raw: &str, reason: String) -> Self {
        Self::new(
            code,
            format!("{} `{raw}`: {reason}", spec.label()),
            format!("{} の値 `{raw}` を読めません: {reason}", spec.label()),
        )
    }
}

/// One field's value, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Kind(SheetKind),
    Decision(CertificationDecision),
    Digits(String),
    Tier(IncomeTier),
    Status(Option<SpecialStatus>),
    Amount(u32),
    Date(NaiveDate),
    Consent(bool),
}

/// The canonical name of a file code, when the layout lists it.
fn decode_code<'a>(spec: &'a FieldSpec, raw: &'a str) -> &'a str {
    spec.codes
        .iter()
        .find(|(_, code)| code.as_str() == raw)
        .map_or(raw, |(canonical, _)| canonical.as_str())
}

/// Reads a digits-only identifier (full-width digits allowed) of the given lengths.
fn digits(spec: &FieldSpec, raw: &str, lengths: &[usize], what: &str) -> Result<String, Problem> {
    let text = parse::to_halfwidth(raw);
    if text.bytes().all(|b| b.is_ascii_digit()) && lengths.contains(&text.len()) {
        return Ok(text);
    }
    let lengths: Vec<String> = lengths.iter().map(usize::to_string).collect();
    Err(Problem::unreadable(
        "identifier.format",
        spec,
        raw,
        format!("{what} must be {} digits", lengths.join(" or ")),
    ))
}

fn read_date(spec: &FieldSpec, raw: &str) -> Result<NaiveDate, Problem> {
    let parsed = match spec.date {
        DateFormat::EraCode => parse::parse_era_coded_date(raw),
        DateFormat::Iso | DateFormat::Yyyymmdd | DateFormat::Wareki => parse::parse_date(raw),
    };
    parsed.map_err(|reason| Problem::unreadable("municipal.date", spec, raw, reason))
}

/// Reads one field's trimmed, non-empty text. Identifiers are only checked for their length
/// here; their check digits are the certification's concern.
pub fn read(spec: &FieldSpec, raw: &str) -> Result<Value, Problem> {
    let text = decode_code(spec, raw);
    let bad = |code, reason: String| Problem::unreadable(code, spec, raw, reason);
    Ok(match spec.field {
        DecisionField::Kind => Value::Kind(text.parse().map_err(|r| bad("municipal.kind", r))?),
        DecisionField::Decision => {
            Value::Decision(text.parse().map_err(|r| bad("municipal.decision", r))?)
        }
        DecisionField::ReceiptNumber => Value::Digits(digits(spec, raw, &[15], "受付番号")?),
        DecisionField::PayerNumber => Value::Digits(digits(spec, raw, &[8], "公費負担者番号")?),
        DecisionField::RecipientNumber => Value::Digits(digits(spec, raw, &[7], "受給者番号")?),
        DecisionField::IncomeTier => {
            Value::Tier(text.parse().map_err(|r| bad("municipal.income_tier", r))?)
        }
        DecisionField::SpecialStatus => Value::Status(
            SpecialStatus::parse_optional(text).map_err(|r| bad("municipal.special_status", r))?,
        ),
        DecisionField::MonthlyCopaymentCap => {
            let amount = parse::to_halfwidth(text).replace([',', '円', ' '], "");
            Value::Amount(
                amount
                    .parse()
                    .map_err(|_| bad("municipal.amount", "not an amount of yen".to_owned()))?,
            )
        }
        DecisionField::ValidFrom | DecisionField::ValidTo => Value::Date(read_date(spec, raw)?),
        DecisionField::ResearchConsent => Value::Consent(match text {
            "同意" | "同意する" | "あり" => true,
            "不同意" | "同意しない" | "なし" => false,
            other => parse::parse_bool(other).map_err(|r| bad("municipal.consent", r))?,
        }),
        DecisionField::PatientName
        | DecisionField::PatientNameKana
        | DecisionField::PatientDateOfBirth
        | DecisionField::PatientSex
        | DecisionField::PatientPostalCode
        | DecisionField::PatientAddress => {
            return Err(Problem::new(
                "municipal.write_only",
                format!(
                    "{} is written to issuing files, not read",
                    spec.field.path()
                ),
                format!("{} は発行ファイルへの出力専用です", spec.field.path()),
            ));
        }
    })
}

/// What a certification and its patient hold for one field, before codes and formatting.
pub struct Source<'a> {
    pub certification: &'a kakehashi_sdk::Certification,
    pub patient: &'a Patient,
}

fn write_date(spec: &FieldSpec, date: NaiveDate) -> Result<String, Problem> {
    Ok(match spec.date {
        DateFormat::Yyyymmdd => date.format("%Y%m%d").to_string(),
        DateFormat::Iso => date.format("%Y-%m-%d").to_string(),
        DateFormat::EraCode | DateFormat::Wareki => {
            let coded = parse::format_era_coded_date(date).ok_or_else(|| {
                Problem::new(
                    "municipal.date",
                    format!("{date} is before the 明治 era"),
                    format!("{date} は明治より前の日付です"),
                )
            })?;
            if spec.date == DateFormat::EraCode {
                coded
            } else {
                let letter = ["M", "T", "S", "H", "R"][usize::from(coded.as_bytes()[0] - b'1')];
                let year = coded[1..3].parse::<u32>().unwrap_or_default();
                format!("{letter}{year}.{}.{}", date.month(), date.day())
            }
        }
    })
}

/// The text a field is written as; an empty string when the certification has no value.
pub fn write(spec: &FieldSpec, source: &Source<'_>) -> Result<String, Problem> {
    let c = source.certification;
    let p = source.patient;
    let coded = |canonical: &str, default: &str| {
        spec.codes
            .get(canonical)
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    };
    let date = |d: Option<NaiveDate>| d.map_or(Ok(String::new()), |d| write_date(spec, d));
    Ok(match spec.field {
        DecisionField::Kind => coded(
            c.kind.as_str(),
            match c.kind {
                SheetKind::Nanbyo => "難病",
                SheetKind::Shoman => "小慢",
            },
        ),
        DecisionField::Decision => {
            let canonical = match c.decision {
                CertificationDecision::Certified => "certified",
                CertificationDecision::NotCertified => "not_certified",
            };
            coded(canonical, c.decision.label_ja())
        }
        DecisionField::ReceiptNumber => c.receipt_number.clone().unwrap_or_default(),
        DecisionField::PayerNumber => c.payer_number.clone().unwrap_or_default(),
        DecisionField::RecipientNumber => c.recipient_number.clone().unwrap_or_default(),
        DecisionField::IncomeTier => c
            .income_tier
            .map(|t| coded(t.as_str(), t.label_ja()))
            .unwrap_or_default(),
        DecisionField::SpecialStatus => match c.special_status {
            Some(s) => coded(s.as_str(), s.label_ja()),
            None => coded("general", ""),
        },
        DecisionField::MonthlyCopaymentCap => c
            .monthly_copayment_cap
            .map(|a| a.to_string())
            .unwrap_or_default(),
        DecisionField::ValidFrom => date(c.valid_from)?,
        DecisionField::ValidTo => date(c.valid_to)?,
        DecisionField::ResearchConsent => {
            if c.research_consent {
                coded("true", "1")
            } else {
                coded("false", "0")
            }
        }
        DecisionField::PatientName => p.name.clone().unwrap_or_default(),
        DecisionField::PatientNameKana => {
            let kana = p.name_kana.clone().unwrap_or_default();
            match spec.kana {
                KanaWidth::Fullwidth => kana,
                KanaWidth::Halfwidth => to_halfwidth_katakana(&kana),
            }
        }
        DecisionField::PatientDateOfBirth => date(p.date_of_birth)?,
        DecisionField::PatientSex => match p.sex {
            Some(Sex::Male) => coded("male", "1"),
            Some(Sex::Female) => coded("female", "2"),
            None => String::new(),
        },
        DecisionField::PatientPostalCode => p.postal_code.clone().unwrap_or_default(),
        DecisionField::PatientAddress => p.address.clone().unwrap_or_default(),
    })
}
