//! Prints of sheets. At the document level: a masked print does not contain the personal data
//! at all — not in poppler's text, not in any decompressed stream, not as glyphs in the font
//! subset or the `ToUnicode` map, not as glyph codes in the content — while the full print has
//! every value. End to end, with the real binary over mutual TLS: the municipal officer's
//! masked print, the doctor's full print, an unrelated hospital's 404, and the registration
//! card of a mild case (no subsidy) refused before consent and issued after.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use chrono::NaiveDate;
use common::{Gateway, HOSPITAL, Session, corpus, send};
use kakehashi::catalog::Catalog;
use kakehashi::checks::{CheckContext, check_sheet};
use kakehashi::print::{Disclosure, SheetPrint, sheet_print};
use kakehashi::store::SheetStatus;
use kakehashi_pdf::{DEFAULT_FONT_PATH, Font};
use kakehashi_sdk::{Finding, Item, ItemValue, Provenance, Sex, Sheet, SheetKind, YearMonth};
use lopdf::content::Content;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn font() -> &'static Font {
    static FONT: OnceLock<Font> = OnceLock::new();
    FONT.get_or_init(|| Font::load(Path::new(DEFAULT_FONT_PATH)).unwrap())
}

/// The personal values of [`distinctive_sheet`], as the full print writes them. The kanji
/// 鰐淵鷲雄釧岱鱒 occur nowhere else in a print.
const PERSONAL: &[&str] = &[
    "鰐淵　鷲雄",
    "ワニブチ　ワシオ",
    "1961年4月17日",
    "1961-04-17",
    "085-0837",
    "北海道釧路市鶴ケ岱9丁目8番7号",
    "39876543",
    "鱒七",
    "8765432",
    "0154-98-7654",
    "KX-4471-Q",
    "54012349",
    "9753108",
];
const UNIQUE_KANJI: &[char] = &['鰐', '淵', '鷲', '雄', '釧', '岱', '鱒'];

/// An ALS sheet with distinctive personal data, checked by the real checks: the recipient
/// number's check digit is wrong and the onset lies before the birth date, so two findings
/// quote personal values.
fn distinctive_sheet() -> (Sheet, Vec<Finding>, &'static Catalog) {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    let catalog = CATALOG.get_or_init(|| Catalog::load(None).unwrap());
    let mut sheet = Sheet::new(SheetKind::Nanbyo, Provenance::default());
    sheet.disease.number = Some(2);
    let p = &mut sheet.patient;
    p.name = Some("鰐淵　鷲雄".into());
    p.name_kana = Some("ワニブチ　ワシオ".into());
    p.date_of_birth = NaiveDate::from_ymd_opt(1961, 4, 17);
    p.sex = Some(Sex::Male);
    p.postal_code = Some("085-0837".into());
    p.address = Some("北海道釧路市鶴ケ岱9丁目8番7号".into());
    p.insurance.insurer_number = Some("39876543".into());
    p.insurance.symbol = Some("鱒七".into());
    p.insurance.number = Some("8765432".into());
    p.insurance.branch = Some("07".into());
    p.hospital_patient_id = Some("KX-4471-Q".into());
    sheet.clinical.onset = YearMonth::new(1960, 1);
    sheet.clinical.remarks = Some("非侵襲的陽圧換気（NPPV）導入済み。".repeat(12));
    sheet.institution.doctor_name = Some("平野　隆之".into());
    sheet.institution.name = Some("東京湾岸大学医学部附属病院".into());
    sheet.institution.phone = Some("0154-98-7654".into());
    sheet.institution.date_written = NaiveDate::from_ymd_opt(2026, 6, 12);
    sheet.administrative.payer_number = Some("54012349".into());
    sheet.administrative.recipient_number = Some("9753108".into());
    for scale_item in [
        "speech",
        "salivation",
        "swallowing",
        "handwriting",
        "cutting_food",
        "dressing",
        "turning_in_bed",
        "walking",
        "climbing_stairs",
        "dyspnea",
        "orthopnea",
        "respiratory_insufficiency",
    ] {
        let value = Item::read(ItemValue::Integer(3), None);
        sheet.items.insert(format!("alsfrs_r.{scale_item}"), value);
    }
    let context = CheckContext {
        diseases: &catalog.diseases,
        templates: &catalog.templates,
        today: NaiveDate::from_ymd_opt(2026, 11, 21).unwrap(),
    };
    let findings = check_sheet(&mut sheet, &context);
    let codes: Vec<(&str, Option<&str>)> = findings
        .iter()
        .map(|f| (f.code.as_str(), f.item.as_deref()))
        .collect();
    assert!(
        codes.contains(&(
            "identifier.check_digit",
            Some("administrative.recipient_number")
        )),
        "{codes:?}"
    );
    assert!(
        codes.contains(&("date.order", Some("clinical.onset"))),
        "{codes:?}"
    );
    (sheet, findings, catalog)
}

fn render(disclosure: Disclosure) -> Vec<u8> {
    let (sheet, findings, catalog) = distinctive_sheet();
    let print = SheetPrint {
        id: "3f2a9c1e-0000-5000-8000-000000000001",
        status: SheetStatus::Confirmed,
        sheet: &sheet,
        findings: &findings,
        template: catalog.templates.for_sheet(&sheet),
        printed_on: NaiveDate::from_ymd_opt(2026, 11, 21).unwrap(),
    };
    sheet_print(font(), &print, disclosure).unwrap()
}

/// `text` without any white space (poppler turns the ideographic space between family and
/// given name into a break or a run of spaces).
fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The text of a PDF without white space (pdftotext breaks lines where the layout does).
fn pdftotext(pdf: &[u8]) -> String {
    squeeze(&common::pdf_text(pdf))
}

/// The file with every stream decompressed, as bytes — but for the font program: its binary
/// tables hold any digit string by chance (`9876543210` is in IPAex's), and which glyphs it
/// holds is checked through the `ToUnicode` map and its glyph count instead.
fn decompressed(pdf: &[u8]) -> Vec<u8> {
    let mut doc = lopdf::Document::load_mem(pdf).unwrap();
    doc.decompress();
    let programs: Vec<lopdf::ObjectId> = doc
        .objects
        .values()
        .filter_map(|o| {
            o.as_dict()
                .ok()?
                .get(b"FontFile2")
                .ok()?
                .as_reference()
                .ok()
        })
        .collect();
    for id in programs {
        doc.get_object_mut(id)
            .unwrap()
            .as_stream_mut()
            .unwrap()
            .set_content(Vec::new());
    }
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

/// The embedded font: its `ToUnicode` map (character → CID) and the glyph count of its subset.
fn embedded_font(doc: &lopdf::Document) -> (HashMap<char, u16>, u16) {
    let stream_of = |dict: &lopdf::Dictionary, key: &[u8]| {
        let id = dict.get(key).unwrap().as_reference().unwrap();
        doc.get_object(id)
            .unwrap()
            .as_stream()
            .unwrap()
            .decompressed_content()
            .unwrap_or_else(|_| {
                doc.get_object(id)
                    .unwrap()
                    .as_stream()
                    .unwrap()
                    .content
                    .clone()
            })
    };
    let mut map = HashMap::new();
    let mut glyphs = None;
    for object in doc.objects.values() {
        let Ok(dict) = object.as_dict() else { continue };
        if dict.get(b"Subtype").and_then(|o| o.as_name()).ok() == Some(b"Type0".as_slice()) {
            let cmap = String::from_utf8(stream_of(dict, b"ToUnicode")).unwrap();
            for section in cmap.split("beginbfchar").skip(1) {
                let body = section.split("endbfchar").next().unwrap();
                let hex: Vec<&str> = body
                    .split(['<', '>'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect();
                for pair in hex.chunks(2) {
                    let cid = u16::from_str_radix(pair[0], 16).unwrap();
                    let units: Vec<u16> = (0..pair[1].len() / 4)
                        .map(|i| u16::from_str_radix(&pair[1][i * 4..i * 4 + 4], 16).unwrap())
                        .collect();
                    for c in char::decode_utf16(units) {
                        map.insert(c.unwrap(), cid);
                    }
                }
            }
        }
        if dict.get(b"Type").and_then(|o| o.as_name()).ok() == Some(b"FontDescriptor".as_slice()) {
            let program = stream_of(dict, b"FontFile2");
            glyphs = Some(
                ttf_parser::Face::parse(&program, 0)
                    .unwrap()
                    .number_of_glyphs(),
            );
        }
    }
    (map, glyphs.expect("an embedded font program"))
}

/// The glyph codes of every string the pages show, one byte string per text operation.
fn shown_strings(doc: &lopdf::Document) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for page in doc.get_pages().values() {
        let content = Content::decode(&doc.get_page_content(*page)).unwrap();
        for op in content.operations {
            if op.operator == "Tj" {
                out.push(op.operands[0].as_str().unwrap().to_vec());
            }
        }
    }
    out
}

/// `text` as the CIDs the embedded subset would draw it with, when every character is in it.
fn glyph_codes(map: &HashMap<char, u16>, text: &str) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    for c in text.chars() {
        bytes.extend(map.get(&c)?.to_be_bytes());
    }
    Some(bytes)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_masked_print_leaves_the_personal_data_out_of_the_file() {
    let masked = render(Disclosure::Masked);
    let full = render(Disclosure::Full);

    // (1) What poppler reads.
    let text = pdftotext(&masked);
    for value in PERSONAL {
        let value = squeeze(value);
        assert!(
            !text.contains(&value),
            "{value} in the masked print:\n{text}"
        );
    }
    for kept in [
        "筋萎縮性側索硬化症",
        "（マスク）",
        "年齢（記載日時点）",
        "65歳",
        "平野隆之",
        "identifier.check_digit",
        "date.order",
        "審査会用",
    ] {
        assert!(text.contains(kept), "{kept} missing from the masked print");
    }
    let full_text = pdftotext(&full);
    for value in PERSONAL {
        let value = squeeze(value);
        assert!(
            full_text.contains(&value),
            "{value} missing from the full print"
        );
    }

    // (2) Every stream decompressed: no UTF-8, no UTF-16, no ToUnicode hex of a value.
    let raw = decompressed(&masked);
    for value in PERSONAL {
        let utf16: Vec<u8> = value.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert!(!contains(&raw, value.as_bytes()), "{value} as UTF-8");
        assert!(!contains(&raw, &utf16), "{value} as UTF-16");
    }
    let raw_text = String::from_utf8_lossy(&raw).to_uppercase();
    for c in UNIQUE_KANJI {
        let hex = format!("{:04X}", u32::from(*c));
        assert!(!raw_text.contains(&hex), "{c} ({hex}) in a stream");
    }

    // (3) The font: the subset holds exactly the glyphs ToUnicode lists (plus .notdef), and
    // none of the kanji only the personal values use; no shown string holds the glyph codes of
    // a personal value. The full print shows that the method finds them when they are there.
    let masked_doc = lopdf::Document::load_mem(&masked).unwrap();
    let (masked_map, masked_glyphs) = embedded_font(&masked_doc);
    assert_eq!(usize::from(masked_glyphs), masked_map.len() + 1);
    for c in UNIQUE_KANJI {
        assert!(!masked_map.contains_key(c), "{c} in the masked font subset");
    }
    let shown = shown_strings(&masked_doc);
    for value in PERSONAL {
        if let Some(codes) = glyph_codes(&masked_map, value) {
            assert!(
                !shown.iter().any(|s| contains(s, &codes)),
                "{value} drawn in the masked print"
            );
        }
    }
    let full_doc = lopdf::Document::load_mem(&full).unwrap();
    let (full_map, full_glyphs) = embedded_font(&full_doc);
    assert!(full_glyphs > masked_glyphs);
    let shown = shown_strings(&full_doc);
    for value in ["鰐淵　鷲雄", "9753108", "北海道釧路市鶴ケ岱9丁目8番7号"] {
        let codes = glyph_codes(&full_map, value).unwrap();
        assert!(
            shown.iter().any(|s| contains(s, &codes)),
            "{value} not drawn"
        );
    }
}

#[test]
fn a_long_sheet_runs_onto_numbered_pages() {
    let full = render(Disclosure::Full);
    let doc = lopdf::Document::load_mem(&full).unwrap();
    let pages = doc.get_pages().len();
    assert!(pages >= 2, "{pages} pages");
    let text = pdftotext(&full);
    assert!(text.contains(&format!("1/{pages}")), "{text}");
    assert!(text.contains(&format!("{pages}/{pages}")));
    // Every template item has its label, the computed total its marker.
    for label in [
        "ALSFRS-R1.言語",
        "3（会話障害が認められる）",
        "ALSFRS-R合計点",
        "36（自動計算）",
    ] {
        assert!(text.contains(label), "{label} missing");
    }
}

/// Submissions for the development municipality (地方公共団体コード 130001).
const SUBMIT: &str = "/v1/submissions?mapping=hospital-a&municipality=130001";

async fn pdf(session: &Session, path: &str) -> (StatusCode, Vec<u8>, Value) {
    let response = session.get(path).send().await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = response.bytes().await.unwrap().to_vec();
    if status == StatusCode::OK {
        assert_eq!(content_type.as_deref(), Some("application/pdf"));
        (status, bytes, Value::Null)
    } else {
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, Vec::new(), body)
    }
}

#[tokio::test]
async fn the_board_gets_a_masked_print_and_the_patient_a_registration_card() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(
        &dir.path().join("data"),
        "[security]\nrequests_per_second_per_terminal = 2000\n",
    );
    gw.add_organisation("hospital", "2710000011", "大阪北病院", "hospital-b");
    let doctor = gw.user("dr1", HOSPITAL, "doctor", "hospital").await;
    let officer = gw.officer("officer1").await;
    let stranger = gw
        .user("dr-b", "hospital:2710000011", "doctor", "hospital-b")
        .await;

    let (status, submission) = send(
        doctor
            .post(SUBMIT)
            .header("content-type", "text/csv")
            .body(std::fs::read(corpus("hospital-a.csv")).unwrap()),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{submission}");
    // Two clean sheets of mild cases (軽症: no subsidy, seed 000's patients) whose patients did
    // not consent on the form.
    let mut clean = Vec::new();
    for s in submission["sheets"].as_array().unwrap() {
        if s["has_errors"].as_bool() == Some(false) {
            let id = s["id"].as_str().unwrap().to_owned();
            let (_, view) = send(doctor.get(&format!("/v1/sheets/{id}"))).await;
            if view["sheet"]["administrative"]["research_consent"] == json!(false)
                && view["sheet"]["clinical"]["severity"] == "mild"
            {
                clean.push((id, view["sheet"].clone()));
            }
        }
        if clean.len() == 2 {
            break;
        }
    }
    let [(id, sheet), (draft, _)] = <[_; 2]>::try_from(clean).expect("two sheets");
    let text_of = |value: &Value| squeeze(value.as_str().unwrap());
    let name = text_of(&sheet["patient"]["name"]);
    let surname = text_of(
        &sheet["patient"]["name"]
            .as_str()
            .unwrap()
            .split('　')
            .next()
            .unwrap()
            .into(),
    );
    let kana = text_of(&sheet["patient"]["name_kana"]);
    let disease = text_of(&sheet["disease"]["name"]);
    let (status, body) = send(doctor.post(&format!("/v1/sheets/{id}/confirm"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The review board works from the officer's masked print; masked is the default.
    let print = format!("/v1/sheets/{id}/print");
    for path in [format!("{print}?masked=true"), print.clone()] {
        let (status, bytes, body) = pdf(&officer, &path).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let text = pdftotext(&bytes);
        assert!(!text.contains(&surname), "{surname} in the masked print");
        assert!(!text.contains(&kana));
        assert!(text.contains(&disease), "{disease} missing:\n{text}");
        assert!(text.contains("（マスク）"));
    }
    for who in [&doctor, &officer] {
        let (status, bytes, body) = pdf(who, &format!("{print}?masked=false")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(pdftotext(&bytes).contains(&name), "{name} missing");
    }
    let (status, _, body) = pdf(&doctor, &format!("{print}?masked=perhaps")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("request.invalid_parameter"))
    );

    // Another hospital's doctor: as if the sheet did not exist.
    for path in [
        format!("{print}?masked=true"),
        format!("/v1/sheets/{id}/registration-card"),
    ] {
        let (status, _, body) = pdf(&stranger, &path).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found")),
            "{path}"
        );
    }

    // The registration card: only the municipality issues it, and only once the patient has
    // consented to the registration, on a confirmed sheet.
    let card = format!("/v1/sheets/{id}/registration-card");
    let (status, _, body) = pdf(&doctor, &card).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("access.denied"))
    );
    let (status, _, body) = pdf(&officer, &card).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("registration_card.no_consent")),
        "{body}"
    );
    // A mild case is registered and sent all the same once consented.
    for (sheet, outlook) in [(&id, "enqueued"), (&draft, "awaiting_confirmation")] {
        let (status, body) = send(
            officer
                .post(&format!("/v1/sheets/{sheet}/consent"))
                .json(&json!({"consented": true})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["outlook"], outlook, "{body}");
    }
    let (status, bytes, body) = pdf(&officer, &card).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let text = pdftotext(&bytes);
    let number: String = id
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(16)
        .collect::<String>()
        .to_uppercase();
    for expected in [
        "指定難病登録者証",
        &name,
        &disease,
        "東京都（開発用）",
        &number[..4],
        "有効期間",
    ] {
        assert!(text.contains(expected), "{expected} missing:\n{text}");
    }
    let (status, _, body) = pdf(&officer, &format!("/v1/sheets/{draft}/registration-card")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (
            StatusCode::CONFLICT,
            Some("registration_card.not_confirmed")
        ),
        "{body}"
    );

    // Every print is in the audit trail, with the disclosure and the patient's pseudonym.
    let admin = gw.admin("admin1").await;
    let (status, trail) = send(admin.get("/v1/audit?action=sheet.print")).await;
    assert_eq!(status, StatusCode::OK, "{trail}");
    let entries = trail.as_array().unwrap();
    let details: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| {
            assert!(
                e["patient_ref"].as_str().is_some_and(|p| !p.is_empty()),
                "{e}"
            );
            (
                e["outcome"].as_str().unwrap(),
                e["detail"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    for expected in [
        ("ok", "masked=true"),
        ("ok", "masked=false"),
        ("denied", ""),
    ] {
        assert!(
            details
                .iter()
                .any(|d| d.0 == expected.0 && d.1.contains(expected.1)),
            "{expected:?} not in {details:?}"
        );
    }
    let (_, cards) = send(admin.get("/v1/audit?action=sheet.registration_card")).await;
    let outcomes: Vec<&str> = cards
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    for expected in ["ok", "refused", "denied"] {
        assert!(outcomes.contains(&expected), "{outcomes:?}");
    }
}
