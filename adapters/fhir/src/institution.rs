//! Practitioner, PractitionerRole and Organization → 医療機関: the doctor's name and 指定医番号,
//! the institution's name, 医療機関コード and phone. The doctor is the one the document names as
//! author (Composition, QuestionnaireResponse), else the recorder or asserter of the
//! Condition, else the document's only Practitioner; likewise for the institution.

use kakehashi_sdk::{Finding, HeaderField, Sheet};

use crate::reader::{Reader, extension, identifier, person_names};

const PREFECTURE: &str =
    "http://jpfhir.jp/fhir/core/Extension/StructureDefinition/JP_Organization_PrefectureNo";
const CATEGORY: &str = "http://jpfhir.jp/fhir/core/Extension/StructureDefinition/JP_Organization_InsuranceOrganizationCategory";
const NUMBER: &str = "http://jpfhir.jp/fhir/core/Extension/StructureDefinition/JP_Organization_InsuranceOrganizationNo";

impl Reader<'_, '_, '_> {
    /// The Practitioner and Organization behind a reference to a Practitioner, a
    /// PractitionerRole or an Organization.
    pub fn people(&self, index: usize) -> (Option<usize>, Option<usize>) {
        let resource = &self.doc.resources[index];
        match resource.kind {
            "Practitioner" => (Some(index), None),
            "Organization" => (None, Some(index)),
            "PractitionerRole" => (
                self.doc.follow(index, resource.node.get("practitioner")),
                self.doc.follow(index, resource.node.get("organization")),
            ),
            _ => (None, None),
        }
    }

    /// The doctor's header fields.
    pub fn practitioner(&self, index: usize, sheet: &mut Sheet, findings: &mut Vec<Finding>) {
        let resource = &self.doc.resources[index];
        let (node, path) = (resource.node, &resource.path);
        if let (Some((i, name)), _) = person_names(node) {
            let at = self.at(&node.array("name")[i], format!("{path}.name[{i}]"));
            self.apply(sheet, findings, HeaderField::DoctorName, &name, at);
        }
        let systems = &self.maps.systems.designated_doctor_number;
        let direct = identifier(node.array("identifier"), systems)
            .map(|(i, v)| (format!("{path}.identifier[{i}].value"), v));
        let qualified = || {
            node.array("qualification")
                .iter()
                .enumerate()
                .find_map(|(q, qual)| {
                    identifier(qual.array("identifier"), systems).map(|(i, v)| {
                        (
                            format!("{path}.qualification[{q}].identifier[{i}].value"),
                            v,
                        )
                    })
                })
        };
        if let Some((element, value)) = direct.or_else(qualified) {
            let at = self.at(node, element);
            self.apply(
                sheet,
                findings,
                HeaderField::DesignatedDoctorNumber,
                value,
                at,
            );
        }
    }

    /// The institution's header fields.
    pub fn organization(&self, index: usize, sheet: &mut Sheet, findings: &mut Vec<Finding>) {
        let resource = &self.doc.resources[index];
        let (node, path) = (resource.node, &resource.path);
        if let Some(name) = node.get("name")
            && let Some(text) = name.as_str()
        {
            let at = self.at(name, format!("{path}.name"));
            self.apply(sheet, findings, HeaderField::InstitutionName, text, at);
        }
        let identifiers = node.array("identifier");
        if let Some((i, code)) = identifier(identifiers, &self.maps.systems.institution_code) {
            let at = self.at(&identifiers[i], format!("{path}.identifier[{i}].value"));
            self.apply(sheet, findings, HeaderField::InstitutionCode, code, at);
        } else if let (Some((_, pref)), Some((_, cat)), Some((i, no))) = (
            extension(node, PREFECTURE, "valueCoding"),
            extension(node, CATEGORY, "valueCoding"),
            extension(node, NUMBER, "valueIdentifier"),
        ) && let (Some(pref), Some(cat), Some(no)) =
            (pref.str("code"), cat.str("code"), no.str("value"))
        {
            // 都道府県番号 (2) + 点数表番号 (1) + 医療機関番号 (7)
            let at = self.at(node, format!("{path}.extension[{i}]"));
            let code = format!("{pref}{cat}{no}");
            self.apply(sheet, findings, HeaderField::InstitutionCode, &code, at);
        }
        if let Some((i, phone)) = node
            .array("telecom")
            .iter()
            .enumerate()
            .find(|(_, t)| t.str("system") == Some("phone"))
            && let Some(value) = phone.str("value")
        {
            let at = self.at(phone, format!("{path}.telecom[{i}].value"));
            self.apply(sheet, findings, HeaderField::Phone, value, at);
        }
    }
}
