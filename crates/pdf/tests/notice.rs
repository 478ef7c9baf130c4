//! End-to-end checks on real PDFs made with IPAex Gothic: poppler's `pdftotext` must return the
//! Japanese text exactly, lopdf must read the file back, the font must be subset, and odd input
//! must behave as documented.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use kakehashi_pdf::{DEFAULT_FONT_PATH, Document, Font, PdfError};

const TITLE: &str = "指定医 交付通知書";
const INSTITUTION: &str = "東京中央病院";
const NAME: &str = "山田 太郎";
const KANA: &str = "ヤマダ タロウ";
const LOGIN: &str = "DR-0012345";
const PASSWORD: &str = "Xk7#pQ2m";
const ISSUED: &str = "2025年4月1日";

fn font() -> &'static Font {
    static FONT: OnceLock<Font> = OnceLock::new();
    FONT.get_or_init(|| match Font::load(Path::new(DEFAULT_FONT_PATH)) {
        Ok(font) => font,
        Err(err) => panic!("{err}"),
    })
}

/// Page 1 is a notice for one doctor; page 2 a continuation with wrapped text.
fn two_page_notice() -> Vec<u8> {
    let mut doc = Document::new(font(), TITLE);
    let page = doc.page();
    page.text(20.0, 20.0, 18.0, TITLE);
    page.line(20.0, 30.0, 190.0, 30.0, 0.8);
    page.text(20.0, 40.0, 11.0, INSTITUTION);
    page.rect(20.0, 50.0, 170.0, 30.0, false);
    page.text(25.0, 55.0, 11.0, NAME);
    page.text(100.0, 55.0, 11.0, KANA);
    page.text(25.0, 65.0, 11.0, LOGIN);
    page.text(100.0, 65.0, 11.0, PASSWORD);
    page.rect(20.0, 85.0, 3.0, 3.0, true);
    page.text(25.0, 85.0, 9.0, ISSUED);
    let page = doc.page();
    page.text(20.0, 20.0, 12.0, INSTITUTION);
    page.wrapped_text(
        20.0,
        30.0,
        80.0,
        10.5,
        16.0,
        "初回ログイン後、直ちにパスワードを変更してください。This notice is confidential.",
    );
    match doc.finish() {
        Ok(pdf) => pdf,
        Err(err) => panic!("{err}"),
    }
}

/// The text poppler extracts, or `None` (with a note) where poppler-utils is not installed.
fn pdftotext(pdf: &[u8], name: &str) -> Option<String> {
    let path =
        std::env::temp_dir().join(format!("kakehashi-pdf-{}-{name}.pdf", std::process::id()));
    std::fs::write(&path, pdf).unwrap();
    let output = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output();
    std::fs::remove_file(&path).unwrap();
    match output {
        Ok(output) => {
            assert!(
                output.status.success(),
                "pdftotext failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            Some(String::from_utf8(output.stdout).unwrap())
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            println!("note: pdftotext not installed (Debian: poppler-utils); text not checked");
            None
        }
        Err(err) => panic!("running pdftotext: {err}"),
    }
}

#[test]
fn pdftotext_extracts_the_japanese_text_exactly() {
    let Some(text) = pdftotext(&two_page_notice(), "extract") else {
        return;
    };
    let pages: Vec<&str> = text.split('\u{c}').collect();
    for expected in [TITLE, INSTITUTION, NAME, KANA, LOGIN, PASSWORD, ISSUED] {
        assert!(
            pages[0].lines().any(|line| line.trim() == expected),
            "{expected:?} not a line of page 1: {:?}",
            pages[0]
        );
    }
    let page2: String = pages[1].lines().map(str::trim).collect();
    assert!(page2.starts_with(INSTITUTION), "{page2:?}");
    assert!(
        page2.contains("初回ログイン後、直ちにパスワードを変更してください。"),
        "{page2:?}"
    );
    assert!(page2.contains("This notice"), "{page2:?}");
}

#[test]
fn lopdf_reads_back_two_pages_with_a_subset_type0_font() {
    let pdf = lopdf::Document::load_mem(&two_page_notice()).unwrap();
    assert_eq!(pdf.get_pages().len(), 2);

    let info = pdf
        .trailer
        .get(b"Info")
        .and_then(|info| pdf.dereference(info))
        .and_then(|(_, info)| info.as_dict())
        .unwrap();
    let title = info.get(b"Title").and_then(lopdf::decode_text_string);
    assert_eq!(title.unwrap(), TITLE);
    assert_eq!(
        info.get(b"Producer").unwrap().as_str().unwrap(),
        b"Kakehashi"
    );
    assert!(info.has(b"CreationDate"));

    let type0 = pdf
        .objects
        .values()
        .filter_map(|object| object.as_dict().ok())
        .find(|dict| dict.get(b"Subtype").and_then(|s| s.as_name()).ok() == Some(b"Type0"))
        .unwrap();
    assert_eq!(
        type0.get(b"Encoding").unwrap().as_name().unwrap(),
        b"Identity-H"
    );
    assert!(type0.has(b"ToUnicode"));
    let base_font = type0.get(b"BaseFont").unwrap().as_name().unwrap();
    assert_eq!(
        &base_font[6..],
        b"+IPAexGothic",
        "subset tag + PostScript name"
    );

    assert_eq!(
        pdf.extract_text(&[1]).unwrap().lines().next(),
        Some(TITLE),
        "lopdf reads the text through ToUnicode too"
    );
}

#[test]
fn a_one_page_notice_is_far_smaller_than_the_font() {
    let mut doc = Document::new(font(), TITLE);
    let page = doc.page();
    page.text(20.0, 20.0, 18.0, TITLE);
    page.text(20.0, 40.0, 11.0, INSTITUTION);
    page.text(25.0, 55.0, 11.0, NAME);
    page.text(100.0, 55.0, 11.0, KANA);
    page.text(25.0, 65.0, 11.0, &format!("{LOGIN} {PASSWORD} {ISSUED}"));
    let pdf = doc.finish().unwrap();
    let font_size = std::fs::metadata(DEFAULT_FONT_PATH).unwrap().len();
    assert!(font_size > 4_000_000, "source font is {font_size} bytes");
    assert!(
        pdf.len() < 200_000,
        "one-page notice is {} bytes",
        pdf.len()
    );
}

#[test]
fn empty_and_space_only_text_draw_nothing_and_succeed() {
    let mut doc = Document::new(font(), "");
    let page = doc.page();
    page.text(20.0, 20.0, 11.0, "");
    page.text(20.0, 30.0, 11.0, "   ");
    page.text(20.0, 40.0, 11.0, "\u{3000}");
    assert_eq!(page.wrapped_text(20.0, 50.0, 100.0, 11.0, 16.0, ""), 50.0);
    let after_spaces = page.wrapped_text(20.0, 50.0, 100.0, 11.0, 16.0, "  ");
    assert!((after_spaces - (50.0 + 16.0 / kakehashi_pdf::PT_PER_MM)).abs() < 1e-3);
    let pdf = doc.finish().unwrap();
    if let Some(text) = pdftotext(&pdf, "blank") {
        assert!(text.trim().is_empty(), "{text:?}");
    }
}

#[test]
fn characters_the_font_lacks_fail_the_document_and_are_all_named() {
    let text = "山田😀太郎\t🏥";
    assert_eq!(font().missing_chars(text), ['😀', '\t', '🏥']);

    let mut doc = Document::new(font(), TITLE);
    let page = doc.page();
    page.text(20.0, 20.0, 11.0, text);
    doc.page()
        .wrapped_text(20.0, 20.0, 50.0, 11.0, 16.0, "改行\nは可、絵文字🙂は不可");
    match doc.finish() {
        Err(PdfError::MissingGlyphs { path, chars }) => {
            assert_eq!(path, Path::new(DEFAULT_FONT_PATH));
            assert_eq!(
                chars,
                ['\t', '🏥', '😀', '🙂'],
                "all of them, by code point"
            );
        }
        other => panic!("expected MissingGlyphs, got {other:?}"),
    }
}

#[test]
fn wrapped_text_returns_the_y_below_its_last_line() {
    let mut doc = Document::new(font(), TITLE);
    let page = doc.page();
    // 10 pt full-width characters are 10 pt wide; 100 pt holds ten of them.
    let width_mm = 100.0 / kakehashi_pdf::PT_PER_MM;
    let y = page.wrapped_text(10.0, 10.0, width_mm, 10.0, 20.0, &"難病".repeat(12));
    let line_mm = 20.0 / kakehashi_pdf::PT_PER_MM;
    assert!(
        (y - (10.0 + 3.0 * line_mm)).abs() < 1e-3,
        "three lines, got y = {y}"
    );
    let pdf = doc.finish().unwrap();
    if let Some(text) = pdftotext(&pdf, "wrap") {
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(
            lines,
            ["難病難病難病難病難病", "難病難病難病難病難病", "難病難病"]
        );
    }
}

#[test]
fn text_width_uses_the_font_advances() {
    let font = font();
    assert_eq!(
        font.text_width("指定医", 10.0),
        30.0,
        "kanji are one em wide"
    );
    let latin = font.text_width("il", 10.0);
    assert!(
        latin > 0.0 && latin < 10.0,
        "Latin is proportional: {latin}"
    );
    assert_eq!(font.text_width("", 10.0), 0.0);
    assert_eq!(
        font.text_width("😀", 10.0),
        0.0,
        "missing characters are not drawn"
    );
}

#[test]
fn a_missing_font_file_names_the_debian_package() {
    let err = Font::load(Path::new("/nonexistent/ipaexg.ttf")).unwrap_err();
    assert!(matches!(err, PdfError::FontNotFound { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("/nonexistent/ipaexg.ttf"), "{message}");
    assert!(message.contains("fonts-ipaexfont-gothic"), "{message}");
}

#[test]
fn a_file_that_is_no_font_is_refused_with_its_path() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let err = Font::load(&path).unwrap_err();
    assert!(matches!(err, PdfError::FontParse { .. }), "{err:?}");
    assert!(err.to_string().contains("Cargo.toml"), "{err}");
}

#[test]
fn a_document_without_pages_or_with_nan_is_refused() {
    assert!(matches!(
        Document::new(font(), TITLE).finish(),
        Err(PdfError::NoPages)
    ));
    let mut doc = Document::new(font(), TITLE);
    doc.page().text(10.0, 10.0, 11.0, "一");
    doc.page().line(f32::NAN, 0.0, 10.0, 10.0, 1.0);
    assert!(matches!(
        doc.finish(),
        Err(PdfError::NonFiniteNumber { page: 2 })
    ));
}

#[test]
fn pages_without_text_and_control_characters_behave_as_documented() {
    assert_eq!(
        font().missing_chars("a\nb\r"),
        ['\n', '\r'],
        "text() is one line"
    );
    let mut doc = Document::new(font(), TITLE);
    doc.page().rect(10.0, 10.0, 50.0, 20.0, false);
    doc.page().line(10.0, 10.0, 100.0, 10.0, 2.0);
    let pdf = lopdf::Document::load_mem(&doc.finish().unwrap()).unwrap();
    assert_eq!(pdf.get_pages().len(), 2);
}
