//! 前回値踏襲 (renewal from last year's sheet): seed 001 asks that a doctor recall the previous
//! registration and change only what changed (about half of the entries carry over). A renewal
//! draft copies the previous confirmed sheet's values and marks each one as carried over; a
//! value keeps its mark until someone touches it (changes it, or clears the mark), and the
//! designated doctor's confirmation clears them all, since the doctor then vouches for every
//! value. What belongs to last year alone — the date written, the decision, the consent, the
//! monthly costs, the computed totals — does not carry over; from another hospital (with the
//! patient's consent) neither do that hospital's institution fields nor its patient id.

use std::collections::BTreeSet;

use kakehashi_sdk::{ApplicationType, HeaderField, Provenance, Sheet, Template};
use serde_json::Value;

/// Header fields that describe last year's sheet rather than the patient, or that the gateway
/// computes: left empty on the renewal.
const NOT_CARRIED: &[HeaderField] = &[
    HeaderField::Kind,
    HeaderField::ApplicationType,
    HeaderField::DateWritten,
    HeaderField::Certification,
    HeaderField::ResearchConsent,
    HeaderField::MonthlyMedicalCosts,
];

/// Header fields of the hospital that wrote last year's sheet: carried over only when the
/// same hospital renews.
const OF_THE_HOSPITAL: &[HeaderField] = &[
    HeaderField::DesignatedDoctorNumber,
    HeaderField::DoctorName,
    HeaderField::InstitutionCode,
    HeaderField::InstitutionName,
    HeaderField::Phone,
    HeaderField::HospitalPatientId,
];

/// A header field's value on a sheet, comparable across sheets: the JSON at its path, or the
/// list a treatment field stands for.
fn field_value(field: HeaderField, sheet: &Sheet, json: &Value) -> Option<Value> {
    if field.treatment_kind().is_some() {
        return field.listed_text(sheet).map(Value::String);
    }
    json.pointer(&format!("/{}", field.path().replace('.', "/")))
        .filter(|v| !v.is_null())
        .cloned()
}

/// The renewal draft (更新) of `previous`, stored as `previous_id`: every value that carries
/// over, each marked. `template` names the computed items, which the checks recompute rather
/// than carry. `same_hospital` says whether the hospital's own fields come along.
pub fn carry_over(
    previous: &Sheet,
    previous_id: &str,
    source_sha256: &str,
    template: Option<&Template>,
    same_hospital: bool,
) -> Sheet {
    let mut draft = previous.clone();
    draft.application_type = Some(ApplicationType::Renewal);
    draft.institution.date_written = None;
    draft.administrative.certification = None;
    draft.administrative.research_consent = None;
    draft.administrative.monthly_medical_costs.clear();
    if let Some(child) = draft.child.as_mut() {
        child.age_years = None;
    }
    if !same_hospital {
        draft.institution = Default::default();
        draft.patient.hospital_patient_id = None;
    }
    let computed = |code: &str| template.is_some_and(|t| t.formulas.iter().any(|f| f.code == code));
    draft
        .items
        .retain(|code, item| item.computed_by.is_none() && !computed(code));
    for item in draft.items.values_mut() {
        item.source = None;
        item.confidence = None;
    }
    let json = serde_json::to_value(&draft).unwrap_or(Value::Null);
    let mut carried: BTreeSet<String> = HeaderField::ALL
        .iter()
        .filter(|f| !NOT_CARRIED.contains(f) && (same_hospital || !OF_THE_HOSPITAL.contains(f)))
        .filter(|f| !f.path().starts_with("disease."))
        .filter(|f| field_value(**f, &draft, &json).is_some())
        .map(|f| f.path().to_owned())
        .collect();
    carried.extend(draft.items.keys().cloned());
    draft.provenance = Provenance {
        adapter: "renewal".into(),
        source_sha256: source_sha256.to_owned(),
        renewed_from: Some(previous_id.to_owned()),
        carried_over: carried,
        ..Provenance::default()
    };
    draft
}

/// After an edit of a renewal draft: a mark stays only where the value is what it was and the
/// editor kept the mark (`kept`, the marks the edited sheet came with), so changing a value or
/// clearing its mark both count as touching it. `before` and `after` are both checked sheets.
pub fn keep_untouched(before: &Sheet, after: &mut Sheet, kept: &BTreeSet<String>) {
    let untouched: BTreeSet<String> = {
        let after: &Sheet = after;
        let (json_before, json_after) = (
            serde_json::to_value(before).unwrap_or(Value::Null),
            serde_json::to_value(after).unwrap_or(Value::Null),
        );
        let unchanged = |mark: &str| match HeaderField::ALL.iter().find(|f| f.path() == mark) {
            Some(field) => {
                field_value(*field, before, &json_before) == field_value(*field, after, &json_after)
            }
            None => {
                before.items.get(mark).map(|i| &i.value) == after.items.get(mark).map(|i| &i.value)
            }
        };
        after
            .provenance
            .carried_over
            .iter()
            .filter(|mark| kept.contains(*mark) && unchanged(mark))
            .cloned()
            .collect()
    };
    after.provenance.carried_over = untouched;
}

#[cfg(test)]
mod tests {
    use kakehashi_sdk::{
        CertificationDecision, HeaderField, Item, ItemValue, MonthlyMedicalCost, SheetKind,
        YearMonth,
    };

    use super::*;

    fn last_year() -> Sheet {
        let mut s = Sheet::new(SheetKind::Nanbyo, Provenance::default());
        for (field, text) in [
            (HeaderField::DiseaseNumber, "97"),
            (HeaderField::PatientName, "山田 花子"),
            (HeaderField::PatientNameKana, "ヤマダ ハナコ"),
            (HeaderField::DateOfBirth, "1985-04-12"),
            (HeaderField::Sex, "女"),
            (HeaderField::HospitalPatientId, "00012345"),
            (HeaderField::Onset, "2019-04"),
            (HeaderField::DietTherapy, "低残渣食"),
            (HeaderField::DoctorName, "佐藤 一郎"),
            (HeaderField::InstitutionName, "中央病院"),
            (HeaderField::DateWritten, "2025-10-01"),
            (HeaderField::RecipientNumber, "1234566"),
            (HeaderField::ResearchConsent, "同意"),
        ] {
            field.apply(&mut s, text).unwrap();
        }
        s.administrative.certification = Some(CertificationDecision::Certified);
        s.administrative.monthly_medical_costs = vec![MonthlyMedicalCost {
            month: YearMonth::new(2025, 9).unwrap(),
            total_yen: 50_000,
        }];
        s.items.insert(
            "uc.stools_per_day".into(),
            Item::read(ItemValue::Integer(3), None),
        );
        s.items.insert(
            "mayo.total".into(),
            Item {
                computed_by: Some("sum(…)".into()),
                ..Item::read(ItemValue::Integer(4), None)
            },
        );
        s
    }

    #[test]
    fn a_renewal_carries_the_patient_and_the_findings_and_marks_them() {
        let draft = carry_over(&last_year(), "sheet-1", "abc", None, true);
        assert_eq!(draft.application_type, Some(ApplicationType::Renewal));
        assert_eq!(draft.patient.name.as_deref(), Some("山田 花子"));
        assert_eq!(
            draft.institution.date_written, None,
            "the doctor writes anew"
        );
        assert_eq!(draft.administrative.certification, None);
        assert_eq!(
            draft.administrative.research_consent, None,
            "consent is asked again"
        );
        assert!(draft.administrative.monthly_medical_costs.is_empty());
        assert_eq!(
            draft.administrative.recipient_number.as_deref(),
            Some("1234566")
        );
        assert!(
            !draft.items.contains_key("mayo.total"),
            "totals are recomputed"
        );
        let marks = &draft.provenance.carried_over;
        for mark in [
            "patient.name",
            "patient.hospital_patient_id",
            "clinical.onset",
            "clinical.treatments.diet",
            "institution.doctor_name",
            "administrative.recipient_number",
            "uc.stools_per_day",
        ] {
            assert!(marks.contains(mark), "{mark} in {marks:?}");
        }
        for unmarked in [
            "institution.date_written",
            "administrative.research_consent",
            "disease.number",
            "application_type",
            "mayo.total",
        ] {
            assert!(!marks.contains(unmarked), "{unmarked} in {marks:?}");
        }
        assert_eq!(draft.provenance.renewed_from.as_deref(), Some("sheet-1"));
        assert_eq!(draft.provenance.adapter, "renewal");
    }

    #[test]
    fn from_another_hospital_its_own_fields_stay_behind() {
        let draft = carry_over(&last_year(), "sheet-1", "abc", None, false);
        assert_eq!(draft.institution, Default::default());
        assert_eq!(draft.patient.hospital_patient_id, None);
        assert!(
            !draft
                .provenance
                .carried_over
                .contains("institution.doctor_name")
        );
        assert!(draft.provenance.carried_over.contains("patient.name"));
    }

    #[test]
    fn a_mark_goes_when_its_value_changes_or_the_editor_clears_it() {
        let draft = carry_over(&last_year(), "sheet-1", "abc", None, true);
        let mut edited = draft.clone();
        HeaderField::Onset.apply(&mut edited, "2019-05").unwrap();
        edited.items.insert(
            "uc.stools_per_day".into(),
            Item::read(ItemValue::Integer(3), None),
        );
        let mut kept = draft.provenance.carried_over.clone();
        kept.remove("patient.name");
        keep_untouched(&draft, &mut edited, &kept);
        let marks = &edited.provenance.carried_over;
        assert!(!marks.contains("clinical.onset"), "changed");
        assert!(!marks.contains("patient.name"), "cleared by the editor");
        assert!(marks.contains("uc.stools_per_day"), "the same value again");
        assert!(marks.contains("clinical.treatments.diet"));
        // A mark the editor adds is not a mark.
        let mut again = edited.clone();
        let mut kept = edited.provenance.carried_over.clone();
        kept.insert("clinical.onset".into());
        keep_untouched(&edited, &mut again, &kept);
        assert!(!again.provenance.carried_over.contains("clinical.onset"));
    }
}
