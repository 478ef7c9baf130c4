//! The gateway's adapters: one registration each, with the kind of record it produces, who
//! sends its format, and its `[adapters.NAME]` section of `kakehashi.toml`. Everything else —
//! the pipeline, the handlers, the access rules, the CLI and the API description — asks the
//! registry this builds, so an adapter is added here and nowhere else (docs/ADAPTERS.md).

use std::collections::BTreeMap;
use std::time::Duration;

use kakehashi_adapter_csv::CsvAdapter;
use kakehashi_adapter_fhir::FhirAdapter;
use kakehashi_adapter_jsonl::JsonlAdapter;
use kakehashi_adapter_municipal::MunicipalAdapter;
use kakehashi_adapter_mynaportal::{Limits as DownloadLimits, MynaportalAdapter};
use kakehashi_adapter_scan::{ScanAdapter, ScanOptions};
use kakehashi_core::catalog::{Catalog, CatalogError};
use kakehashi_core::mapping_check::{MappingReport, check_catalog};
use kakehashi_core::registry::{AdapterRegistry, RegistrationError, Senders};
use kakehashi_sdk::RecordKind;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// `[adapters.NAME]`: one table per adapter, read by its registration. A section naming no
/// registered adapter is refused at start-up, as an unknown field is.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct AdapterSettings(BTreeMap<String, toml::Table>);

/// Why the adapters could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum AdapterSetupError {
    #[error(transparent)]
    Registration(#[from] RegistrationError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error("{}", problems_text(.0))]
    Mappings(Vec<MappingReport>),
    #[error("[adapters.{name}]: {reason}")]
    Settings { name: String, reason: String },
    #[error("[adapters.{name}]: no adapter of that name is registered (registered: {known})")]
    Unknown { name: String, known: String },
}

impl AdapterSettings {
    /// The adapter's section read as its settings type; the type's defaults when absent.
    pub fn section<T: DeserializeOwned + Default>(
        &self,
        name: &str,
    ) -> Result<T, AdapterSetupError> {
        match self.0.get(name) {
            None => Ok(T::default()),
            Some(table) => {
                table
                    .clone()
                    .try_into()
                    .map_err(|e: toml::de::Error| AdapterSetupError::Settings {
                        name: name.to_owned(),
                        reason: e.message().to_owned(),
                    })
            }
        }
    }

    fn check_names(&self, registry: &AdapterRegistry) -> Result<(), AdapterSetupError> {
        match self.0.keys().find(|name| registry.get(name).is_none()) {
            None => Ok(()),
            Some(name) => Err(AdapterSetupError::Unknown {
                name: name.clone(),
                known: registry
                    .iter()
                    .map(|r| r.adapter.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }
}

fn problems_text(reports: &[MappingReport]) -> String {
    let mut lines = vec![format!(
        "{} mapping file(s) refused (check one with `kakehashi mapping check FILE`):",
        reports.len()
    )];
    for report in reports {
        for problem in &report.problems {
            lines.push(format!("  {}: {problem}", report.origin));
        }
    }
    lines.join("\n")
}

/// The catalog (built-in mappings plus `mappings_dir`) and the registry, with every mapping
/// checked by its adapter: a mapping with a problem stops the load, naming the file.
pub fn load(
    mappings_dir: Option<&std::path::Path>,
    settings: &AdapterSettings,
) -> Result<(Catalog, AdapterRegistry), AdapterSetupError> {
    let catalog = Catalog::load(mappings_dir)?;
    let registry = registry(settings)?;
    let refused: Vec<MappingReport> = check_catalog(&registry, &catalog)
        .into_iter()
        .filter(|r| !r.problems.is_empty())
        .collect();
    if refused.is_empty() {
        Ok((catalog, registry))
    } else {
        Err(AdapterSetupError::Mappings(refused))
    }
}

/// `[adapters.scan]`: the OCR of scanned paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct ScanSettings {
    /// OCR worker threads, each holding one Tesseract engine. Default: the cores, at most 4.
    workers: usize,
    /// Longest wait for one box's OCR, in seconds. Default 30.
    box_timeout_seconds: u64,
}

impl Default for ScanSettings {
    fn default() -> Self {
        let options = ScanOptions::default();
        Self {
            workers: options.workers,
            box_timeout_seconds: options.box_timeout.as_secs(),
        }
    }
}

impl ScanSettings {
    fn options(self) -> ScanOptions {
        ScanOptions {
            workers: self.workers.max(1),
            box_timeout: Duration::from_secs(self.box_timeout_seconds.max(1)),
            ..ScanOptions::default()
        }
    }
}

/// `[adapters.mynaportal]`: how much a 申請管理 download may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct MynaportalSettings {
    /// Inflated bytes of one download (its XML and attachments together), in MiB: inflating
    /// stops there, so a download never takes more of the decoding budget than this and its
    /// XML parsed. Default 64.
    max_inflated_mib: u64,
}

impl Default for MynaportalSettings {
    fn default() -> Self {
        Self {
            max_inflated_mib: DownloadLimits::default().max_total_bytes >> 20,
        }
    }
}

impl MynaportalSettings {
    fn adapter(self) -> MynaportalAdapter {
        MynaportalAdapter {
            limits: DownloadLimits {
                max_total_bytes: self.max_inflated_mib.max(1).saturating_mul(1 << 20),
                ..DownloadLimits::default()
            },
        }
    }
}

/// Every adapter the gateway runs. Sheet adapters are tried for sniffing in this order.
pub fn registry(settings: &AdapterSettings) -> Result<AdapterRegistry, AdapterSetupError> {
    let scan = settings.section::<ScanSettings>("scan")?.options();
    let mynaportal = settings
        .section::<MynaportalSettings>("mynaportal")?
        .adapter();
    let mut registry = AdapterRegistry::default();
    registry
        // FHIR first: JSON has commas, and the CSV adapter's sniff takes any text with commas.
        .register(RecordKind::Sheet, Senders::Institutions, FhirAdapter)?
        .register(RecordKind::Sheet, Senders::Institutions, JsonlAdapter)?
        // Paper is scanned at the hospital or at the municipal counter; its OCR threads start
        // with the first scan.
        .register(
            RecordKind::Sheet,
            Senders::InstitutionsAndMunicipalities,
            ScanAdapter::new(scan),
        )?
        .register(RecordKind::Sheet, Senders::Institutions, CsvAdapter)?
        .register(RecordKind::Application, Senders::Municipalities, mynaportal)?
        .register(
            RecordKind::Certification,
            Senders::Municipalities,
            MunicipalAdapter,
        )?;
    settings.check_names(&registry)?;
    Ok(registry)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(text: &str) -> AdapterSettings {
        #[derive(Deserialize)]
        struct File {
            adapters: AdapterSettings,
        }
        toml::from_str::<File>(text).unwrap().adapters
    }

    #[test]
    fn every_built_in_adapter_is_registered_once_for_its_kind() {
        let registry = registry(&AdapterSettings::default()).unwrap();
        assert_eq!(
            registry.names(RecordKind::Sheet),
            ["fhir", "jsonl", "scan", "csv"]
        );
        assert_eq!(registry.names(RecordKind::Application), ["mynaportal"]);
        assert_eq!(registry.names(RecordKind::Certification), ["municipal"]);
    }

    #[test]
    fn every_shipped_mapping_passes_its_adapters_check() {
        let catalog = Catalog::load(None).unwrap();
        let registry = registry(&AdapterSettings::default()).unwrap();
        let reports = check_catalog(&registry, &catalog);
        let problems: Vec<String> = reports
            .iter()
            .flat_map(|r| r.problems.iter().map(move |p| format!("{}: {p}", r.origin)))
            .collect();
        assert!(problems.is_empty(), "{problems:#?}");
        let checked: Vec<&str> = reports.iter().map(|r| r.category.as_str()).collect();
        for category in ["csv", "fhir", "jsonl", "municipal", "mynaportal", "scan"] {
            assert!(checked.contains(&category), "{category} not checked");
        }
    }

    #[test]
    fn a_misspelt_item_code_in_a_configured_mapping_stops_the_load_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("csv")).unwrap();
        let text = include_str!("../mappings/csv/hospital-a.toml")
            .replace("item = \"alsfrs_r.speech\"", "item = \"alsfrs_r.speach\"");
        std::fs::write(dir.path().join("csv/mine.toml"), text).unwrap();
        let err = load(Some(dir.path()), &AdapterSettings::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("csv/mine.toml: mapping.unknown_item")
                && err.contains("did you mean `alsfrs_r.speech`?"),
            "{err}"
        );
    }

    #[test]
    fn a_section_is_read_by_its_adapter_and_an_unknown_one_or_key_is_refused() {
        let scan: ScanSettings = settings("[adapters.scan]\nworkers = 2\n")
            .section("scan")
            .unwrap();
        assert_eq!(scan.workers, 2);
        assert_eq!(scan.box_timeout_seconds, 30);
        let err = registry(&settings("[adapters.scna]\nworkers = 2\n")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "[adapters.scna]: no adapter of that name is registered (registered: fhir, jsonl, scan, csv, mynaportal, municipal)"
        );
        let err = registry(&settings("[adapters.scan]\nworker = 2\n")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("[adapters.scan]: unknown field `worker`"),
            "{err}"
        );
    }
}
