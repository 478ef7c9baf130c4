//! Large Bundles made of the public Synthea patients, for the memory and size tests: the
//! entries of every patient Bundle in `synthea-r4/` of the public FHIR corpus, copied as written
//! until the document has the size asked for. Each copy's `urn:uuid:` references are made its
//! own (a prefix per copy), so a copy is another patient whose resources point at one another.
//! The text is assembled without parsing, so making it costs no more memory than its size.

use std::fmt::Write;
use std::path::Path;

/// The entries of each Synthea patient Bundle, as written (the text between `"entry": [` and
/// the array's closing `]`).
fn patient_entries() -> Vec<String> {
    // The public corpus where scripts/test.sh says (a checkout anywhere), else beside the
    // project's folder.
    let corpus = std::env::var_os("KAKEHASHI_FHIR_CORPUS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/fhir"),
        std::path::PathBuf::from,
    );
    let dir = corpus.join("synthea-r4");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            // hospitalInformation… and practitionerInformation… have no patient.
            p.file_name().unwrap().to_string_lossy().contains('_')
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let start = text.find("\"entry\": [").expect("a Bundle with entries") + 10;
            let end = text.rfind(']').expect("the entries end");
            text[start..end].trim().to_owned()
        })
        .collect()
}

/// A transaction Bundle of Synthea patients (one at least), `size` bytes or a little more, pretty-printed as
/// Synthea writes it.
pub fn synthea_bundle(size: usize) -> Vec<u8> {
    let patients = patient_entries();
    let mut out =
        String::with_capacity(size + patients.iter().map(String::len).max().unwrap_or(0) * 2);
    out.push_str(
        "{\n    \"resourceType\": \"Bundle\",\n    \"type\": \"transaction\",\n    \"entry\": [\n",
    );
    let mut copy = 0usize;
    while copy == 0 || out.len() < size {
        let entries = &patients[copy % patients.len()];
        if copy > 0 {
            out.push_str(",\n");
        }
        let prefix = format!("urn:uuid:{copy:x}");
        let mut rest = entries.as_str();
        while let Some(at) = rest.find("urn:uuid:") {
            out.push_str(&rest[..at]);
            out.push_str(&prefix);
            rest = &rest[at + 9..];
        }
        out.push_str(rest);
        copy += 1;
    }
    write!(out, "\n    ]\n}}\n").unwrap();
    out.into_bytes()
}
