//! The gateway's catalog as shipped in `mappings/`, for the adapter's tests and benchmarks
//! (the gateway itself builds it into the binary).

use std::path::Path;

use kakehashi_sdk::{DiseaseRegistry, MappingContext, MappingFiles, TemplateSet};

/// The gateway's built-in catalog as shipped in `mappings/`: the notified disease lists, the
/// disease templates, the FHIR code maps and the CSV and JSON Lines mappings, so Conditions bind and
/// Observations fill items as they do in the gateway.
pub fn catalog() -> Catalog {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../mappings");
    let read = |path: &str| std::fs::read_to_string(root.join(path)).unwrap();
    let mut diseases = DiseaseRegistry::default();
    let list = "reference/intractable_disease.csv";
    diseases.add_nanbyo_list(list, &read(list)).unwrap();
    let nando = "reference/nanbyo_designated_diseases_nando_2025-08-26.csv";
    diseases.add_nanbyo_nando(nando, &read(nando)).unwrap();
    let shoman = "reference/shoman_diseases_nando_2025-08-26_by_notification.csv";
    diseases.add_shoman_list(shoman, &read(shoman)).unwrap();
    let mut templates = TemplateSet::default();
    for entry in std::fs::read_dir(root.join("diseases")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let origin = path.display().to_string();
        templates.add(&origin, &text, Some(&diseases)).unwrap();
    }
    let mut mappings = MappingFiles::default();
    for category in ["fhir", "csv", "jsonl"] {
        for entry in std::fs::read_dir(root.join(category)).unwrap() {
            let path = entry.unwrap().path();
            let Some(name) = path.file_stem().and_then(|n| n.to_str()) else {
                continue;
            };
            let text = std::fs::read_to_string(&path).unwrap();
            mappings.insert(category, name, name, text);
        }
    }
    Catalog {
        diseases,
        templates,
        mappings,
    }
}

/// The shipped catalog, owned.
pub struct Catalog {
    pub diseases: DiseaseRegistry,
    pub templates: TemplateSet,
    pub mappings: MappingFiles,
}

impl Catalog {
    /// The catalog lent to an adapter, with no mapping named.
    pub fn context(&self) -> MappingContext<'_> {
        MappingContext {
            diseases: &self.diseases,
            templates: &self.templates,
            mappings: &self.mappings,
            mapping: None,
        }
    }
}
