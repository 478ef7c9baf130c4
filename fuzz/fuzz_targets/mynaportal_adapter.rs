//! Any bytes through the Mynaportal adapter: as a whole download (the archive guards, entry
//! names, inflation limits), or — when the first byte is odd — as the application XML of an
//! otherwise well-formed download (the decoder, the XML reader, the mapping's paths and the
//! attachment lookup). Must return applications or a located error, never panic.
#![no_main]

use std::io::{Cursor, Write};
use std::sync::LazyLock;

use kakehashi_core::catalog::Catalog;
use kakehashi_adapter_mynaportal::MynaportalAdapter;
use kakehashi_sdk::{Adapter, Input, MappingContext};
use libfuzzer_sys::fuzz_target;
use zip::write::SimpleFileOptions;

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| Catalog::load(None).expect("built-in catalog"));

/// A download holding `xml` as one application and a small PDF beside it.
fn download(xml: &[u8]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in [("x/申請書.xml", xml), ("x/rinsho.pdf", b"%PDF-1.4".as_slice())] {
        writer.start_file(name, options).expect("a new entry");
        writer.write_all(bytes).expect("bytes in memory");
    }
    writer.finish().expect("an archive in memory").into_inner()
}

fuzz_target!(|data: &[u8]| {
    let (selector, rest) = data.split_first().unwrap_or((&0, data));
    let bytes = if selector & 1 == 1 { download(rest) } else { rest.to_vec() };
    let input = Input { bytes: &bytes, content_type: Some("application/zip"), sha256: "fuzz" };
    let context = MappingContext {
        diseases: &CATALOG.diseases,
        templates: &CATALOG.templates,
        mappings: &CATALOG.mappings,
        mapping: Some("pittari-nanbyo"),
    };
    let _ = MynaportalAdapter::default().convert(&input, &context);
});
