//! Identifier formats: 公費負担者番号 (payer number, 8 digits) and 受給者番号 (recipient number,
//! 7 digits) end in a check digit; 医療機関コード has 10 digits.

use kakehashi_sdk::parse::check_digit_is_valid;
use kakehashi_sdk::{Finding, Sheet};

fn numbered(
    findings: &mut Vec<Finding>,
    path: &str,
    value: Option<&str>,
    len: usize,
    what: &str,
    what_ja: &str,
) -> bool {
    let Some(value) = value else { return false };
    if value.len() != len || !value.bytes().all(|b| b.is_ascii_digit()) {
        findings.push(Finding::error(
            "identifier.format",
            Some(path),
            format!("{what} must be {len} digits, not `{value}`"),
            format!("{what_ja}は {len} 桁の数字で記入してください（`{value}`）"),
        ));
        return false;
    }
    true
}

pub(super) fn check(sheet: &Sheet, findings: &mut Vec<Finding>) {
    let admin = &sheet.administrative;
    let payer = admin.payer_number.as_deref();
    if numbered(
        findings,
        "administrative.payer_number",
        payer,
        8,
        "the payer number (公費負担者番号)",
        "公費負担者番号",
    ) {
        let payer = payer.unwrap_or_default();
        if !check_digit_is_valid(payer) {
            findings.push(Finding::error(
                "identifier.check_digit",
                Some("administrative.payer_number"),
                format!("the payer number {payer} has a wrong check digit"),
                format!("公費負担者番号 {payer} の検証番号が正しくありません"),
            ));
        }
        let law = sheet.kind.law_number();
        if !payer.starts_with(law) {
            findings.push(Finding::error(
                "identifier.law_number",
                Some("administrative.payer_number"),
                format!(
                    "a {} sheet's payer number starts with 法別番号 {law}, not {}",
                    sheet.kind.as_str(),
                    &payer[..2]
                ),
                format!(
                    "この様式の公費負担者番号は法別番号 {law} で始まります（{}）",
                    &payer[..2]
                ),
            ));
        }
    }
    let recipient = admin.recipient_number.as_deref();
    if numbered(
        findings,
        "administrative.recipient_number",
        recipient,
        7,
        "the recipient number (受給者番号)",
        "受給者番号",
    ) && !check_digit_is_valid(recipient.unwrap_or_default())
    {
        let recipient = recipient.unwrap_or_default();
        findings.push(Finding::error(
            "identifier.check_digit",
            Some("administrative.recipient_number"),
            format!("the recipient number {recipient} has a wrong check digit"),
            format!("受給者番号 {recipient} の検証番号が正しくありません"),
        ));
    }
    numbered(
        findings,
        "institution.code",
        sheet.institution.code.as_deref(),
        10,
        "the institution code (医療機関コード)",
        "医療機関コード",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits_as_the_issue_gives_them() {
        assert!(check_digit_is_valid("54016027"));
        assert!(!check_digit_is_valid("88134458"));
        // 7-digit recipient numbers: 123456 → 2·6=12→3, 5, 2·4=8, 3, 2·2=4, 1 = 24 → 6.
        assert!(check_digit_is_valid("1234566"));
        assert!(!check_digit_is_valid("1234567"));
        assert!(!check_digit_is_valid(""));
        assert!(!check_digit_is_valid("5401602x"));
    }
}
