//! Any bytes through the Mynaportal adapter twice: as a whole download (the archive guards,
//! entry names, inflation limits), and as the application XML of an otherwise well-formed
//! download (the decoder, the XML reader, the mapping's paths and the attachment lookup). Must
//! return applications or a located error, never panic. Every input takes both paths, so the
//! seeds (fuzz/corpus/mynaportal_adapter/) are plain downloads and plain 申請書.xml files.
#![no_main]

use std::io::{Cursor, Write};
use std::sync::LazyLock;

use kakehashi_adapter_mynaportal::MynaportalAdapter;
use kakehashi_core::catalog::Catalog;
use kakehashi_sdk::{Adapter, Input, MappingContext};
use libfuzzer_sys::fuzz_target;
use zip::write::SimpleFileOptions;

static CATALOG: LazyLock<Catalog> =
    LazyLock::new(|| Catalog::load(None).expect("built-in catalog"));

/// A download holding `xml` as one application and a small PDF beside it.
fn download(xml: &[u8]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in [
        ("x/申請書.xml", xml),
        ("x/rinsho.pdf", b"%PDF-1.4".as_slice()),
    ] {
        writer.start_file(name, options).expect("a new entry");
        writer.write_all(bytes).expect("bytes in memory");
    }
    writer.finish().expect("an archive in memory").into_inner()
}

fuzz_target!(|data: &[u8]| {
    let context = MappingContext {
        diseases: &CATALOG.diseases,
        templates: &CATALOG.templates,
        mappings: &CATALOG.mappings,
        mapping: Some("pittari-nanbyo"),
    };
    for bytes in [data, &download(data)] {
        let input = Input {
            bytes,
            content_type: Some("application/zip"),
            sha256: "fuzz",
        };
        let _ = MynaportalAdapter::default().convert(&input, &context);
    }
});
