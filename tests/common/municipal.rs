//! What the municipal side receives, made for tests: a Mynaportal download carrying a real
//! access key, a back office's decision file, and a scanned paper sheet.

use std::io::{Cursor, Read, Write};
use std::path::Path;

use kakehashi_adapter_scan::FormTemplate;
use kakehashi_adapter_scan::synth::{self, Filled, Scanner};
use kakehashi_pdf::{DEFAULT_FONT_PATH, Font};

/// The sample download's application that carries an access key, and the 受付番号 city-a.csv's
/// first decision names.
pub const RECEIPT: &str = "241010089569116";
/// The sample's synthetic key, replaced by the real one.
pub const SAMPLE_KEY: &str = "CN4X-CVS2-52G1-EP90-673D";

/// A file of the repository.
pub fn repo_file(path: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// The sample Mynaportal download with `access_key` in the first application's form — the
/// key the applicant typed into the e-application.
pub fn download_with_key(access_key: &str) -> Vec<u8> {
    let sample = repo_file("conformance/corpus/mynaportal/sample-download.zip");
    let mut archive = zip::ZipArchive::new(Cursor::new(sample)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let mut replaced = 0;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().unwrap().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        if name == format!("{RECEIPT}/申請書.xml") {
            let text = String::from_utf8(bytes).unwrap();
            assert!(text.contains(SAMPLE_KEY), "{text}");
            bytes = text.replace(SAMPLE_KEY, access_key).into_bytes();
            replaced += 1;
        }
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        out.start_file(name, options).unwrap();
        out.write_all(&bytes).unwrap();
    }
    assert_eq!(replaced, 1);
    out.finish().unwrap().into_inner()
}

/// A decision file in city-a's layout (CP932 CSV): the header and the sample's records at
/// `lines` (2 is the first record), with the first occurrence of each ASCII `from` in a
/// record replaced by `to` (the same length).
pub fn decision_file(lines: &[usize], edits: &[(&str, &str)]) -> Vec<u8> {
    let sample = repo_file("conformance/corpus/municipal/city-a.csv");
    let records: Vec<&[u8]> = sample
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect();
    let mut out = Vec::new();
    for line in std::iter::once(1).chain(lines.iter().copied()) {
        let mut record = records[line - 1].to_vec();
        for (from, to) in edits {
            assert_eq!(from.len(), to.len());
            if let Some(at) = record
                .windows(from.len())
                .position(|w| w == from.as_bytes())
            {
                record[at..at + to.len()].copy_from_slice(to.as_bytes());
            }
        }
        out.extend_from_slice(&record);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// A paper 臨個票 as written (seed 003's example form), its 受給者番号 with a wrong check digit
/// (the right one ends in 6): the municipality, which issued it, corrects it in review.
pub fn paper() -> Filled {
    let mut form = synth::example_form();
    form.insert("clinical.ventilator".into(), "なし".into());
    form
}

/// `forms` printed on the 臨個票 form and scanned, as one PDF.
pub fn scan(forms: &[Filled]) -> Vec<u8> {
    let template: FormTemplate =
        toml::from_str(include_str!("../../mappings/scan/rinkohyo-2403.toml")).unwrap();
    let font = Font::load(Path::new(DEFAULT_FONT_PATH)).unwrap();
    synth::scanned_pdf(&template, forms, &font, &Scanner::default()).unwrap()
}
