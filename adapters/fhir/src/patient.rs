//! JP_Patient and JP_Coverage → 基本情報: kanji and kana names (ISO 21090 name
//! representation), date of birth, sex, postal code and address, and the insurance numbers
//! (保険者番号 from the payor, 記号・番号・枝番 from the JP Core extensions), plus the public
//! payment numbers (公費負担者番号, 受給者番号) where a 公費 Coverage carries them.

use kakehashi_sdk::{Finding, HeaderField, Sheet};

use crate::json::Node;
use crate::reader::{Reader, extension, identifier, person_names};

const SYMBOL: &str =
    "http://jpfhir.jp/fhir/core/Extension/StructureDefinition/JP_Coverage_InsuredPersonSymbol";
const NUMBER: &str =
    "http://jpfhir.jp/fhir/core/Extension/StructureDefinition/JP_Coverage_InsuredPersonNumber";
const BRANCH: &str =
    "http://jpfhir.jp/fhir/core/Extension/StructureDefinition/JP_Coverage_InsuredPersonSubNumber";

/// 郵便番号 as NNN-NNNN when written as seven digits.
fn postal_code(text: &str) -> String {
    let digits: String = kakehashi_sdk::parse::to_halfwidth(text)
        .chars()
        .filter(|c| *c != '-')
        .collect();
    if digits.len() == 7 && digits.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}-{}", &digits[..3], &digits[3..])
    } else {
        text.to_owned()
    }
}

/// An address in words: its text, else its parts from prefecture down.
fn address_text(address: &Node<'_>) -> Option<String> {
    if let Some(text) = address.str("text").filter(|t| !t.trim().is_empty()) {
        return Some(text.trim().to_owned());
    }
    let parts: Vec<&str> = ["state", "city", "district"]
        .iter()
        .filter_map(|k| address.str(k))
        .chain(address.array("line").iter().filter_map(Node::as_str))
        .collect();
    (!parts.is_empty()).then(|| parts.concat())
}

impl Reader<'_, '_, '_> {
    /// The Patient's header fields.
    pub fn patient(&self, index: usize, sheet: &mut Sheet, findings: &mut Vec<Finding>) {
        let resource = &self.doc.resources[index];
        let (node, path) = (resource.node, &resource.path);
        let (kanji, kana) = person_names(node);
        for (field, name) in [
            (HeaderField::PatientName, kanji),
            (HeaderField::PatientNameKana, kana),
        ] {
            if let Some((i, text)) = name {
                let at = self.at(&node.array("name")[i], format!("{path}.name[{i}]"));
                self.apply(sheet, findings, field, &text, at);
            }
        }
        if let Some(birth) = node.get("birthDate")
            && let Some(text) = birth.as_str()
        {
            let at = self.at(birth, format!("{path}.birthDate"));
            self.apply(sheet, findings, HeaderField::DateOfBirth, text, at);
        }
        if let Some(gender) = node.get("gender")
            && let Some(text) = gender.as_str()
        {
            let at = self.at(gender, format!("{path}.gender"));
            match text {
                "male" | "female" => self.apply(sheet, findings, HeaderField::Sex, text, at),
                other => findings.push(
                    Finding::warning(
                        "fhir.gender",
                        Some(HeaderField::Sex.path()),
                        format!("gender `{other}` has no place on the form, which asks 男 or 女"),
                        format!("性別「{other}」は調査票の 男／女 に当てはまりません"),
                    )
                    .at(Some(at)),
                ),
            }
        }
        let addresses = node.array("address");
        let home = addresses
            .iter()
            .position(|a| a.str("use") == Some("home"))
            .unwrap_or(0);
        if let Some(address) = addresses.get(home) {
            let at = |key: &str| self.at(address, format!("{path}.address[{home}]{key}"));
            if let Some(code) = address.str("postalCode") {
                let code = postal_code(code);
                self.apply(
                    sheet,
                    findings,
                    HeaderField::PostalCode,
                    &code,
                    at(".postalCode"),
                );
            }
            if let Some(text) = address_text(address) {
                self.apply(sheet, findings, HeaderField::Address, &text, at(""));
            }
        }
    }

    /// A Coverage's insurance or public-payment numbers.
    pub fn coverage(&self, index: usize, sheet: &mut Sheet, findings: &mut Vec<Finding>) {
        let resource = &self.doc.resources[index];
        let (node, path) = (resource.node, &resource.path);
        let systems = &self.maps.systems;
        for (url, field) in [
            (SYMBOL, HeaderField::InsuranceSymbol),
            (NUMBER, HeaderField::InsuranceNumber),
            (BRANCH, HeaderField::InsuranceBranch),
        ] {
            if let Some((i, value)) = extension(node, url, "valueString")
                && let Some(text) = value.as_str()
            {
                let at = self.at(value, format!("{path}.extension[{i}].valueString"));
                self.apply(sheet, findings, field, text, at);
            }
        }
        for payor in node.array("payor") {
            let Some(org) = self.doc.follow(index, Some(payor)) else {
                continue;
            };
            let org = &self.doc.resources[org];
            let identifiers = org.node.array("identifier");
            for (list, field) in [
                (&systems.insurer_number, HeaderField::InsurerNumber),
                (&systems.payer_number, HeaderField::PayerNumber),
            ] {
                if let Some((i, value)) = identifier(identifiers, list) {
                    let at = self.at(
                        &identifiers[i],
                        format!("{}.identifier[{i}].value", org.path),
                    );
                    self.apply(sheet, findings, field, value, at);
                }
            }
        }
        if let Some((i, value)) = identifier(node.array("identifier"), &systems.recipient_number) {
            let at = self.at(
                &node.array("identifier")[i],
                format!("{path}.identifier[{i}].value"),
            );
            self.apply(sheet, findings, HeaderField::RecipientNumber, value, at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seven_digit_postal_codes_get_their_hyphen() {
        assert_eq!(postal_code("1600023"), "160-0023");
        assert_eq!(postal_code("１６０－００２３"), "160-0023");
        assert_eq!(postal_code("160"), "160");
    }
}
