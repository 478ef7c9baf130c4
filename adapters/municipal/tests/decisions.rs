//! The municipal adapter on real bytes: the shipped corpus in both layouts, every kind of bad
//! input (located, never a panic), the issuing-file round trip and the PMH shape.

use std::path::PathBuf;

use chrono::NaiveDate;
use kakehashi_adapter_municipal::{
    CopaymentTables, IssuingRow, Layout, pmh_registration, read_decisions, write_issuing_file,
};
use kakehashi_sdk::{
    AdapterError, Certification, CertificationDecision, Converted, IncomeTier, Patient, Record,
    Sex, SheetKind, SpecialStatus,
};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn layout(name: &str) -> Layout {
    let text =
        std::fs::read_to_string(repo().join(format!("mappings/municipal/{name}.toml"))).unwrap();
    Layout::parse(name, &text).unwrap()
}

fn tables() -> CopaymentTables {
    CopaymentTables::parse(
        &std::fs::read_to_string(repo().join("mappings/reference/copayment.toml")).unwrap(),
    )
    .unwrap()
}

fn corpus(file: &str) -> Vec<u8> {
    std::fs::read(repo().join("conformance/corpus/municipal").join(file)).unwrap()
}

fn read(bytes: &[u8], layout_name: &str) -> Result<Vec<Converted>, AdapterError> {
    read_decisions(bytes, "00", &layout(layout_name), &tables())
}

fn certifications(converted: &[Converted]) -> Vec<Certification> {
    converted
        .iter()
        .map(|c| match &c.record {
            Record::Certification(c) => (**c).clone(),
            other => panic!("not a certification: {other:?}"),
        })
        .collect()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// The people of conformance/corpus/municipal/generate.py, as sheets hold them.
fn patients() -> Vec<Patient> {
    [
        (
            "山田　太郎",
            "ヤマダ　タロウ",
            d(1980, 3, 14),
            Sex::Male,
            "東京都千代田区霞が関一丁目２番２号",
        ),
        (
            "髙橋　花子",
            "タカハシ　ハナコ",
            d(1962, 11, 3),
            Sex::Female,
            "東京都新宿区西新宿二丁目８番１号",
        ),
        (
            "佐藤　一郎",
            "サトウ　イチロウ",
            d(1955, 1, 20),
            Sex::Male,
            "東京都八王子市元本郷町三丁目２４番１号",
        ),
        (
            "鈴木　美咲",
            "スズキ　ミサキ",
            d(1990, 7, 7),
            Sex::Female,
            "東京都立川市錦町四丁目６番３号",
        ),
        (
            "田中　ゆい",
            "タナカ　ユイ",
            d(2015, 6, 30),
            Sex::Female,
            "東京都府中市宮西町二丁目２４番地",
        ),
    ]
    .into_iter()
    .map(|(name, kana, birth, sex, address)| Patient {
        name: Some(name.into()),
        name_kana: Some(kana.into()),
        date_of_birth: Some(birth),
        sex: Some(sex),
        address: Some(address.into()),
        ..Patient::default()
    })
    .collect()
}

fn without_provenance(mut c: Vec<Certification>) -> Vec<Certification> {
    for c in &mut c {
        c.provenance = Default::default();
    }
    c
}

#[test]
fn the_csv_corpus_reads_to_the_decisions_with_their_caps() {
    let converted = read(&corpus("city-a.csv"), "city-a").unwrap();
    for c in &converted {
        assert!(c.findings.is_empty(), "{:?}", c.findings);
    }
    let c = certifications(&converted);
    assert_eq!(c.len(), 5);
    assert_eq!(c[0].receipt_number.as_deref(), Some("241010089569116"));
    assert_eq!(c[0].recipient_number.as_deref(), Some("0001016"));
    assert_eq!(c[0].payer_number.as_deref(), Some("54130018"));
    assert_eq!(c[0].income_tier, Some(IncomeTier::GeneralIncome1));
    assert_eq!(c[0].special_status, None);
    assert_eq!(c[0].monthly_copayment_cap, Some(10_000));
    assert_eq!(c[0].valid_from, Some(d(2025, 4, 1)));
    assert_eq!(c[0].valid_to, Some(d(2026, 3, 31)));
    assert!(c[0].research_consent);
    assert_eq!(c[1].special_status, Some(SpecialStatus::HighCostLongTerm));
    assert_eq!(c[1].monthly_copayment_cap, Some(20_000));
    assert!(!c[1].research_consent);
    assert_eq!(c[2].special_status, Some(SpecialStatus::Ventilator));
    assert_eq!(c[2].monthly_copayment_cap, Some(1_000));
    assert_eq!(c[3].decision, CertificationDecision::NotCertified);
    assert_eq!(c[3].monthly_copayment_cap, None);
    assert!(
        c[3].research_consent,
        "a refused patient may still consent to registration"
    );
    assert_eq!(c[4].kind, SheetKind::Shoman);
    assert_eq!(c[4].special_status, Some(SpecialStatus::Severe));
    assert_eq!(c[4].monthly_copayment_cap, Some(5_000));
    // Every value says where it came from: line and header.
    let at = &c[4].provenance.fields["income_tier"];
    assert_eq!((at.line, at.column), (Some(6), Some(6)));
    assert_eq!(at.column_name.as_deref(), Some("階層区分"));
}

#[test]
fn the_fixed_length_corpus_reads_to_the_same_decisions() {
    let fixed = read(&corpus("city-b.dat"), "city-b").unwrap();
    for c in &fixed {
        assert!(c.findings.is_empty(), "{:?}", c.findings);
    }
    let csv = read(&corpus("city-a.csv"), "city-a").unwrap();
    assert_eq!(
        without_provenance(certifications(&fixed)),
        without_provenance(certifications(&csv))
    );
    let at = &certifications(&fixed)[2].provenance.fields["monthly_copayment_cap"];
    assert_eq!((at.line, at.byte), (Some(3), Some(35)));
}

#[test]
fn the_issuing_file_writes_back_byte_for_byte_in_both_layouts() {
    for (file, name) in [("city-a.csv", "city-a"), ("city-b.dat", "city-b")] {
        let bytes = corpus(file);
        let certs = certifications(&read(&bytes, name).unwrap());
        let patients = patients();
        let rows: Vec<IssuingRow<'_>> = certs
            .iter()
            .zip(&patients)
            .map(|(certification, patient)| IssuingRow {
                certification,
                patient,
            })
            .collect();
        let written = write_issuing_file(&layout(name), &rows).unwrap();
        assert_eq!(
            encoding_rs::SHIFT_JIS.decode(&written).0,
            encoding_rs::SHIFT_JIS.decode(&bytes).0,
            "{file}"
        );
        assert_eq!(written, bytes, "{file}");
        // And what was written reads back to the same decisions.
        assert_eq!(
            without_provenance(certifications(&read(&written, name).unwrap())),
            without_provenance(certs)
        );
    }
}

/// Replaces `width` bytes at 1-based `start` of 1-based record `line` in the fixed corpus.
fn patch_fixed(line: usize, start: usize, bytes: &[u8]) -> Vec<u8> {
    let mut file = corpus("city-b.dat");
    let offset = (line - 1) * 162 + start - 1;
    file[offset..offset + bytes.len()].copy_from_slice(bytes);
    file
}

fn errors(converted: &[Converted]) -> Vec<(String, Option<u64>, Option<u32>)> {
    converted
        .iter()
        .flat_map(|c| &c.findings)
        .map(|f| {
            let l = f.location.clone().unwrap_or_default();
            (f.code.clone(), l.line, l.byte.or(l.column))
        })
        .collect()
}

#[test]
fn a_record_of_the_wrong_length_is_refused_with_its_line() {
    let mut file = corpus("city-b.dat");
    file.splice(162 + 10..162 + 10, *b"X");
    let err = read(&file, "city-b").unwrap_err();
    assert_eq!(err.code, "municipal.record_length");
    assert_eq!(err.location.unwrap().line, Some(2));
    assert!(err.message.contains("161 bytes"), "{}", err.message);
    // CRLF records read with an LF layout: the hint names the line ends.
    let text = std::fs::read_to_string(repo().join("mappings/municipal/city-b.toml"))
        .unwrap()
        .replace("line_end = \"crlf\"", "line_end = \"lf\"");
    let lf = Layout::parse("city-b-lf", &text).unwrap();
    let err = read_decisions(&corpus("city-b.dat"), "00", &lf, &tables()).unwrap_err();
    assert_eq!(err.code, "municipal.record_length");
    assert!(err.message.contains("CRLF"), "{}", err.message);
}

#[test]
fn bad_cp932_bytes_are_refused_with_line_and_byte() {
    // 0xFF is no Shift_JIS byte; put it in the name field of record 4.
    let err = read(&patch_fixed(4, 90, b"\xff\xff"), "city-b").unwrap_err();
    assert_eq!(err.code, "municipal.encoding");
    let at = err.location.unwrap();
    assert_eq!((at.line, at.byte), (Some(4), Some(90)));
    let mut csv = corpus("city-a.csv");
    let third_line = csv
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(1)
        .unwrap()
        .0;
    csv[third_line + 1] = 0xA0;
    let err = read(&csv, "city-a").unwrap_err();
    assert_eq!(err.code, "municipal.encoding");
    assert_eq!(err.location.unwrap().line, Some(3));
}

#[test]
fn bad_values_are_findings_located_by_line_and_byte_or_column() {
    // 令和7年2月30日 does not exist; tier code 9; payer number check digit off by one.
    let file = patch_fixed(1, 41, b"5070230");
    let converted = read(&file, "city-b").unwrap();
    // The date is unreadable, so the certified record also lacks its validity.
    assert_eq!(
        errors(&converted),
        [
            ("municipal.date".into(), Some(1), Some(41)),
            ("municipal.missing".into(), Some(1), None)
        ]
    );
    assert!(converted[0].findings[0].message.contains("5070230"));

    let converted = read(&patch_fixed(2, 33, b"9"), "city-b").unwrap();
    // The tier is unreadable, so the certified record also lacks it.
    assert_eq!(
        errors(&converted),
        [
            ("municipal.income_tier".into(), Some(2), Some(33)),
            ("municipal.missing".into(), Some(2), None)
        ]
    );

    let converted = read(&patch_fixed(3, 23, b"54130019"), "city-b").unwrap();
    assert_eq!(
        errors(&converted),
        [("identifier.check_digit".into(), Some(3), Some(23))]
    );

    let csv = String::from_utf8(
        encoding_rs::SHIFT_JIS
            .decode(&corpus("city-a.csv"))
            .0
            .replace("一般所得Ⅰ", "中所得")
            .replace("R8.4.30", "R8.4.31")
            .replace("54130018,難病,認定,上位所得", "52130010,難病,認定,上位所得")
            .into_bytes(),
    )
    .unwrap();
    let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(&csv);
    let converted = read(&bytes, "city-a").unwrap();
    assert_eq!(
        errors(&converted),
        [
            ("municipal.income_tier".into(), Some(2), Some(6)),
            ("municipal.missing".into(), Some(2), None),
            ("identifier.law_number".into(), Some(3), Some(3)),
            ("municipal.date".into(), Some(4), Some(10)),
            ("municipal.missing".into(), Some(4), None),
        ]
    );
}

#[test]
fn an_unknown_decision_refuses_the_file_at_its_place() {
    let err = read(&patch_fixed(5, 32, b"7"), "city-b").unwrap_err();
    assert_eq!(err.code, "municipal.decision");
    let at = err.location.unwrap();
    assert_eq!((at.line, at.byte), (Some(5), Some(32)));
    let err = read(&patch_fixed(5, 32, b" "), "city-b").unwrap_err();
    assert_eq!(err.code, "municipal.decision");
    assert_eq!(err.location.unwrap().line, Some(5));
}

#[test]
fn a_stated_cap_that_disagrees_with_the_table_is_an_error() {
    let converted = read(&patch_fixed(1, 35, b"020000"), "city-b").unwrap();
    assert_eq!(
        errors(&converted),
        [("municipal.copayment_mismatch".into(), Some(1), Some(35))]
    );
    // 重症 is a 小慢 column only.
    let converted = read(&patch_fixed(1, 34, b"3"), "city-b").unwrap();
    assert_eq!(
        errors(&converted),
        [(
            "copayment.status_not_in_programme".into(),
            Some(1),
            Some(34)
        )]
    );
}

#[test]
fn a_field_edge_inside_a_double_byte_character_is_a_finding() {
    // A 山 written across bytes 85–86, and a layout whose one-byte consent field is byte 85.
    let (yama, _, _) = encoding_rs::SHIFT_JIS.encode("山");
    let mut file = corpus("city-b.dat");
    file[84..86].copy_from_slice(&yama);
    let text = std::fs::read_to_string(repo().join("mappings/municipal/city-b.toml"))
        .unwrap()
        .replace(
            "field = \"research_consent\"\nstart = 55\nwidth = 1",
            "field = \"research_consent\"\nstart = 85\nwidth = 1",
        )
        .replace(
            "field = \"patient.name_kana\"\nstart = 56\nwidth = 30",
            "field = \"patient.name_kana\"\nstart = 55\nwidth = 30",
        );
    let shifted = Layout::parse("shifted", &text).unwrap();
    let converted = read_decisions(&file, "00", &shifted, &tables()).unwrap();
    assert_eq!(
        errors(&converted[..1]),
        [("municipal.field_boundary".into(), Some(1), Some(85))]
    );
}

#[test]
fn csv_structure_errors_name_the_line() {
    let text = encoding_rs::SHIFT_JIS
        .decode(&corpus("city-a.csv"))
        .0
        .into_owned();
    let cut = text.replacen(",東京都新宿区西新宿二丁目８番１号", "", 1);
    let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(&cut);
    let err = read(&bytes, "city-a").unwrap_err();
    assert_eq!(err.code, "municipal.field_count");
    assert_eq!(err.location.unwrap().line, Some(3));
    let renamed = text.replacen("階層区分", "所得区分", 1);
    let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(&renamed);
    let err = read(&bytes, "city-a").unwrap_err();
    assert_eq!(err.code, "municipal.missing_column");
    assert!(err.message.contains("階層区分"));
    let err = read(b"", "city-a").unwrap_err();
    assert_eq!(err.code, "municipal.empty");
}

#[test]
fn layouts_that_cannot_work_are_refused() {
    let base = std::fs::read_to_string(repo().join("mappings/municipal/city-b.toml")).unwrap();
    for (bad, why) in [
        (
            base.replace("start = 114\nwidth = 40", "start = 114\nwidth = 48"),
            "does not fit",
        ),
        (
            base.replace("start = 16\nwidth = 7", "start = 15\nwidth = 7"),
            "overlap",
        ),
        (
            base.replace(
                "codes = { certified = \"1\", not_certified = \"2\" }",
                "codes = { certified = \"1\", not_certified = \"1\" }",
            ),
            "two values",
        ),
        (base.replace("[fixed]", "[csv]\n[fixed]"), "exactly one"),
        (
            base.replace("record_length = 160", "record_length = 160\nsurprise = 1"),
            "surprise",
        ),
    ] {
        let err = Layout::parse("bad", &bad).unwrap_err();
        assert_eq!(err.code, "mapping.invalid");
        assert!(err.message.contains(why), "{why}: {}", err.message);
    }
}

#[test]
fn exports_refuse_what_the_layout_cannot_hold() {
    let certs = certifications(&read(&corpus("city-b.dat"), "city-b").unwrap());
    let mut patient = patients().remove(0);
    patient.address = Some("東京都千代田区霞が関一丁目２番２号　中央合同庁舎第５号館別館".into());
    let err = write_issuing_file(
        &layout("city-b"),
        &[IssuingRow {
            certification: &certs[0],
            patient: &patient,
        }],
    )
    .unwrap_err();
    assert_eq!(err.code, "municipal.too_long");
    assert_eq!(err.field.as_deref(), Some("patient.address"));
    patient.address = Some("Emoji 🏥".into());
    let err = write_issuing_file(
        &layout("city-a"),
        &[IssuingRow {
            certification: &certs[0],
            patient: &patient,
        }],
    )
    .unwrap_err();
    assert_eq!(err.code, "municipal.unmappable");
    assert!(err.message.contains("U+1F3E5"), "{}", err.message);
}

#[test]
fn pmh_registration_has_the_hub_shape_and_checks_the_numbers() {
    let certs = certifications(&read(&corpus("city-a.csv"), "city-a").unwrap());
    let patients = patients();
    let json = serde_json::to_value(pmh_registration(&certs[0], &patients[0]).unwrap()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "basicFiveInfo": {
                "name": "山田　太郎",
                "kanaName": "ヤマダ　タロウ",
                "birthDate": "1980-03-14",
                "sex": "1",
                "address": "東京都千代田区霞が関一丁目２番２号"
            },
            "medicalSubsidyInsurerNumber": "54130018",
            "medicalSubsidyRecipientNumber": "0001016",
            "incomeSegment": "一般所得Ⅰ",
            "maxCopaymentAmount": 10000,
            "validFrom": "2025-04-01",
            "validTo": "2026-03-31"
        })
    );
    assert_eq!(
        pmh_registration(&certs[3], &patients[3]).unwrap_err().code,
        "pmh.not_certified"
    );
    let mut bad = certs[0].clone();
    bad.payer_number = Some("54130019".into());
    assert_eq!(
        pmh_registration(&bad, &patients[0]).unwrap_err().code,
        "pmh.insurer_number"
    );
    bad.payer_number = Some("52130010".into());
    assert_eq!(
        pmh_registration(&bad, &patients[0]).unwrap_err().code,
        "pmh.insurer_number",
        "a 小慢 payer number on a 難病 certification"
    );
    let mut nameless = patients[0].clone();
    nameless.name = None;
    assert_eq!(
        pmh_registration(&certs[0], &nameless)
            .unwrap_err()
            .field
            .as_deref(),
        Some("patient.name")
    );
}

/// A cheap, deterministic stand-in for the fuzz target (fuzz/fuzz_targets/municipal_adapter.rs)
/// that runs with the tests: every single-byte change and every truncation of both corpus files
/// is read or refused with a located error, and whatever is read writes out again — never a
/// panic.
#[test]
fn every_single_byte_change_is_read_or_refused_never_panics() {
    let patient = patients().remove(1);
    for (file, name) in [("city-a.csv", "city-a"), ("city-b.dat", "city-b")] {
        let original = corpus(file);
        let layout = layout(name);
        let tables = tables();
        let mut variants: Vec<Vec<u8>> = (0..original.len())
            .flat_map(|i| {
                [b' ', b',', b'\n', 0x82].map(|b| {
                    let mut v = original.clone();
                    v[i] = b;
                    v
                })
            })
            .collect();
        variants.extend(
            (0..original.len())
                .step_by(7)
                .map(|n| original[..n].to_vec()),
        );
        for bytes in variants {
            match read_decisions(&bytes, "00", &layout, &tables) {
                Ok(converted) => {
                    for c in certifications(&converted) {
                        let row = IssuingRow {
                            certification: &c,
                            patient: &patient,
                        };
                        let _ = write_issuing_file(&layout, &[row]);
                        let _ = pmh_registration(&c, &patient);
                    }
                }
                Err(e) => assert!(
                    e.location.is_some() || e.code == "municipal.empty",
                    "{file}: unlocated {e:?}"
                ),
            }
        }
    }
}

#[test]
fn fixed_length_records_without_line_ends_read_the_same() {
    let text = std::fs::read_to_string(repo().join("mappings/municipal/city-b.toml"))
        .unwrap()
        .replace("line_end = \"crlf\"", "line_end = \"none\"");
    let packed_layout = Layout::parse("city-b-packed", &text).unwrap();
    let packed: Vec<u8> = corpus("city-b.dat")
        .split(|b| *b == b'\n')
        .flat_map(|r| r.strip_suffix(b"\r").unwrap_or(r).to_vec())
        .collect();
    assert_eq!(packed.len(), 5 * 160);
    let read_packed = read_decisions(&packed, "00", &packed_layout, &tables()).unwrap();
    assert_eq!(
        without_provenance(certifications(&read_packed)),
        without_provenance(certifications(
            &read(&corpus("city-b.dat"), "city-b").unwrap()
        ))
    );
    // A cut-off last record is refused with its record number.
    let err =
        read_decisions(&packed[..packed.len() - 3], "00", &packed_layout, &tables()).unwrap_err();
    assert_eq!(err.code, "municipal.record_length");
    assert_eq!(err.location.unwrap().line, Some(5));
}

/// A header-less CSV whose columns are known by position only, with a column the layout does
/// not use: written and read back through the same layout.
#[test]
fn csv_columns_by_number_round_trip() {
    let by_number = Layout::parse(
        "by-number",
        r#"
description = "header-less, columns by number"
kind = "shoman"

[csv]
encoding = "shift_jis"
header = false
line_end = "lf"

[[fields]]
field = "recipient_number"
index = 1

[[fields]]
field = "decision"
index = 2
codes = { certified = "A", not_certified = "B" }

[[fields]]
field = "income_tier"
index = 4

[[fields]]
field = "valid_from"
index = 5
date = "iso"

[[fields]]
field = "valid_to"
index = 6
date = "era_code"

[[fields]]
field = "patient.name_kana"
index = 7
kana = "halfwidth"
"#,
    )
    .unwrap();
    let certs = certifications(&read(&corpus("city-a.csv"), "city-a").unwrap());
    let patients = patients();
    let rows: Vec<IssuingRow<'_>> = certs
        .iter()
        .zip(&patients)
        .map(|(certification, patient)| IssuingRow {
            certification,
            patient,
        })
        .collect();
    let written = write_issuing_file(&by_number, &rows).unwrap();
    let text = encoding_rs::SHIFT_JIS.decode(&written).0.into_owned();
    assert_eq!(
        text.lines().next().unwrap(),
        "0001016,A,,一般所得Ⅰ,2025-04-01,5080331,ﾔﾏﾀﾞ ﾀﾛｳ"
    );
    assert!(!text.contains('\r'));
    let back = certifications(&read_decisions(&written, "00", &by_number, &tables()).unwrap());
    for (b, c) in back.iter().zip(&certs) {
        assert_eq!(b.recipient_number, c.recipient_number);
        assert_eq!(b.decision, c.decision);
        assert_eq!(b.income_tier, c.income_tier);
        assert_eq!((b.valid_from, b.valid_to), (c.valid_from, c.valid_to));
        assert_eq!(b.kind, SheetKind::Shoman, "the layout's programme");
    }
    let at = &back[0].provenance.fields["income_tier"];
    assert_eq!(
        (at.line, at.column, at.column_name.as_deref()),
        (Some(1), Some(4), None)
    );
}
