//! Condition → 告示病名・告示番号 and 発症年月. A Condition binds to a notified disease by a MEDIS
//! 病名交換用コード in the map, else by a coding display or text that is exactly a notified name,
//! else by an ICD-10 code in the map (see `mappings/fhir/conditions.toml` for why this order).

use kakehashi_sdk::{DiseaseKey, Finding, HeaderField, Sheet};

use crate::reader::{Reader, codings};

/// A Condition bound to a notified disease, and how.
#[derive(Debug, Clone)]
pub struct Binding {
    pub key: DiseaseKey,
    /// `medis L3RF`, `name`, `icd10 G35`
    pub by: String,
}

impl Reader<'_, '_, '_> {
    /// The notified disease a Condition names, if any. Refuted or erroneous Conditions name none.
    pub fn bind(&self, index: usize) -> Option<Binding> {
        let node = self.doc.resources[index].node;
        let verification = codings(node.get("verificationStatus"));
        if verification
            .iter()
            .any(|c| matches!(c.code, "refuted" | "entered-in-error"))
        {
            return None;
        }
        let code = node.get("code");
        let all = codings(code);
        let conditions = &self.maps.conditions;
        if let Some((c, d)) = all
            .iter()
            .find_map(|c| conditions.medis(c.system, c.code).map(|d| (c, d)))
        {
            return Some(Binding {
                key: d.key(),
                by: format!("medis {}", c.code),
            });
        }
        let names = all
            .iter()
            .filter_map(|c| c.display)
            .chain(code.and_then(|c| c.str("text")));
        for name in names {
            if let Some(entry) = self.diseases.named(name) {
                return Some(Binding {
                    key: entry.key,
                    by: "name".into(),
                });
            }
        }
        all.iter().find_map(|c| {
            conditions.icd10(c.system, c.code).map(|d| Binding {
                key: d.key(),
                by: format!("icd10 {}", c.code),
            })
        })
    }

    /// Writes the bound disease and the onset onto the sheet.
    pub fn condition(
        &self,
        index: usize,
        binding: &Binding,
        sheet: &mut Sheet,
        findings: &mut Vec<Finding>,
    ) {
        let resource = &self.doc.resources[index];
        let (node, path) = (resource.node, &resource.path);
        let code_at = self.at(node.get("code").unwrap_or(node), format!("{path}.code"));
        sheet.kind = binding.key.kind;
        if binding.key.group.is_some() {
            sheet.child.get_or_insert_with(Default::default);
        }
        sheet.disease.group = binding.key.group;
        sheet.disease.number = Some(binding.key.number);
        for field in [HeaderField::DiseaseNumber, HeaderField::DiseaseGroup] {
            sheet
                .provenance
                .fields
                .insert(field.path().to_owned(), code_at.clone());
        }
        if let Some(entry) = self.diseases.get(&binding.key) {
            sheet.disease.name = Some(entry.name.trim().to_owned());
        }
        findings.push(self.info(
            "fhir.disease_bound",
            format!(
                "the Condition is bound to {} by {}",
                binding.key, binding.by
            ),
            format!(
                "Condition を {} に対応づけました（{}）",
                binding.key, binding.by
            ),
            code_at.clone(),
        ));
        let onset = node
            .get("onsetDateTime")
            .map(|n| (n, "onsetDateTime"))
            .or_else(|| {
                node.get("onsetPeriod")
                    .and_then(|p| p.get("start"))
                    .map(|n| (n, "onsetPeriod.start"))
            });
        if let Some((value, element)) = onset
            && let Some(text) = value.as_str()
        {
            let at = self.at(value, format!("{path}.{element}"));
            if text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit()) {
                // A FHIR date of year precision: valid, but 発症年月 needs the month.
                findings.push(self.info(
                    "fhir.onset_year_only",
                    format!("the onset is known only to the year ({text}); 発症年月 is left for the doctor to complete"),
                    format!("発症は {text} 年とだけ記録されています。発症年月は医師が補ってください"),
                    at,
                ));
            } else {
                // A date-time's date part: 発症年月 wants the year and month.
                let date = text.get(..10).unwrap_or(text);
                self.apply(sheet, findings, HeaderField::Onset, date, at);
            }
        }
    }
}
