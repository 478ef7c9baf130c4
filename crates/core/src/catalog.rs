//! The catalog: what the gateway knows about diseases and layouts — the notified disease lists,
//! the disease templates and the mapping files. The repository's `mappings/` folder is built into
//! the binary, so a fresh `kakehashi serve` needs no files beside it; a configured folder of the
//! same shape adds mappings and templates, or replaces built-in ones of the same name.

use std::path::Path;

use chrono::NaiveDate;
use include_dir::{Dir, include_dir};
use kakehashi_sdk::{
    DiseaseRegistry, MappingFiles, RegistryError, Sheet, TemplateError, TemplateSet,
};

use crate::judgment::{Judgment, MildHighCostRules, judge};

static BUILTIN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../mappings");

/// Why the catalog could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("disease list: {0}")]
    Registry(#[from] RegistryError),
    #[error("disease template {0}")]
    Template(#[from] TemplateError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}: not UTF-8")]
    NotUtf8(String),
    #[error("{0}: missing from the built-in mappings")]
    Missing(String),
    #[error("judgment rules {0}")]
    Judgment(String),
}

/// Disease lists, templates and mappings, loaded once at start-up and shared read-only.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub diseases: DiseaseRegistry,
    pub templates: TemplateSet,
    pub mappings: MappingFiles,
    /// 軽症高額 (mild but high cost), per programme: `judgment/mild_high_cost.toml`.
    pub mild_high_cost: MildHighCostRules,
}

/// A mapping-folder file: its category (first folder), its name (file stem), its text.
struct Source {
    category: String,
    name: String,
    origin: String,
    text: String,
}

fn builtin_sources() -> Result<Vec<Source>, CatalogError> {
    let mut out = Vec::new();
    let mut stack = vec![&BUILTIN];
    while let Some(dir) = stack.pop() {
        stack.extend(dir.dirs());
        for file in dir.files() {
            let path = file.path();
            if path.extension().and_then(|e| e.to_str()) != Some("toml") {
                continue;
            }
            let origin = format!("mappings/{}", path.display());
            let text = file
                .contents_utf8()
                .ok_or_else(|| CatalogError::NotUtf8(origin.clone()))?;
            out.push(source(path, origin, text.to_owned()));
        }
    }
    Ok(out)
}

fn source(relative: &Path, origin: String, text: String) -> Source {
    let category = relative
        .components()
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = relative
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Source {
        category,
        name,
        origin,
        text,
    }
}

fn dir_sources(root: &Path) -> Result<Vec<Source>, CatalogError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| CatalogError::Io { path, source }
    };
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(io(&dir))? {
            let path = entry.map_err(io(&dir))?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().and_then(|e| e.to_str()) == Some("toml") {
                let text = std::fs::read_to_string(&path).map_err(io(&path))?;
                let relative = path.strip_prefix(root).unwrap_or(&path);
                out.push(source(relative, path.display().to_string(), text));
            }
        }
    }
    Ok(out)
}

pub(crate) fn builtin_text(path: &str) -> Result<&'static str, CatalogError> {
    let origin = format!("mappings/{path}");
    let file = BUILTIN
        .get_file(path)
        .ok_or_else(|| CatalogError::Missing(origin.clone()))?;
    file.contents_utf8().ok_or(CatalogError::NotUtf8(origin))
}

impl Catalog {
    /// The built-in catalog, plus the TOML files under `extra` when given.
    pub fn load(extra: Option<&Path>) -> Result<Self, CatalogError> {
        let mut diseases = DiseaseRegistry::default();
        diseases.add_nanbyo_list(
            "intractable_disease.csv",
            builtin_text("reference/intractable_disease.csv")?,
        )?;
        diseases.add_nanbyo_nando(
            "nanbyo_designated_diseases_nando_2025-08-26.csv",
            builtin_text("reference/nanbyo_designated_diseases_nando_2025-08-26.csv")?,
        )?;
        diseases.add_shoman_list(
            "shoman_diseases_nando_2025-08-26_by_notification.csv",
            builtin_text("reference/shoman_diseases_nando_2025-08-26_by_notification.csv")?,
        )?;

        let mut sources = builtin_sources()?;
        if let Some(extra) = extra {
            sources.extend(dir_sources(extra)?);
        }
        // Later sources (the configured folder) replace built-in files of the same name.
        let mut by_name = std::collections::BTreeMap::new();
        for s in sources {
            by_name.insert((s.category.clone(), s.name.clone()), s);
        }
        let mut templates = TemplateSet::default();
        let mut mappings = MappingFiles::default();
        let mut mild_high_cost = None;
        for s in by_name.into_values() {
            if s.category == "diseases" {
                templates.add(&s.origin, &s.text, Some(&diseases))?;
            } else if (s.category.as_str(), s.name.as_str()) == ("judgment", "mild_high_cost") {
                mild_high_cost = Some(
                    MildHighCostRules::parse(&s.origin, &s.text).map_err(CatalogError::Judgment)?,
                );
            } else {
                mappings.insert(&s.category, &s.name, &s.origin, s.text);
            }
        }
        Ok(Self {
            diseases,
            templates,
            mappings,
            mild_high_cost: mild_high_cost.ok_or_else(|| {
                CatalogError::Missing("mappings/judgment/mild_high_cost.toml".into())
            })?,
        })
    }

    /// The machine judgment (一次判定) of a checked sheet by this catalog's rules.
    pub fn judge(&self, sheet: &Sheet, application_date: NaiveDate) -> Judgment {
        judge(
            sheet,
            &self.templates,
            &self.mild_high_cost,
            application_date,
        )
    }
}

#[cfg(test)]
mod tests {
    use kakehashi_sdk::{DiseaseKey, SheetKind};

    use super::*;

    #[test]
    fn builtin_catalog_knows_every_notified_disease_and_loads_every_template() {
        let catalog = Catalog::load(None).unwrap();
        let nanbyo = catalog
            .diseases
            .search(Some(SheetKind::Nanbyo), None)
            .count();
        let shoman = catalog
            .diseases
            .search(Some(SheetKind::Shoman), None)
            .count();
        assert_eq!(nanbyo, 348);
        assert_eq!(shoman, 858);
        let als = DiseaseKey {
            kind: SheetKind::Nanbyo,
            group: None,
            number: 2,
        };
        assert_eq!(
            catalog.diseases.get(&als).unwrap().name,
            "筋萎縮性側索硬化症"
        );
        // The twenty 指定難病 with the most recipients (衛生行政報告例; see the templates'
        // README) and the largest 小慢 groups each have a template.
        let top_twenty = [
            6, 97, 49, 96, 51, 69, 11, 18, 50, 90, 13, 57, 78, 306, 85, 84, 71, 56, 63, 93,
        ];
        for number in top_twenty {
            let key = DiseaseKey {
                kind: SheetKind::Nanbyo,
                group: None,
                number,
            };
            assert!(
                catalog.templates.get(&key).is_some(),
                "no template for {key}"
            );
        }
        for (group, number) in [(5, 46), (7, 1), (12, 16), (1, 80), (4, 89), (2, 24)] {
            let key = DiseaseKey {
                kind: SheetKind::Shoman,
                group: Some(group),
                number,
            };
            assert!(
                catalog.templates.get(&key).is_some(),
                "no template for {key}"
            );
        }
        assert!(
            catalog
                .templates
                .iter()
                .any(|t| t.kind == SheetKind::Shoman)
        );
        assert!(catalog.mappings.names("csv").count() >= 2);
    }

    #[test]
    fn a_bad_judgment_rule_or_mild_high_cost_file_stops_the_load_by_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("diseases")).unwrap();
        let builtin = builtin_text("diseases/nanbyo-049.toml").unwrap();
        let file = dir.path().join("diseases/nanbyo-049.toml");
        std::fs::write(
            &file,
            builtin.replace("\"sledai.score\", op", "\"sledai.scor\", op"),
        )
        .unwrap();
        let err = Catalog::load(Some(dir.path())).unwrap_err().to_string();
        assert!(
            err.contains("nanbyo-049.toml")
                && err.contains("judgment.severity rule `sledai_4`")
                && err.contains("unknown item `sledai.scor`"),
            "{err}"
        );
        std::fs::remove_file(&file).unwrap();

        std::fs::create_dir(dir.path().join("judgment")).unwrap();
        let costs = builtin_text("judgment/mild_high_cost.toml").unwrap();
        std::fs::write(
            dir.path().join("judgment/mild_high_cost.toml"),
            costs.replace("months_at_least = 3", "months_at_least = 2"),
        )
        .unwrap();
        let catalog = Catalog::load(Some(dir.path())).unwrap();
        assert_eq!(
            catalog
                .mild_high_cost
                .nanbyo
                .as_ref()
                .unwrap()
                .months_at_least,
            2,
            "a configured rule replaces the built-in one"
        );
        std::fs::write(
            dir.path().join("judgment/mild_high_cost.toml"),
            costs.replace("window_months = 12", "window_months = 2"),
        )
        .unwrap();
        let err = Catalog::load(Some(dir.path())).unwrap_err().to_string();
        assert!(
            err.contains("mild_high_cost.toml") && err.contains("months_at_least = 3"),
            "{err}"
        );
    }

    #[test]
    fn a_configured_folder_adds_templates_and_reports_bad_ones_by_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("diseases")).unwrap();
        let file = dir.path().join("diseases/nanbyo-001.toml");
        std::fs::write(&file, "kind = \"nanbyo\"\nnumber = 1\nname = \"違う名前\"\nform_version = \"x\"\nsources = []\n").unwrap();
        let err = Catalog::load(Some(dir.path())).unwrap_err().to_string();
        assert!(
            err.contains("nanbyo-001.toml") && err.contains("球脊髄性筋萎縮症"),
            "{err}"
        );
        std::fs::write(&file, "kind = \"nanbyo\"\nnumber = 1\nname = \"球脊髄性筋萎縮症\"\nform_version = \"x\"\nsources = []\n").unwrap();
        let catalog = Catalog::load(Some(dir.path())).unwrap();
        assert!(
            catalog
                .templates
                .get(&DiseaseKey {
                    kind: SheetKind::Nanbyo,
                    group: None,
                    number: 1
                })
                .is_some()
        );
    }
}
