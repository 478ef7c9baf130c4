//! Every guard of the Mynaportal adapter against a crafted archive: each must refuse with its
//! own code and name the entry (and, inside XML, the line and element), never panic. The
//! shipped sample is read whole: four applications, Shift_JIS included, attachments hashed and
//! the paper sheet marked.

use std::io::{Cursor, Write};

use kakehashi_adapter_mynaportal::{Limits, MynaportalAdapter};
use kakehashi_sdk::{
    Adapter, AdapterError, Application, ApplicationStatus, AttachmentRole, DiseaseRegistry, Input,
    MappingContext, MappingFiles, Record, TemplateSet,
};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

const MAPPING: &str = include_str!("../../../mappings/mynaportal/pittari-nanbyo.toml");
const SAMPLE: &[u8] = include_bytes!("../../../conformance/corpus/mynaportal/sample-download.zip");

const FORM: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<申請データ>\n  <受付情報>\n    <受付番号>241010089569116</受付番号>\n    <処理状況>提出済</処理状況>\n  </受付情報>\n  <添付書類>\n    <添付ファイル>\n      <書類名>臨床調査個人票</書類名>\n      <ファイル名>a.pdf</ファイル名>\n    </添付ファイル>\n  </添付書類>\n</申請データ>\n";

fn zip(entries: &[(&str, &[u8])], method: CompressionMethod) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(method);
    for (name, bytes) in entries {
        writer.start_file(*name, options).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

fn read_with(bytes: &[u8], limits: Limits) -> Result<Vec<Application>, AdapterError> {
    let mut mappings = MappingFiles::default();
    mappings.insert("mynaportal", "pittari-nanbyo", "test", MAPPING.to_owned());
    let diseases = DiseaseRegistry::default();
    let templates = TemplateSet::default();
    let context = MappingContext {
        diseases: &diseases,
        templates: &templates,
        mappings: &mappings,
        mapping: None,
    };
    let input = Input {
        bytes,
        content_type: Some("application/zip"),
        sha256: "00",
    };
    let adapter = MynaportalAdapter { limits };
    assert!(adapter.sniff(&input));
    Ok(adapter
        .convert(&input, &context)?
        .into_iter()
        .map(|c| match c.record {
            Record::Application(a) => *a,
            other => panic!("not an application: {other:?}"),
        })
        .collect())
}

fn read(bytes: &[u8]) -> Result<Vec<Application>, AdapterError> {
    read_with(bytes, Limits::default())
}

fn refused(bytes: &[u8], limits: Limits, code: &str) -> AdapterError {
    let err = read_with(bytes, limits).expect_err("refused");
    assert_eq!(err.code, code, "{}", err.message);
    assert!(!err.message_ja.is_empty());
    err
}

fn entry_of(err: &AdapterError) -> Option<&str> {
    err.location.as_ref().and_then(|l| l.entry.as_deref())
}

#[test]
fn the_sample_download_reads_whole() {
    let apps = read(SAMPLE).unwrap();
    let receipts: Vec<_> = apps
        .iter()
        .map(|a| a.receipt_number.as_deref().unwrap())
        .collect();
    assert_eq!(
        receipts,
        [
            "241010089569116",
            "241010089569207",
            "241010089569355",
            "241011089570012"
        ]
    );
    assert_eq!(
        apps[0].access_key.as_deref(),
        Some("CN4X-CVS2-52G1-EP90-673D")
    );
    // Declared and encoded Shift_JIS, with 髙 and ①.
    assert_eq!(apps[1].patient.name.as_deref(), Some("髙野 花子"));
    assert!(apps[1].patient.address.as_deref().unwrap().contains('①'));
    assert_eq!(apps[1].status, Some(ApplicationStatus::Processing));
    let paper = &apps[2].attachments;
    assert_eq!(paper.len(), 2);
    assert_eq!(
        (paper[0].role, paper[0].media_type.as_str()),
        (AttachmentRole::PaperSheet, "application/pdf")
    );
    assert_eq!(
        (paper[1].role, paper[1].media_type.as_str()),
        (AttachmentRole::Other, "image/jpeg")
    );
    assert_eq!(paper[0].sha256.len(), 64);
    // 和暦 read by the SDK's parser.
    assert_eq!(
        apps[3].patient.date_of_birth,
        chrono::NaiveDate::from_ymd_opt(2005, 6, 3)
    );
    let at = &apps[3].provenance.fields["patient.date_of_birth"];
    assert_eq!(at.entry.as_deref(), Some("241011089570012/申請書.xml"));
    assert!(at.line.is_some());
}

#[test]
fn a_truncated_archive_is_refused() {
    let err = refused(
        &SAMPLE[..SAMPLE.len() / 2],
        Limits::default(),
        "mynaportal.archive",
    );
    assert!(err.message.contains("truncated"), "{}", err.message);
}

#[test]
fn traversal_names_are_refused() {
    for name in [
        "../evil.xml",
        "a/../../evil.xml",
        "/etc/passwd",
        "C:/Windows/evil.xml",
        "a\\..\\evil.xml",
        "a//b.xml",
    ] {
        let bytes = zip(
            &[("a.xml", FORM.as_bytes()), (name, b"x")],
            CompressionMethod::Stored,
        );
        let err = refused(&bytes, Limits::default(), "mynaportal.path_traversal");
        assert_eq!(entry_of(&err), Some(name));
    }
}

#[test]
fn duplicate_names_are_refused_ignoring_case() {
    let bytes = zip(
        &[
            ("a.xml", FORM.as_bytes()),
            ("a.pdf", b"%PDF-"),
            ("A.PDF", b"%PDF-"),
        ],
        CompressionMethod::Stored,
    );
    let err = refused(&bytes, Limits::default(), "mynaportal.duplicate_entry");
    assert_eq!(entry_of(&err), Some("A.PDF"));
    // The same name twice (a writer refuses, so rename an entry in the raw bytes).
    let bytes = zip(
        &[("a.xml", FORM.as_bytes()), ("b.xml", b"<x/>")],
        CompressionMethod::Stored,
    );
    let mut patched = bytes.clone();
    for (i, w) in bytes.windows(5).enumerate() {
        if w == b"b.xml" {
            patched[i] = b'a';
        }
    }
    refused(&patched, Limits::default(), "mynaportal.duplicate_entry");
}

#[test]
fn a_zip_bomb_is_refused_while_inflating() {
    let zeros = vec![0u8; 8 * 1024 * 1024];
    let bytes = zip(
        &[("a.xml", FORM.as_bytes()), ("a.pdf", &zeros)],
        CompressionMethod::Deflated,
    );
    assert!(bytes.len() < 100_000);
    let err = refused(&bytes, Limits::default(), "mynaportal.bomb");
    assert_eq!(entry_of(&err), Some("a.pdf"));
}

#[test]
fn oversized_entries_and_applications_are_refused() {
    let limits = Limits {
        max_entry_bytes: 4096,
        max_application_bytes: 6000,
        ..Limits::default()
    };
    // Incompressible bytes, so the ratio guard stays quiet and the size guard speaks.
    let noise: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let bytes = zip(
        &[("a.xml", FORM.as_bytes()), ("a.pdf", &noise)],
        CompressionMethod::Deflated,
    );
    let err = refused(&bytes, limits, "mynaportal.too_large");
    assert_eq!(entry_of(&err), Some("a.pdf"));
    // Each file fits, the application with its attachment does not.
    let limits = Limits {
        max_entry_bytes: 8192,
        max_application_bytes: 3000,
        ..Limits::default()
    };
    let err = refused(&bytes, limits, "mynaportal.too_large");
    assert!(err.message.contains("per application"), "{}", err.message);
    // The whole download has a ceiling too.
    let limits = Limits {
        max_total_bytes: 4000,
        ..Limits::default()
    };
    refused(&bytes, limits, "mynaportal.too_large");
}

#[test]
fn too_many_entries_are_refused() {
    let bytes = zip(
        &[
            ("a.xml", FORM.as_bytes()),
            ("a.pdf", b"%PDF-"),
            ("b", b""),
            ("c", b""),
        ],
        CompressionMethod::Stored,
    );
    let limits = Limits {
        max_entries: 3,
        ..Limits::default()
    };
    refused(&bytes, limits, "mynaportal.too_many_entries");
}

#[test]
fn bad_xml_is_located_by_entry_line_and_element() {
    let broken = FORM.replace("</処理状況>", "</状況>");
    let bytes = zip(
        &[("x/a.xml", broken.as_bytes()), ("x/a.pdf", b"%PDF-")],
        CompressionMethod::Deflated,
    );
    let err = refused(&bytes, Limits::default(), "mynaportal.xml");
    let at = err.location.unwrap();
    assert_eq!(at.entry.as_deref(), Some("x/a.xml"));
    assert_eq!(at.line, Some(5));
    assert_eq!(at.element.as_deref(), Some("申請データ/受付情報/処理状況"));
}

#[test]
fn shift_jis_that_is_not_shift_jis_is_refused_with_its_line() {
    let declared = FORM.replace("UTF-8", "Shift_JIS");
    let mut bytes = declared.into_bytes();
    let at = bytes
        .windows(3)
        .position(|w| w == b"<\xE7\x94")
        .unwrap_or(60);
    bytes.splice(at..at, b"\x81\xFF".iter().copied());
    let bytes = zip(&[("a.xml", &bytes)], CompressionMethod::Stored);
    let err = refused(&bytes, Limits::default(), "mynaportal.encoding");
    assert_eq!(entry_of(&err), Some("a.xml"));
}

#[test]
fn receipt_numbers_must_be_fifteen_digits_and_unique() {
    let short = FORM.replace("241010089569116", "24101008956911");
    let bytes = zip(
        &[("a.xml", short.as_bytes()), ("a.pdf", b"%PDF-")],
        CompressionMethod::Stored,
    );
    let err = refused(&bytes, Limits::default(), "mynaportal.bad_receipt_number");
    let at = err.location.unwrap();
    assert_eq!(
        (at.line, at.element.as_deref()),
        (Some(4), Some("申請データ/受付情報/受付番号"))
    );
    let bytes = zip(
        &[
            ("a/a.xml", FORM.as_bytes()),
            ("a/a.pdf", b"%PDF-"),
            ("b/a.xml", FORM.as_bytes()),
            ("b/a.pdf", b"%PDF-"),
        ],
        CompressionMethod::Stored,
    );
    refused(
        &bytes,
        Limits::default(),
        "mynaportal.duplicate_receipt_number",
    );
}

#[test]
fn attachments_must_exist_and_every_entry_must_belong() {
    let bytes = zip(&[("a.xml", FORM.as_bytes())], CompressionMethod::Stored);
    let err = refused(&bytes, Limits::default(), "mynaportal.missing_attachment");
    assert_eq!(err.location.unwrap().line, Some(10));
    let bytes = zip(
        &[
            ("a.xml", FORM.as_bytes()),
            ("a.pdf", b"%PDF-"),
            ("stray.txt", b"?"),
        ],
        CompressionMethod::Stored,
    );
    let err = refused(&bytes, Limits::default(), "mynaportal.orphan_entry");
    assert_eq!(entry_of(&err), Some("stray.txt"));
    let traversing = FORM.replace("a.pdf", "../a.pdf");
    let bytes = zip(
        &[("x/a.xml", traversing.as_bytes())],
        CompressionMethod::Stored,
    );
    refused(&bytes, Limits::default(), "mynaportal.path_traversal");
    let bytes = zip(&[("readme.txt", b"hello")], CompressionMethod::Stored);
    refused(&bytes, Limits::default(), "mynaportal.empty");
}

#[test]
fn the_memory_bound_covers_what_a_download_may_hold_and_inflating_stops_at_the_cap() {
    const MIB: u64 = 1 << 20;
    let adapter = MynaportalAdapter::default();
    let input = |bytes| Input {
        bytes,
        content_type: Some("application/zip"),
        sha256: "",
    };
    // The sample: at least its files inflated, and not wildly more.
    let inflated: u64 = kakehashi_adapter_mynaportal::archive::read(SAMPLE, &adapter.limits)
        .unwrap()
        .iter()
        .map(|e| e.bytes.len() as u64)
        .sum();
    let bound = adapter.memory_bound(&input(SAMPLE));
    assert!(bound >= inflated, "{bound} < {inflated}");
    assert!(bound < 2 * MIB, "{bound}");
    // 250 entries of 1 MiB of zeros, each under the ratio floor: only the archive's cap
    // stops them, and the bound is that cap plus one entry's growth, not 250 MiB.
    let zeros = vec![0u8; MIB as usize];
    let names: Vec<String> = (0..250).map(|n| format!("x/{n:03}.pdf")).collect();
    let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &zeros[..])).collect();
    let bomb = zip(&entries, CompressionMethod::Deflated);
    let limits = Limits {
        max_total_bytes: 24 * MIB,
        ..Limits::default()
    };
    let capped = MynaportalAdapter { limits };
    assert_eq!(capped.memory_bound(&input(&bomb)), 25 * MIB);
    let err = refused(&bomb, limits, "mynaportal.too_large");
    assert_eq!(entry_of(&err), Some("x/024.pdf"));
    // Something that is not an archive costs nothing beyond its bytes: reading it fails.
    assert_eq!(adapter.memory_bound(&input(b"PK\x03\x04 broken")), 0);
}

#[test]
fn an_entry_that_inflates_beyond_its_declared_size_is_refused() {
    let noise: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let mut bytes = zip(
        &[("a.xml", FORM.as_bytes()), ("a.pdf", &noise)],
        CompressionMethod::Deflated,
    );
    // Declare 1000 bytes for a.pdf in the central directory, where sizes are read from: the
    // uncompressed size is at offset 24 of the entry's directory record.
    let record = bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"PK\x01\x02")
        .map(|(i, _)| i)
        .nth(1)
        .unwrap();
    bytes[record + 24..record + 28].copy_from_slice(&1000u32.to_le_bytes());
    let err = refused(&bytes, Limits::default(), "mynaportal.archive");
    assert_eq!(entry_of(&err), Some("a.pdf"));
}
