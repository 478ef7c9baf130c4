//! The checks (チェック機能) and auto-calculation (自動計算機能) every sheet passes, whichever
//! adapter produced it: the disease is bound to the notified list, the header is validated
//! (required fields, formats, date order, kana, check digits), items are read as the disease
//! template types them and range-checked, and the template's formulas are computed. The sheet
//! comes out normalised (typed items, computed totals, the notified disease name); the findings
//! say what is wrong, where, in English and Japanese.
//!
//! Checks are pure functions of the sheet, the catalog and "today", so the CLI, the API and the
//! benchmarks run exactly the same code.

mod dates;
mod digits;
mod disease;
mod formulas;
mod header;
mod items;

use chrono::NaiveDate;
use kakehashi_sdk::{DiseaseRegistry, Finding, Sheet, TemplateSet};

/// What the checks consult.
#[derive(Debug, Clone, Copy)]
pub struct CheckContext<'a> {
    pub diseases: &'a DiseaseRegistry,
    pub templates: &'a TemplateSet,
    /// The date dates are checked against (記載日 ≤ today); the caller's clock, in JST.
    pub today: NaiveDate,
}

/// Runs every check on a sheet, normalising it in place, and returns the findings, each
/// located in the source where the sheet's provenance knows the place.
pub fn check_sheet(sheet: &mut Sheet, context: &CheckContext<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    disease::bind(sheet, context.diseases, &mut findings);
    header::check(sheet, &mut findings);
    digits::check(sheet, &mut findings);
    dates::check(sheet, context.today, &mut findings);
    let template = context.templates.for_sheet(sheet);
    let notified = sheet
        .disease
        .number
        .and_then(|number| {
            context.diseases.get(&kakehashi_sdk::DiseaseKey {
                kind: sheet.kind,
                group: sheet.disease.group,
                number,
            })
        })
        .map(|entry| entry.name.clone());
    items::check(sheet, template, notified.as_deref(), &mut findings);
    if let Some(template) = template {
        formulas::compute(sheet, template, &mut findings);
    }
    for finding in &mut findings {
        if finding.location.is_none() {
            finding.location = finding
                .item
                .as_deref()
                .and_then(|i| sheet.location_of(i))
                .or_else(|| Some(sheet.provenance.record_location.clone()));
        }
    }
    findings
}

/// Whether any finding is an error.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings
        .iter()
        .any(|f| f.severity == kakehashi_sdk::Severity::Error)
}

#[cfg(test)]
mod tests {
    use kakehashi_sdk::{
        HeaderField, Item, ItemValue, Provenance, Severity, SheetKind, SourceLocation,
    };

    use super::*;

    const TEMPLATE: &str = r#"
kind = "nanbyo"
number = 14
name = "慢性炎症性脱髄性多発神経炎／多巣性運動ニューロパチー"
form_version = "test"
sources = ["test"]
diagnostic_categories = ["Definite", "Probable"]

[[items]]
code = "a"
label = "A"
type = "integer"
required = true
allowed = [{ value = 0, label = "0" }, { value = 5, label = "5" }, { value = 10, label = "10" }]

[[items]]
code = "b"
label = "B"
type = "integer"
required = true
min = 0
max = 15

[[items]]
code = "flag"
label = "F"
type = "boolean"

[[items]]
code = "hba1c"
label = "H"
type = "decimal"

[[formulas]]
code = "total"
label = "合計"
op = "sum"
of = ["a", "b"]

[[formulas]]
code = "flags"
label = "該当数"
op = "count"
of = ["flag"]
condition = { op = "==", value = true }
"#;

    fn catalog() -> (DiseaseRegistry, TemplateSet) {
        let mut diseases = DiseaseRegistry::default();
        diseases
            .add_nanbyo_list("n.csv", "no,name\n14,慢性炎症性脱髄性多発神経炎／多巣性運動ニューロパチー\n49,全身性エリテマトーデス\n")
            .unwrap();
        diseases
            .add_shoman_list("s.csv", "group_no,group_ja,subgroup_ja,notification_no,name_ja,name_en,nando_id,is_subtype_of_disease,shouman_code\n7,糖尿病,糖尿病,1,1型糖尿病,,NANDO:2200460,,07_01_001\n")
            .unwrap();
        let mut templates = TemplateSet::default();
        templates.add("t.toml", TEMPLATE, Some(&diseases)).unwrap();
        (diseases, templates)
    }

    /// A complete, valid 難病 sheet for disease 14.
    fn sheet() -> Sheet {
        let mut s = Sheet::new(SheetKind::Nanbyo, Provenance::default());
        for (field, text) in [
            (HeaderField::DiseaseNumber, "14"),
            (HeaderField::PatientName, "山田 太郎"),
            (HeaderField::PatientNameKana, "ヤマダ タロウ"),
            (HeaderField::DateOfBirth, "1970-01-02"),
            (HeaderField::Sex, "1"),
            (HeaderField::Onset, "2019-04"),
            (HeaderField::DesignatedDoctorNumber, "13000001"),
            (HeaderField::DoctorName, "佐藤 一郎"),
            (HeaderField::InstitutionName, "中央病院"),
            (HeaderField::InstitutionCode, "1311234567"),
            (HeaderField::DateWritten, "R8.4.1"),
            (HeaderField::PayerNumber, "54016027"),
            (HeaderField::RecipientNumber, "1234566"),
        ] {
            field.apply(&mut s, text).unwrap();
        }
        for (code, value) in [("a", "10"), ("b", "１５"), ("flag", "あり")] {
            s.items
                .insert(code.into(), Item::read(ItemValue::Text(value.into()), None));
        }
        s
    }

    fn run(sheet: &mut Sheet) -> Vec<Finding> {
        let (diseases, templates) = catalog();
        let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        check_sheet(
            sheet,
            &CheckContext {
                diseases: &diseases,
                templates: &templates,
                today,
            },
        )
    }

    fn codes(findings: &[Finding]) -> Vec<(&str, Option<&str>)> {
        findings
            .iter()
            .map(|f| (f.code.as_str(), f.item.as_deref()))
            .collect()
    }

    #[test]
    fn a_complete_sheet_is_clean_typed_and_computed() {
        let mut s = sheet();
        let findings = run(&mut s);
        assert!(findings.is_empty(), "{findings:?}");
        assert_eq!(
            s.disease.name.as_deref(),
            Some("慢性炎症性脱髄性多発神経炎／多巣性運動ニューロパチー")
        );
        assert_eq!(s.items["b"].value, ItemValue::Integer(15));
        assert_eq!(s.items["flag"].value, ItemValue::Boolean(true));
        assert_eq!(s.items["total"].value, ItemValue::Integer(25));
        assert_eq!(s.items["total"].computed_by.as_deref(), Some("sum(a, b)"));
        assert_eq!(s.items["flags"].value, ItemValue::Integer(1));
    }

    #[test]
    fn item_rules_fire() {
        let mut s = sheet();
        s.items
            .insert("a".into(), Item::read(ItemValue::Text("7".into()), None));
        s.items
            .insert("b".into(), Item::read(ItemValue::Text("16".into()), None));
        s.items.insert(
            "hba1c".into(),
            Item::read(ItemValue::Text("abc".into()), None),
        );
        s.items
            .insert("zzz".into(), Item::read(ItemValue::Text("1".into()), None));
        s.items.insert(
            "total".into(),
            Item::read(ItemValue::Text("99".into()), None),
        );
        let f = run(&mut s);
        assert_eq!(
            codes(&f),
            [
                ("item.not_allowed", Some("a")),
                ("item.out_of_range", Some("b")),
                ("item.type", Some("hba1c")),
                ("item.unknown", Some("zzz")),
                ("formula.mismatch", Some("total")),
            ]
        );
        assert_eq!(
            s.items["total"].value,
            ItemValue::Integer(23),
            "the computed total replaces the written one"
        );

        let mut s = sheet();
        s.items.remove("b");
        let f = run(&mut s);
        assert_eq!(
            codes(&f),
            [
                ("item.required", Some("b")),
                ("formula.incomplete", Some("total"))
            ]
        );
        assert!(!s.items.contains_key("total"));
    }

    #[test]
    fn header_rules_fire() {
        let mut s = sheet();
        s.patient.name_kana = Some("山田 タロウ".into());
        s.patient.postal_code = Some("12-345".into());
        s.patient.sex = None;
        s.clinical.living.mobility = Some(6);
        s.clinical.diagnostic_category = Some("Possible".into());
        s.administrative.recipient_number = Some("1234567".into());
        s.administrative.payer_number = Some("52016029".into());
        let f = run(&mut s);
        let got = codes(&f);
        for expected in [
            ("header.required", Some("patient.sex")),
            ("header.not_kana", Some("patient.name_kana")),
            ("header.format", Some("patient.postal_code")),
            ("header.out_of_range", Some("clinical.living.mobility")),
            (
                "header.diagnostic_category",
                Some("clinical.diagnostic_category"),
            ),
            (
                "identifier.check_digit",
                Some("administrative.recipient_number"),
            ),
            ("identifier.law_number", Some("administrative.payer_number")),
        ] {
            assert!(got.contains(&expected), "{expected:?} missing from {got:?}");
        }
        assert!(
            f.iter()
                .all(|f| !f.message_ja.is_empty() && !f.message.is_empty())
        );
    }

    #[test]
    fn date_order_and_the_future_are_errors() {
        let mut s = sheet();
        HeaderField::Onset.apply(&mut s, "1969-12").unwrap();
        HeaderField::DateWritten
            .apply(&mut s, "2027-01-01")
            .unwrap();
        let f = run(&mut s);
        assert_eq!(
            codes(&f),
            [
                ("date.future", Some("institution.date_written")),
                ("date.order", Some("clinical.onset"))
            ]
        );
    }

    #[test]
    fn an_unreadable_value_keeps_its_text_and_has_one_finding() {
        let mut s = sheet();
        s.institution.date_written = None;
        let at = SourceLocation::cell(4, 9, Some("記載年月日"));
        let unreadable = HeaderField::DateWritten
            .apply_from(&mut s, " R6.2.30 ", at.clone())
            .unwrap();
        assert_eq!(unreadable.code, "field.unreadable");
        assert_eq!(
            s.provenance
                .unreadable
                .get("institution.date_written")
                .map(String::as_str),
            Some("R6.2.30"),
            "the text as written stays with the sheet"
        );
        let findings = run(&mut s);
        assert!(
            findings
                .iter()
                .all(|f| f.item.as_deref() != Some("institution.date_written")),
            "not also 'not filled in': {findings:?}"
        );
        // Corrected later (a person reads it), it is a value like any other.
        HeaderField::DateWritten.apply(&mut s, "R6.2.29").unwrap();
        assert!(s.provenance.unreadable.is_empty());
        // An unreadable 告示番号 is one finding too.
        let mut s = sheet();
        s.disease.number = None;
        HeaderField::DiseaseNumber
            .apply_from(&mut s, "十四", at)
            .unwrap();
        assert!(
            run(&mut s)
                .iter()
                .all(|f| f.item.as_deref() != Some("disease.number"))
        );
    }

    #[test]
    fn disease_binding() {
        let mut s = sheet();
        s.disease.number = Some(999);
        s.provenance.fields.insert(
            "disease.number".into(),
            SourceLocation::cell(7, 3, Some("告示番号")),
        );
        let f = run(&mut s);
        assert_eq!(f[0].code, "disease.unknown");
        assert!(
            f.iter().all(|f| f.code != "template.missing"),
            "an unknown number has its own error: {f:?}"
        );
        assert_eq!(
            f[0].location,
            Some(SourceLocation::cell(7, 3, Some("告示番号")))
        );

        let mut s = sheet();
        s.disease.number = Some(49);
        s.disease.name = Some("SLE".into());
        let f = run(&mut s);
        assert_eq!(
            codes(&f),
            [
                ("disease.name_mismatch", Some("disease.name")),
                ("template.missing", None)
            ]
        );
        assert_eq!(s.disease.name.as_deref(), Some("全身性エリテマトーデス"));
        let missing = f.iter().find(|f| f.code == "template.missing").unwrap();
        assert!(
            missing.message_ja.contains("全身性エリテマトーデス")
                && !missing.message.contains("SLE"),
            "the notified name, not the one written: {missing:?}"
        );
        assert_eq!(
            s.items.len(),
            3,
            "items of a disease without a template are kept"
        );

        let mut s = sheet();
        HeaderField::Kind.apply(&mut s, "小慢").unwrap();
        let f = run(&mut s);
        assert!(
            codes(&f).contains(&("header.required", Some("disease.group"))),
            "{f:?}"
        );
    }

    #[test]
    fn a_shoman_sheet_gets_its_disease_code_and_classification_from_the_list() {
        let mut s = sheet();
        HeaderField::Kind.apply(&mut s, "小慢").unwrap();
        s.disease.group = Some(7);
        s.disease.number = Some(1);
        s.items.clear();
        s.administrative = Default::default();
        let f = run(&mut s);
        assert!(f.iter().all(|f| f.code != "disease.code_mismatch"), "{f:?}");
        assert_eq!(
            (
                s.disease.code.as_deref(),
                s.disease.major_class.as_deref(),
                s.disease.minor_class.as_deref()
            ),
            (Some("07_01_001"), Some("糖尿病"), Some("糖尿病"))
        );
        HeaderField::DiseaseCode
            .apply(&mut s, "０７－０２－００１")
            .unwrap();
        assert_eq!(
            s.disease.code.as_deref(),
            Some("07_02_001"),
            "half-width, `_`"
        );
        let f = run(&mut s);
        assert!(codes(&f).contains(&("disease.code_mismatch", Some("disease.code"))));
        assert_eq!(s.disease.code.as_deref(), Some("07_01_001"));
    }

    #[test]
    fn a_child_gets_an_age_and_an_adult_is_refused_for_shoman() {
        let mut s = sheet();
        HeaderField::Kind.apply(&mut s, "小慢").unwrap();
        s.disease = kakehashi_sdk::Disease {
            group: Some(7),
            number: Some(1),
            ..Default::default()
        };
        s.items.clear();
        s.administrative = Default::default();
        HeaderField::DateOfBirth
            .apply(&mut s, "2010-04-02")
            .unwrap();
        HeaderField::Onset.apply(&mut s, "2015-01").unwrap();
        assert!(run(&mut s).iter().all(|f| f.severity != Severity::Error));
        assert_eq!(s.child.as_ref().and_then(|c| c.age_years), Some(15));
        HeaderField::DateOfBirth
            .apply(&mut s, "2000-04-02")
            .unwrap();
        assert!(codes(&run(&mut s)).contains(&("header.age", Some("patient.date_of_birth"))));
    }
}
