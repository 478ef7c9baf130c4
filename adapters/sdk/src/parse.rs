//! Reading values as Japanese clinical documents write them: Western and 和暦 (Japanese era)
//! dates, year-months, sex codes, 有無, full-width digits and letters. Shared by every adapter
//! that starts from text (CSV, OCR, municipal fixed-width files).

use chrono::NaiveDate;

use crate::{Presence, Sex, YearMonth};

/// Full-width ASCII (U+FF01–U+FF5E) to half-width, the ideographic space to a space. Kana are
/// left alone: names keep their script.
pub fn to_halfwidth(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

/// Kana as EHRs export it, made canonical: half-width katakana (ﾔﾏﾀﾞ) become full-width
/// (ヤマダ) with their voicing marks composed, and the ideographic space a plain space (NFKC).
/// Only for kana fields: NFKC would change some kanji in names.
pub fn normalize_kana(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.trim().nfkc().collect()
}

/// Japanese eras: name, one-letter abbreviation, first day.
const ERAS: [(&str, char, (i32, u32, u32)); 5] = [
    ("令和", 'R', (2019, 5, 1)),
    ("平成", 'H', (1989, 1, 8)),
    ("昭和", 'S', (1926, 12, 25)),
    ("大正", 'T', (1912, 7, 30)),
    ("明治", 'M', (1868, 1, 25)),
];

/// Splits a date-like text into its era (if any) and its numbers.
fn era_and_numbers(text: &str) -> Result<(Option<usize>, Vec<u32>), String> {
    let s = to_halfwidth(text.trim());
    let mut rest = s.as_str();
    let mut era = None;
    for (i, (name, letter, _)) in ERAS.iter().enumerate() {
        if let Some(r) = rest.strip_prefix(name) {
            era = Some(i);
            rest = r;
            break;
        }
        let mut chars = rest.chars();
        if chars.next().map(|c| c.to_ascii_uppercase()) == Some(*letter) {
            era = Some(i);
            rest = chars.as_str();
            break;
        }
    }
    let rest = rest.trim();
    // 元年 is year 1 of an era.
    let normalised = rest.replacen("元", "1", 1);
    let mut numbers = Vec::new();
    for part in normalised.split(['.', '/', '-', '年', '月', '日', ' ']) {
        if part.is_empty() {
            continue;
        }
        numbers.push(
            part.parse::<u32>()
                .map_err(|_| format!("`{text}` is not a date"))?,
        );
    }
    if numbers.is_empty() {
        return Err(format!("`{text}` is not a date"));
    }
    Ok((era, numbers))
}

fn era_year(era: usize, year_of_era: u32, text: &str) -> Result<i32, String> {
    if year_of_era == 0 {
        return Err(format!("`{text}`: an era has no year 0"));
    }
    Ok(ERAS[era].2.0 + year_of_era as i32 - 1)
}

/// Checks that a date written in an era lies within that era (平成31年5月1日 does not exist: that
/// day is 令和元年5月1日).
fn within_era(era: usize, date: NaiveDate, text: &str) -> Result<NaiveDate, String> {
    let (y, m, d) = ERAS[era].2;
    let start =
        NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| format!("`{text}` is not a date"))?;
    let end = era.checked_sub(1).and_then(|next| {
        let (y, m, d) = ERAS[next].2;
        NaiveDate::from_ymd_opt(y, m, d)
    });
    if date < start || end.is_some_and(|e| date >= e) {
        return Err(format!("`{text}` is outside the {} era", ERAS[era].0));
    }
    Ok(date)
}

/// A date written as `2024-04-01`, `2024/4/1`, `20240401`, `R6.4.1`, `令和6年4月1日`, `H31.4.30`
/// or `令和元年5月1日`.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let compact = to_halfwidth(text.trim());
    if compact.len() == 8 && compact.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(&compact, "%Y%m%d")
            .map_err(|_| format!("`{text}` is not a date"));
    }
    let (era, numbers) = era_and_numbers(text)?;
    let [y, m, d] = numbers[..] else {
        return Err(format!("`{text}` is not a full date (year, month, day)"));
    };
    let year = match era {
        Some(e) => era_year(e, y, text)?,
        None if y >= 1000 => y as i32,
        None => return Err(format!("`{text}` has no era and no four-digit year")),
    };
    let date = NaiveDate::from_ymd_opt(year, m, d)
        .ok_or_else(|| format!("`{text}` is not a calendar date"))?;
    match era {
        Some(e) => within_era(e, date, text),
        None => Ok(date),
    }
}

/// A year and month (`2019-04`, `2019/4`, `201904`, `H31.4`, `平成31年4月`); a full date is
/// accepted and its day dropped.
pub fn parse_year_month(text: &str) -> Result<YearMonth, String> {
    let compact = to_halfwidth(text.trim());
    if compact.len() == 6 && compact.bytes().all(|b| b.is_ascii_digit()) {
        let (y, m) = compact.split_at(4);
        return YearMonth::new(y.parse().unwrap_or(0), m.parse().unwrap_or(0))
            .ok_or_else(|| format!("`{text}` is not a year-month"));
    }
    if let Ok(date) = parse_date(text) {
        return Ok(YearMonth::of(date));
    }
    let (era, numbers) = era_and_numbers(text)?;
    let [y, m] = numbers[..] else {
        return Err(format!("`{text}` is not a year-month"));
    };
    let year = match era {
        Some(e) => era_year(e, y, text)?,
        None if y >= 1000 => y as i32,
        None => return Err(format!("`{text}` has no era and no four-digit year")),
    };
    YearMonth::new(year, m).ok_or_else(|| format!("`{text}` has no month {m}"))
}

/// A date in the era-coded form of Japanese administrative records, `GYYMMDD`: the era code
/// (1 明治, 2 大正, 3 昭和, 4 平成, 5 令和) and two digits each of year of era, month and day
/// (`5060401` is 令和6年4月1日).
pub fn parse_era_coded_date(text: &str) -> Result<NaiveDate, String> {
    let compact = to_halfwidth(text.trim());
    let bytes = compact.as_bytes();
    if bytes.len() != 7 || !bytes.iter().all(u8::is_ascii_digit) {
        return Err(format!(
            "`{text}` is not an era-coded date (GYYMMDD, e.g. 5060401)"
        ));
    }
    let number = |range: std::ops::Range<usize>| compact[range].parse::<u32>().unwrap_or(0);
    let era = match number(0..1) {
        code @ 1..=5 => ERAS.len() - code as usize,
        _ => return Err(format!("`{text}`: era code must be 1–5 (明治–令和)")),
    };
    let year = era_year(era, number(1..3), text)?;
    let date = NaiveDate::from_ymd_opt(year, number(3..5), number(5..7))
        .ok_or_else(|| format!("`{text}` is not a calendar date"))?;
    within_era(era, date, text)
}

/// Writes a date as `GYYMMDD` (see [`parse_era_coded_date`]); `None` before 明治.
pub fn format_era_coded_date(date: NaiveDate) -> Option<String> {
    use chrono::Datelike;
    ERAS.iter().enumerate().find_map(|(i, (_, _, (y, m, d)))| {
        let start = NaiveDate::from_ymd_opt(*y, *m, *d)?;
        (date >= start).then(|| {
            format!(
                "{}{:02}{:02}{:02}",
                ERAS.len() - i,
                date.year() - y + 1,
                date.month(),
                date.day()
            )
        })
    })
}

/// Whether the last digit of `number` is its check digit, as 公費負担者番号 (payer number),
/// 受給者番号 (recipient number) and 保険者番号 (insurer number) end: from the digit before the
/// check digit leftwards, multiply by 2, 1, 2, …, add the digits of each product; the check
/// digit is (10 − sum mod 10) mod 10.
pub fn check_digit_is_valid(number: &str) -> bool {
    let digits: Option<Vec<u32>> = number.chars().map(|c| c.to_digit(10)).collect();
    let Some((check, body)) = digits.as_deref().and_then(|d| d.split_last()) else {
        return false;
    };
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let product = d * if i % 2 == 0 { 2 } else { 1 };
            product / 10 + product % 10
        })
        .sum();
    (10 - sum % 10) % 10 == *check
}

/// Sex as EHRs export it: `1`/`2` (the JIS X 0303 codes), 男/女, M/F, male/female.
pub fn parse_sex(text: &str) -> Result<Sex, String> {
    match to_halfwidth(text.trim()).to_ascii_lowercase().as_str() {
        "1" | "男" | "男性" | "m" | "male" => Ok(Sex::Male),
        "2" | "女" | "女性" | "f" | "female" => Ok(Sex::Female),
        _ => Err(format!("`{text}` is not a sex code (1/2, 男/女, M/F)")),
    }
}

/// 有無: あり/なし/不明, 有/無, 1/2/9, yes/no/unknown, true/false.
pub fn parse_presence(text: &str) -> Result<Presence, String> {
    match to_halfwidth(text.trim()).to_ascii_lowercase().as_str() {
        "あり" | "有" | "有り" | "1" | "yes" | "y" | "true" | "present" => {
            Ok(Presence::Present)
        }
        "なし" | "無" | "無し" | "2" | "0" | "no" | "n" | "false" | "absent" => {
            Ok(Presence::Absent)
        }
        "不明" | "9" | "unknown" => Ok(Presence::Unknown),
        _ => Err(format!("`{text}` is not あり/なし/不明")),
    }
}

/// A decimal literal's value: sign, significant digits and the power of ten of the last
/// one (`1.50`, `15e-1` and `0.15E1` are the same); `None` for what is not a plain decimal.
fn decimal_value(text: &str) -> Option<(bool, String, i64)> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i64>().ok()?),
        None => (unsigned, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{fraction}");
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let significant = digits.trim_end_matches('0');
    let power = exponent - fraction.len() as i64 + (digits.len() - significant.len()) as i64;
    let significant = significant.trim_start_matches('0');
    if significant.is_empty() {
        return Some((false, String::new(), 0));
    }
    Some((negative, significant.to_owned(), power))
}

/// The binary number (`f64`) a decimal literal is held as, when that is not the literal's
/// value (`132.123456789012345678` → 132.12345678901235, `1e-400` → 0); `None` when it is held
/// exactly (`1.50`, `0.1` as written back) or is not a decimal. Full-width digits are read as
/// the header fields read them.
pub(crate) fn inexact_decimal(text: &str) -> Option<f64> {
    let text = to_halfwidth(text.trim());
    let written = decimal_value(&text)?;
    let held = text.parse::<f64>().ok().filter(|v| v.is_finite())?;
    (decimal_value(&format!("{held:e}")) != Some(written)).then_some(held)
}

/// A boolean answer (はい/いいえ, 1/0, yes/no, true/false, 該当/非該当).
pub fn parse_bool(text: &str) -> Result<bool, String> {
    match to_halfwidth(text.trim()).to_ascii_lowercase().as_str() {
        "はい" | "あり" | "有" | "該当" | "1" | "yes" | "y" | "true" => Ok(true),
        "いいえ" | "なし" | "無" | "非該当" | "0" | "2" | "no" | "n" | "false" => {
            Ok(false)
        }
        _ => Err(format!("`{text}` is not yes/no")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn decimals_a_binary_number_cannot_hold_are_told_apart() {
        for exact in [
            "132.5",
            "1.50",
            "0.1",
            "15e-1",
            "-0",
            "0.000",
            "92.14480588800343",
            "１３２．５",
        ] {
            assert_eq!(inexact_decimal(exact), None, "{exact}");
        }
        assert_eq!(
            inexact_decimal("132.123456789012345678"),
            Some(132.12345678901235)
        );
        assert_eq!(
            inexact_decimal("１３２．１２３４５６７８９０１２３４５６７８"),
            Some(132.12345678901235)
        );
        assert_eq!(inexact_decimal("1e-400"), Some(0.0));
        assert_eq!(inexact_decimal("abc"), None);
        assert_eq!(inexact_decimal("1e400"), None); // not a number at all: field.unreadable
    }

    #[test]
    fn western_and_wareki_dates() {
        assert_eq!(parse_date("2024-04-01"), Ok(d(2024, 4, 1)));
        assert_eq!(parse_date("2024/4/1"), Ok(d(2024, 4, 1)));
        assert_eq!(parse_date("20240401"), Ok(d(2024, 4, 1)));
        assert_eq!(parse_date("R6.4.1"), Ok(d(2024, 4, 1)));
        assert_eq!(parse_date("令和6年4月1日"), Ok(d(2024, 4, 1)));
        assert_eq!(parse_date("H31.4.30"), Ok(d(2019, 4, 30)));
        assert_eq!(parse_date("令和元年5月1日"), Ok(d(2019, 5, 1)));
        assert_eq!(parse_date("S64.1.7"), Ok(d(1989, 1, 7)));
        assert_eq!(parse_date("Ｒ６．４．１"), Ok(d(2024, 4, 1)));
        assert_eq!(parse_date(" 2024年4月1日 "), Ok(d(2024, 4, 1)));
    }

    #[test]
    fn impossible_dates_are_refused_with_the_text() {
        for bad in [
            "2024-02-30",
            "H31.5.1",
            "R0.1.1",
            "S65.1.1",
            "12/4/1",
            "abc",
            "",
            "R6.4",
        ] {
            let err = parse_date(bad).unwrap_err();
            assert!(err.contains(bad.trim()), "{bad}: {err}");
        }
    }

    #[test]
    fn year_months() {
        assert_eq!(parse_year_month("2019-04").unwrap().to_string(), "2019-04");
        assert_eq!(parse_year_month("H31.4").unwrap().to_string(), "2019-04");
        assert_eq!(
            parse_year_month("平成30年12月").unwrap().to_string(),
            "2018-12"
        );
        assert_eq!(parse_year_month("201904").unwrap().to_string(), "2019-04");
        assert_eq!(
            parse_year_month("2019/4/15").unwrap().to_string(),
            "2019-04"
        );
        assert!(parse_year_month("2019-13").is_err());
    }

    #[test]
    fn sex_codes() {
        for m in ["1", "男", "M", "m", "１", "male"] {
            assert_eq!(parse_sex(m), Ok(Sex::Male), "{m}");
        }
        for f in ["2", "女", "F", "Ｆ"] {
            assert_eq!(parse_sex(f), Ok(Sex::Female), "{f}");
        }
        assert!(parse_sex("3").is_err());
    }

    #[test]
    fn era_coded_dates_both_ways() {
        assert_eq!(parse_era_coded_date("5060401"), Ok(d(2024, 4, 1)));
        assert_eq!(parse_era_coded_date("4310430"), Ok(d(2019, 4, 30)));
        assert_eq!(parse_era_coded_date("3550314"), Ok(d(1980, 3, 14)));
        for bad in [
            "4310501", "6010101", "5000101", "50604", "506040a", "5060230",
        ] {
            assert!(parse_era_coded_date(bad).is_err(), "{bad}");
        }
        for date in [d(2024, 4, 1), d(2019, 4, 30), d(2019, 5, 1), d(1980, 3, 14)] {
            let text = format_era_coded_date(date).unwrap();
            assert_eq!(parse_era_coded_date(&text), Ok(date), "{text}");
        }
        assert_eq!(format_era_coded_date(d(2019, 5, 1)).unwrap(), "5010501");
    }

    #[test]
    fn check_digits() {
        assert!(check_digit_is_valid("54016027"));
        assert!(!check_digit_is_valid("88134458"));
        assert!(check_digit_is_valid("1234566"));
        assert!(!check_digit_is_valid(""));
    }

    #[test]
    fn halfwidth_keeps_kana() {
        assert_eq!(to_halfwidth("ＡＢＣ１２３　ヤマダ"), "ABC123 ヤマダ");
    }
}
