//! The scan adapter on generated scans (the real template, printed, rasterised at 200 dpi,
//! skewed, speckled and JPEG-compressed) and on bad input: what it must read, and what it must
//! refuse with a clear, located error rather than misread.

use std::collections::BTreeMap;
use std::path::Path;

use kakehashi_adapter_scan::FormTemplate;
use kakehashi_adapter_scan::synth::{self, Scanner, TestCatalog};
use kakehashi_pdf::{DEFAULT_FONT_PATH, Font};
use kakehashi_sdk::{AdapterError, Converted, Record, Sex};
use lopdf::{Object, Stream, dictionary};

fn template() -> FormTemplate {
    TestCatalog::builtin().template()
}

fn font() -> Font {
    Font::load(Path::new(DEFAULT_FONT_PATH)).expect("IPAex Gothic (fonts-ipaexfont-gothic)")
}

fn convert(bytes: &[u8]) -> Result<Vec<Converted>, AdapterError> {
    TestCatalog::builtin().convert(&TestCatalog::adapter(), bytes)
}

#[test]
fn a_skewed_noisy_jpeg_scan_of_two_pages_becomes_one_sheet() {
    let pdf = synth::scanned_pdf(
        &template(),
        &[synth::example_form()],
        &font(),
        &Scanner::default(),
    )
    .unwrap();
    let converted = convert(&pdf).unwrap();
    assert_eq!(converted.len(), 1);
    let Record::Sheet(sheet) = &converted[0].record else {
        panic!("not a sheet")
    };
    // Digits, circled choices and check boxes are read exactly on a clean print.
    assert_eq!(sheet.disease.number, Some(49));
    assert_eq!(sheet.patient.sex, Some(Sex::Female));
    assert_eq!(
        sheet.administrative.recipient_number.as_deref(),
        Some("1234567")
    );
    assert_eq!(
        sheet.patient.insurance.insurer_number.as_deref(),
        Some("06132013")
    );
    assert_eq!(
        sheet.clinical.ventilator,
        Some(kakehashi_sdk::Presence::Present)
    );
    assert_eq!(
        sheet.clinical.family_history,
        Some(kakehashi_sdk::Presence::Absent)
    );
    assert_eq!(
        sheet.items["sledai.score"].value,
        kakehashi_sdk::ItemValue::Text("12".into())
    );
    // Every zone gave a reading with a confidence and the cut-out of its box, located by page.
    let readings = &converted[0].readings;
    assert_eq!(readings.len(), template().zones.len());
    for r in readings {
        assert!((0.0..=1.0).contains(&r.confidence), "{r:?}");
        assert!(r.image_png.starts_with(b"\x89PNG"), "{}", r.target);
        assert!(matches!(r.location.page, Some(1 | 2)));
    }
    let dob = readings
        .iter()
        .find(|r| r.target == "patient.date_of_birth")
        .unwrap();
    assert_eq!(dob.location.element.as_deref(), Some("生年月日"));
    assert_eq!(
        sheet.provenance.confidence.get("patient.date_of_birth"),
        Some(&dob.confidence)
    );
    // Where a value is wrong, the reading that made it is doubted (sent to review): on this
    // deterministic scan no misread passes unflagged. (Field accuracy over many forms is
    // measured by the `accuracy` example.)
    let truth = synth::example_form();
    let mut exact = 0;
    for r in readings {
        if r.text.as_deref() == truth.get(&r.target).map(String::as_str) {
            exact += 1;
        } else {
            assert!(
                r.needs_review(),
                "misread without review: {} {:?}",
                r.target,
                r.text
            );
        }
    }
    assert!(
        exact * 100 >= readings.len() * 85,
        "only {exact} of {} exact",
        readings.len()
    );
}

#[test]
fn forms_back_to_back_become_sheets_in_order_and_pages_out_of_order_are_refused() {
    let template = template();
    let mut second = synth::example_form();
    second.insert("disease.number".into(), "6".into());
    let printed = synth::print(&template, &[synth::example_form(), second], &font()).unwrap();
    let pages = synth::rasterise(&printed, 200).unwrap();
    let pdf = synth::image_pdf(&pages, 200, 85).unwrap();
    let converted = convert(&pdf).unwrap();
    let numbers: Vec<_> = converted
        .iter()
        .map(|c| match &c.record {
            Record::Sheet(s) => s.disease.number,
            _ => None,
        })
        .collect();
    assert_eq!(numbers, [Some(49), Some(6)]);

    let swapped = synth::image_pdf(&[pages[1].clone(), pages[0].clone()], 200, 85).unwrap();
    let e = convert(&swapped).unwrap_err();
    assert_eq!(e.code, "scan.page_order");
    assert_eq!(e.location.unwrap().page, Some(1));
    let e = convert(&synth::image_pdf(&pages[..1], 200, 85).unwrap()).unwrap_err();
    assert_eq!(e.code, "scan.page_order", "{}", e.message);
}

#[test]
fn a_text_pdf_and_a_scan_of_another_layout_are_refused_as_unknown_forms() {
    // A PDF with text and no image: the notice the gateway prints.
    let font = font();
    let mut doc = kakehashi_pdf::Document::new(&font, "指定医 交付通知書");
    doc.page()
        .text(20.0, 20.0, 16.0, "指定医 交付通知書 2403-1");
    let text_pdf = doc.finish().unwrap();
    let e = convert(&text_pdf).unwrap_err();
    assert_eq!(e.code, "scan.unknown_form");
    assert!(e.message.contains("page 1"), "{}", e.message);

    // An image-only scan of a different layout: a page with a frame and text but no marks.
    let mut doc = kakehashi_pdf::Document::new(&font, "別様式");
    let page = doc.page();
    page.rect(15.0, 15.0, 180.0, 260.0, false);
    page.text(25.0, 30.0, 14.0, "医療意見書 様式 2309-1");
    page.text(25.0, 60.0, 12.0, "氏名 山田 花子");
    let other = doc.finish().unwrap();
    let pages = synth::rasterise(&other, 200).unwrap();
    let scan = synth::image_pdf(&pages, 200, 80).unwrap();
    let e = convert(&scan).unwrap_err();
    assert_eq!(e.code, "scan.unknown_form");
    assert!(e.message_ja.contains("既知の様式として読めません"));

    // Our own marks with another form code printed: refused, naming the code it read.
    let mut foreign = template();
    foreign.form_code = "2309".into();
    let pdf = synth::scanned_pdf(
        &foreign,
        &[synth::example_form()],
        &font,
        &Scanner::default(),
    )
    .unwrap();
    let e = convert(&pdf).unwrap_err();
    assert_eq!(e.code, "scan.unknown_form");
    assert!(e.message.contains("2309-1"), "{}", e.message);
}

fn findings_of<'c>(c: &'c Converted, code: &str) -> Vec<(&'c str, Option<u32>)> {
    c.findings
        .iter()
        .filter(|f| f.code == code)
        .map(|f| {
            (
                f.item.as_deref().unwrap_or_default(),
                f.location.as_ref().and_then(|l| l.page),
            )
        })
        .collect()
}

#[test]
fn pages_upside_down_or_sideways_are_turned_and_an_unreadable_page_keeps_the_others() {
    let template = template();
    let font = font();
    let printed = synth::print(&template, &[synth::example_form()], &font).unwrap();
    let pages = synth::rasterise(&printed, 200).unwrap();
    let turned = synth::image_pdf(
        &[
            image::imageops::rotate90(&pages[0]),
            image::imageops::rotate180(&pages[1]),
        ],
        200,
        85,
    )
    .unwrap();
    let converted = convert(&turned).unwrap();
    assert_eq!(converted.len(), 1);
    assert_eq!(
        findings_of(&converted[0], "scan.page_turned"),
        [("", Some(1)), ("", Some(2))]
    );
    let Record::Sheet(sheet) = &converted[0].record else {
        panic!("not a sheet")
    };
    assert_eq!(sheet.disease.number, Some(49));
    assert_eq!(
        sheet.institution.designated_doctor_number.as_deref(),
        Some("1310000017")
    );

    // Page 2 is a page of something else: page 1 is read, page 2's fields go to review, and the
    // finding says which page.
    let mut doc = kakehashi_pdf::Document::new(&font, "別の書類");
    doc.page().text(25.0, 40.0, 14.0, "お薬手帳 1 ページ");
    let other = synth::rasterise(&doc.finish().unwrap(), 200).unwrap();
    let pdf = synth::image_pdf(&[pages[0].clone(), other[0].clone()], 200, 85).unwrap();
    let converted = convert(&pdf).unwrap();
    assert_eq!(converted.len(), 1);
    assert_eq!(
        findings_of(&converted[0], "scan.unreadable_page"),
        [("", Some(2))]
    );
    let Record::Sheet(sheet) = &converted[0].record else {
        panic!("not a sheet")
    };
    assert_eq!(sheet.disease.number, Some(49));
    for r in &converted[0].readings {
        let on_page_2 = template
            .zones
            .iter()
            .any(|z| z.target() == r.target && z.page == 2);
        assert_eq!(
            r.review.contains(&"scan.unreadable_page".to_owned()),
            on_page_2,
            "{}",
            r.target
        );
        assert!(r.image_png.starts_with(b"\x89PNG"));
    }
    // Nothing readable at all is still refused.
    let pdf = synth::image_pdf(&other, 200, 85).unwrap();
    assert_eq!(convert(&pdf).unwrap_err().code, "scan.unknown_form");
}

#[test]
fn a_disease_number_that_disagrees_with_the_written_name_is_an_error_and_both_go_to_review() {
    // 49 misread as 19 is what the check used to let through with a warning.
    let mut form = synth::example_form();
    form.insert("disease.number".into(), "19".into());
    let printed = synth::print(&template(), &[form], &font()).unwrap();
    let pages = synth::rasterise(&printed, 200).unwrap();
    let converted = convert(&synth::image_pdf(&pages, 200, 85).unwrap()).unwrap();
    let mismatch: Vec<_> = converted[0]
        .findings
        .iter()
        .filter(|f| f.code == "scan.disease_mismatch")
        .collect();
    assert_eq!(mismatch.len(), 1, "{:?}", converted[0].findings);
    assert_eq!(mismatch[0].severity, kakehashi_sdk::Severity::Error);
    assert!(
        mismatch[0].message.contains("49"),
        "{}",
        mismatch[0].message
    );
    for target in ["disease.number", "disease.name"] {
        let r = converted[0]
            .readings
            .iter()
            .find(|r| r.target == target)
            .unwrap();
        assert!(
            r.review.contains(&"scan.disease_mismatch".to_owned()),
            "{target}: {:?}",
            r.review
        );
    }
}

/// A one-page PDF around a raw image XObject stream.
fn image_pdf_with(dict: lopdf::Dictionary, content: Vec<u8>) -> Vec<u8> {
    let mut doc = lopdf::Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let image = doc.add_object(Stream::new(dict, content));
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        "Resources" => dictionary! { "XObject" => dictionary! { "Im0" => image } },
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 },
        ),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

fn zlib(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn bad_input_gets_a_clear_error_within_bounds() {
    let e = convert(b"PK\x03\x04 this is a zip").unwrap_err();
    assert_eq!(e.code, "scan.not_pdf");

    // An image that declares 100×100 grey pixels but inflates to 64 MiB: stopped at byte
    // 10 001, long before the memory is spent.
    let bomb = zlib(&vec![0u8; 64 << 20]);
    assert!(bomb.len() < 100_000);
    let started = std::time::Instant::now();
    let pdf = image_pdf_with(
        dictionary! { "Type" => "XObject", "Subtype" => "Image", "Width" => 100, "Height" => 100,
        "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8, "Filter" => "FlateDecode" },
        bomb,
    );
    let e = convert(&pdf).unwrap_err();
    assert_eq!(e.code, "scan.image_too_large", "{}", e.message);
    assert!(started.elapsed().as_secs() < 5);

    // An image that declares a size beyond the limits is refused before it is decoded.
    let pdf = image_pdf_with(
        dictionary! { "Type" => "XObject", "Subtype" => "Image", "Width" => 100_000, "Height" => 100_000,
        "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8, "Filter" => "FlateDecode" },
        zlib(&[0u8; 16]),
    );
    let e = convert(&pdf).unwrap_err();
    assert_eq!(e.code, "scan.image_too_large");
    assert!(e.message.contains("100000×100000"), "{}", e.message);

    // A JPEG whose own header claims more than the dictionary says.
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut jpeg)
        .encode_image(&image::GrayImage::new(400, 400))
        .unwrap();
    let pdf = image_pdf_with(
        dictionary! { "Type" => "XObject", "Subtype" => "Image", "Width" => 40, "Height" => 40,
        "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8, "Filter" => "DCTDecode" },
        jpeg,
    );
    assert_eq!(convert(&pdf).unwrap_err().code, "scan.malformed_image");

    // CCITT fax images (bilevel office scanners) are refused, saying what to do instead.
    let pdf = image_pdf_with(
        dictionary! { "Type" => "XObject", "Subtype" => "Image", "Width" => 1700, "Height" => 2338,
        "ColorSpace" => "DeviceGray", "BitsPerComponent" => 1, "Filter" => "CCITTFaxDecode" },
        vec![0u8; 64],
    );
    let e = convert(&pdf).unwrap_err();
    assert_eq!(e.code, "scan.unsupported_image");
    assert!(
        e.message.contains("CCITT") && e.message.contains("JPEG"),
        "{}",
        e.message
    );

    // A real scan, encrypted with a user password.
    let scan = synth::image_pdf(&[image::GrayImage::new(50, 50)], 200, 80).unwrap();
    let mut doc = lopdf::Document::load_mem(&scan).unwrap();
    doc.trailer.set(
        "ID",
        vec![
            Object::string_literal(b"0123456789abcdef".to_vec()),
            Object::string_literal(b"0123456789abcdef".to_vec()),
        ],
    );
    let state = lopdf::EncryptionState::try_from(lopdf::EncryptionVersion::V2 {
        document: &doc,
        owner_password: "owner",
        user_password: "user",
        key_length: 128,
        permissions: lopdf::Permissions::default(),
    })
    .unwrap();
    doc.encrypt(&state).unwrap();
    let mut encrypted = Vec::new();
    doc.save_to(&mut encrypted).unwrap();
    let e = convert(&encrypted).unwrap_err();
    assert_eq!(e.code, "scan.encrypted_pdf", "{}", e.message);

    // A broken cross-reference table: the offsets point nowhere. Either the reader rebuilds
    // it and the page is read (here: an image of no known form), or the file is refused as
    // malformed — never a panic.
    let xref = scan.windows(4).rposition(|w| w == b"xref").unwrap();
    let mut broken = scan[..xref].to_vec();
    broken.extend_from_slice(b"xref\n0 9\n0000000000 65535 f \n9999999999 00000 n \ntrailer\n<< /Size 9 /Root 77 0 R >>\nstartxref\n999999\n%%EOF\n");
    let e = convert(&broken).unwrap_err();
    assert!(
        ["scan.malformed_pdf", "scan.unknown_form"].contains(&e.code),
        "{}: {}",
        e.code,
        e.message
    );
    // Truncated in the middle of the image.
    let e = convert(&scan[..scan.len() / 2]).unwrap_err();
    assert!(e.code.starts_with("scan."), "{}", e.code);

    // Too many pages.
    let many: Vec<_> = (0..41).map(|_| image::GrayImage::new(10, 10)).collect();
    let e = convert(&synth::image_pdf(&many, 200, 50).unwrap()).unwrap_err();
    assert_eq!(e.code, "scan.too_many_pages");
}

#[test]
fn the_memory_bound_follows_the_declared_page_images_that_decoding_holds_to() {
    use kakehashi_adapter_scan::{Limits, memory_bound, page_images};
    use kakehashi_sdk::{Adapter, Input};
    let limits = Limits::default();
    // Two pages of 1700×2400 and 800×600: the file, both pages held, the larger decoding.
    let pages = [
        image::GrayImage::new(1700, 2400),
        image::GrayImage::new(800, 600),
    ];
    let pdf = synth::image_pdf(&pages, 200, 80).unwrap();
    let decoded: Vec<u64> = page_images(&pdf, &limits)
        .unwrap()
        .iter()
        .map(|p| u64::from(p.image.width()) * u64::from(p.image.height()))
        .collect();
    assert_eq!(decoded, [1700 * 2400, 800 * 600]);
    let expected = pdf.len() as u64 * 4 + (1700 * 2400 + 800 * 600) * 2 + 1700 * 2400 * 4;
    assert_eq!(memory_bound(&pdf, &limits), expected);
    let input = Input {
        bytes: &pdf,
        content_type: Some("application/pdf"),
        sha256: "",
    };
    assert_eq!(TestCatalog::adapter().memory_bound(&input), expected);
    // A tiny file declaring a page at the pixel limit is bounded by what it declares (and
    // decoding stops at that size); one beyond the limits, or no PDF, costs nothing: reading
    // it is refused before anything is decoded.
    let declares = |w: i64, h: i64| {
        image_pdf_with(
            dictionary! { "Type" => "XObject", "Subtype" => "Image", "Width" => w, "Height" => h,
            "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8, "Filter" => "FlateDecode" },
            zlib(&[0u8; 16]),
        )
    };
    let at_limit = declares(8000, 5000);
    assert_eq!(
        memory_bound(&at_limit, &limits),
        at_limit.len() as u64 * 4 + 40_000_000 * 6
    );
    let beyond = declares(100_000, 100_000);
    assert_eq!(memory_bound(&beyond, &limits), beyond.len() as u64 * 4);
    assert_eq!(memory_bound(b"PK\x03\x04", &limits), 0);
}

#[test]
fn every_template_in_mappings_is_valid() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../mappings/scan");
    let mut seen = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let t: FormTemplate = toml::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        t.validate(&name).unwrap();
        assert!(
            seen.insert(t.form_code.clone(), name).is_none(),
            "two templates print form code {}",
            t.form_code
        );
    }
    assert!(!seen.is_empty());
}
