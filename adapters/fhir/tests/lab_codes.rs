//! Lab and checkup Observations reach the sheet under every code system that Japanese
//! documents code them in (`mappings/fhir/observations.toml` says where each was read):
//! JP-CLINS's JLAC11 system for the 43 指定検査, the 特定健診 item codes, JLAC10 by its OID,
//! its MEDIS URI and the 自治体検診 IG's URI. A JLAC11-format code the maps do not know —
//! JLAC11's 測定物 codes are not JLAC10's analytes — is reported, not guessed, and a value in
//! another unit than the sheet's is reported, not used.

#[path = "support/catalog.rs"]
mod catalog;

use kakehashi_adapter_fhir::FhirAdapter;
use kakehashi_sdk::{Adapter, Converted, Input, ItemValue, Record, Sheet};

/// JP-CLINS's system for the JLAC11 codes of the 43 指定検査.
const JLAC11: &str =
    "http://jpfhir.jp/fhir/clins/CodeSystem/JLAC11/JP_CLINS_ObsLabResult_CoreLabo_CS";
/// The 特定健診項目コード table.
const CHECKUP: &str = "urn:oid:1.2.392.200119.6.1005";
/// JLAC10 by its OID, by MEDIS's URI, and by the 自治体検診 IG's URI.
const JLAC10: [&str; 3] = [
    "urn:oid:1.2.392.200119.4.504",
    "http://medis.or.jp/CodeSystem/master-JLAC10-17digits",
    "http://jpfhir.jp/fhir/eCheckup/CodeSystem/jlac10",
];

/// One Observation: its coding, value, UCUM unit and date.
struct Lab {
    system: &'static str,
    code: &'static str,
    value: f64,
    unit: &'static str,
    date: &'static str,
}

/// A child with 1型糖尿病 (小慢 7-1, by ICD-10 E10.9) and `labs`.
fn bundle(labs: &[Lab]) -> Vec<u8> {
    let patient = "urn:uuid:3f0c6a52-2b1e-4c59-9d3a-0c7e1f2a4b01";
    let mut entries = vec![
        serde_json::json!({"fullUrl": patient, "resource": {
            "resourceType": "Patient", "name": [{"text": "検査 花子"}],
            "gender": "female", "birthDate": "2015-06-01"}}),
        serde_json::json!({"fullUrl": "urn:uuid:3f0c6a52-2b1e-4c59-9d3a-0c7e1f2a4b02", "resource": {
            "resourceType": "Condition",
            "code": {"coding": [{"system": "http://jpfhir.jp/fhir/core/mhlw/CodeSystem/ICD10-2013-full",
                                 "code": "E10.9"}]},
            "subject": {"reference": patient}, "onsetDateTime": "2021-04"}}),
    ];
    for (i, lab) in labs.iter().enumerate() {
        entries.push(serde_json::json!({
            "fullUrl": format!("urn:uuid:3f0c6a52-2b1e-4c59-9d3a-{:012}", 100 + i),
            "resource": {"resourceType": "Observation", "status": "final",
                "code": {"coding": [{"system": lab.system, "code": lab.code}]},
                "subject": {"reference": patient}, "effectiveDateTime": lab.date,
                "valueQuantity": {"value": lab.value, "unit": lab.unit,
                                  "system": "http://unitsofmeasure.org", "code": lab.unit}}
        }));
    }
    let doc = serde_json::json!({"resourceType": "Bundle", "type": "collection", "entry": entries});
    serde_json::to_vec_pretty(&doc).unwrap()
}

/// The one sheet `labs` make, with the adapter's findings.
fn convert(labs: &[Lab]) -> (Sheet, Converted) {
    let catalog = catalog::catalog();
    let bytes = bundle(labs);
    let input = Input {
        bytes: &bytes,
        content_type: None,
        sha256: "",
    };
    let mut converted = FhirAdapter.convert(&input, &catalog.context()).unwrap();
    assert_eq!(converted.len(), 1, "one sheet");
    let converted = converted.remove(0);
    let Record::Sheet(sheet) = &converted.record else {
        panic!("not a sheet: {:?}", converted.record);
    };
    ((**sheet).clone(), converted)
}

fn has_finding(converted: &Converted, code: &str, about: &str) -> bool {
    converted
        .findings
        .iter()
        .any(|f| f.code == code && f.message.contains(about))
}

fn item(sheet: &Sheet, code: &str) -> Option<ItemValue> {
    sheet.items.get(code).map(|i| i.value.clone())
}

fn text(s: &str) -> Option<ItemValue> {
    Some(ItemValue::Text(s.to_owned()))
}

#[test]
fn hba1c_in_jlac11_and_checkup_codes_fills_the_items_newest_first() {
    let hba1c = |system, code, value, date| Lab {
        system,
        code,
        value,
        unit: "%",
        date,
    };
    let (sheet, converted) = convert(&[
        hba1c(CHECKUP, "3D046000001920402", 6.9, "2026-03-15"),
        hba1c(JLAC11, "3D046000001906202", 7.4, "2026-09-15"),
        hba1c(JLAC10[2], "3D046000001927102", 7.1, "2026-06-15"),
    ]);
    assert_eq!(item(&sheet, "t1d.hba1c_1"), text("7.4"));
    assert_eq!(item(&sheet, "t1d.hba1c_2"), text("7.1"));
    assert_eq!(item(&sheet, "t1d.hba1c_3"), text("6.9"));
    for code in [
        "fhir.unmapped_observation",
        "fhir.unit",
        "fhir.not_on_sheet",
    ] {
        assert!(
            !converted.findings.iter().any(|f| f.code == code),
            "{code}: {:?}",
            converted.findings
        );
    }
}

#[test]
fn height_and_weight_in_checkup_and_jlac10_codes_fill_the_child_header() {
    for system in std::iter::once(CHECKUP).chain(JLAC10) {
        let (sheet, converted) = convert(&[
            Lab {
                system,
                code: "9N001000000000001",
                value: 132.5,
                unit: "cm",
                date: "2026-09-15",
            },
            Lab {
                system,
                code: "9N006000000000001",
                value: 30.1,
                unit: "kg",
                date: "2026-09-15",
            },
        ]);
        let child = sheet
            .child
            .as_ref()
            .expect("a 小慢 sheet has the child part");
        assert_eq!(
            (child.height_cm, child.weight_kg),
            (Some(132.5), Some(30.1)),
            "{system}: {:?}",
            converted.findings
        );
    }
}

#[test]
fn an_unknown_jlac11_measurand_and_a_value_in_another_unit_are_reported() {
    let (sheet, converted) = convert(&[
        // JLACセンター's example JLAC11 code: AST (測定物 C2008), serum, one reagent, U/L.
        Lab {
            system: JLAC11,
            code: "C20080000250009F7",
            value: 24.0,
            unit: "U/L",
            date: "2026-09-15",
        },
        // HbA1c as IFCC mmol/mol where the sheet asks for NGSP %.
        Lab {
            system: JLAC11,
            code: "3D046000001906202",
            value: 57.0,
            unit: "mmol/mol",
            date: "2026-09-15",
        },
    ]);
    assert!(
        has_finding(
            &converted,
            "fhir.unmapped_observation",
            &format!("{JLAC11}|C20080000250009F7")
        ),
        "{:?}",
        converted.findings
    );
    assert!(
        has_finding(&converted, "fhir.unit", "mmol/mol"),
        "{:?}",
        converted.findings
    );
    assert!(
        sheet.items.keys().all(|k| !k.starts_with("t1d.hba1c_")),
        "{:?}",
        sheet.items
    );
}
