//! Every sheet of the conformance corpus, as the adapters read it: the public FHIR examples
//! (`../shared/testdata/fhir/`, or `KAKEHASHI_FHIR_CORPUS`), the kit's own FHIR cases, the
//! hospital CSV exports (whose sheets carry every header field a hospital fills, insurance and
//! 行政記載欄 included) and the registry's JSON Lines export. Shared by the adapter's round trip
//! (`adapters/fhir/tests/round_trip.rs`) and the R4 validation of the gateway's output
//! (`tests/fhir_r4.rs`); `root` is the repository's root.

use std::path::{Path, PathBuf};

use kakehashi_adapter_csv::CsvAdapter;
use kakehashi_adapter_fhir::FhirAdapter;
use kakehashi_adapter_jsonl::JsonlAdapter;
use kakehashi_sdk::{Adapter, Input, MappingContext, Record, Sheet};

/// One sheet of the corpus: the document it came from and its place among that document's
/// sheets.
pub struct CorpusSheet {
    pub path: PathBuf,
    pub index: usize,
    pub sheet: Sheet,
}

impl CorpusSheet {
    /// A UUID of its own, the same every run.
    pub fn uuid(&self) -> String {
        let name = format!("{}#{}", self.path.display(), self.index);
        uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, name.as_bytes()).to_string()
    }
}

/// The FHIR documents: the public examples and the kit's cases, sorted.
fn fhir_documents(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let shared = std::env::var_os("KAKEHASHI_FHIR_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/testdata/fhir"));
    for dir in [shared, root.join("conformance/fhir/cases")] {
        let mut stack = vec![dir];
        while let Some(dir) = stack.pop() {
            for entry in
                std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "json") {
                    files.push(path);
                }
            }
        }
    }
    files.sort();
    files
}

/// The sheets `adapter` reads from `bytes` with `context`, or `None` when it refuses them.
pub fn sheets_of(
    adapter: &dyn Adapter,
    bytes: &[u8],
    context: MappingContext<'_>,
) -> Option<Vec<Sheet>> {
    let input = Input {
        bytes,
        content_type: None,
        sha256: "",
    };
    let converted = adapter.convert(&input, &context).ok()?;
    Some(
        converted
            .into_iter()
            .filter_map(|c| match c.record {
                Record::Sheet(sheet) => Some(*sheet),
                _ => None,
            })
            .collect(),
    )
}

/// Every sheet of the corpus, documents the kit expects to be rejected left out.
pub fn sheets(root: &Path, context: MappingContext<'_>) -> Vec<CorpusSheet> {
    let kit = root.join("conformance/corpus");
    let documents = fhir_documents(root)
        .into_iter()
        .map(|p| (p, &FhirAdapter as &dyn Adapter, None))
        .chain(
            ["csv/hospital-a.csv", "csv/clinic-b.csv"]
                .map(|name| (kit.join(name), &CsvAdapter as &dyn Adapter, None)),
        )
        .chain([(
            kit.join("jsonl/registry-export.jsonl"),
            &JsonlAdapter as &dyn Adapter,
            Some("registry-export"),
        )]);
    let mut all = Vec::new();
    for (path, adapter, mapping) in documents {
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let context = MappingContext { mapping, ..context };
        let Some(sheets) = sheets_of(adapter, &bytes, context) else {
            continue;
        };
        all.extend(
            sheets
                .into_iter()
                .enumerate()
                .map(|(index, sheet)| CorpusSheet {
                    path: path.clone(),
                    index,
                    sheet,
                }),
        );
    }
    all
}
