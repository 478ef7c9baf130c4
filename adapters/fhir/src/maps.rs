//! The code maps in `mappings/fhir/` (data, not code, so that a clinician or an integrator
//! can review and extend them): which Condition codes mean which notified disease, which
//! Observation codes fill which item or header field, and which identifier systems carry the
//! institution, insurance and doctor numbers. A deployment's mappings folder replaces them by
//! name.

use std::sync::{Arc, Mutex, PoisonError};

use kakehashi_sdk::{
    AdapterError, DiseaseKey, HeaderField, MappedSource, MappingFiles, MappingTarget, SheetKind,
    parse_mapping,
};
use serde::Deserialize;

/// Mapping category of these files in `mappings/`.
pub const CATEGORY: &str = "fhir";

/// One ICD-10 or MEDIS code bound to a notified disease.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiseaseCode {
    /// The code, or for ICD-10 the category it covers (`M33` covers `M33.1`).
    pub code: String,
    pub kind: SheetKind,
    /// 疾患群, for 小慢.
    #[serde(default)]
    pub group: Option<u8>,
    /// 告示番号
    pub number: u16,
}

impl DiseaseCode {
    pub fn key(&self) -> DiseaseKey {
        DiseaseKey {
            kind: self.kind,
            group: self.group,
            number: self.number,
        }
    }
}

/// `conditions.toml`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionMap {
    pub icd10_systems: Vec<String>,
    pub medis_systems: Vec<String>,
    #[serde(default)]
    pub icd10: Vec<DiseaseCode>,
    #[serde(default)]
    pub medis: Vec<DiseaseCode>,
}

/// ICD-10 written with or without its dot, in either case.
fn icd10_key(code: &str) -> String {
    code.chars()
        .filter(|c| *c != '.')
        .collect::<String>()
        .to_ascii_uppercase()
}

impl ConditionMap {
    /// The disease an ICD-10 code is listed under: the longest listed code it starts with.
    pub fn icd10(&self, system: &str, code: &str) -> Option<&DiseaseCode> {
        if !self.icd10_systems.iter().any(|s| s == system) {
            return None;
        }
        let code = icd10_key(code);
        self.icd10
            .iter()
            .filter(|d| code.starts_with(&icd10_key(&d.code)))
            .max_by_key(|d| d.code.len())
    }

    /// The disease a MEDIS 病名交換用コード is listed under.
    pub fn medis(&self, system: &str, code: &str) -> Option<&DiseaseCode> {
        if !self.medis_systems.iter().any(|s| s == system) {
            return None;
        }
        self.medis.iter().find(|d| d.code == code)
    }
}

/// A code an observation entry matches: exactly, or by its leading characters.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeMatch {
    pub system: String,
    #[serde(default)]
    pub code: Option<String>,
    /// For JLAC10 and JLAC11: the 5-character analyte (測定物) code.
    #[serde(default)]
    pub prefix: Option<String>,
}

impl CodeMatch {
    fn matches(&self, system: &str, code: &str) -> bool {
        self.system == system
            && match (&self.code, &self.prefix) {
                (Some(c), _) => c == code,
                (None, Some(p)) => code.starts_with(p.as_str()),
                (None, None) => false,
            }
    }
}

/// One measurement and where its value goes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservationEntry {
    pub label: String,
    pub codes: Vec<CodeMatch>,
    /// Template items, newest observation first.
    #[serde(default)]
    pub items: Vec<String>,
    /// Or a header field.
    #[serde(default)]
    pub field: Option<HeaderField>,
    /// The unit the target expects.
    #[serde(default)]
    pub unit: Option<String>,
}

/// `observations.toml`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservationMap {
    /// Code system whose codes are template item codes.
    pub item_system: String,
    #[serde(default)]
    pub observations: Vec<ObservationEntry>,
}

impl ObservationMap {
    /// The entry (by index) a coding matches.
    pub fn entry(&self, system: &str, code: &str) -> Option<usize> {
        self.observations
            .iter()
            .position(|e| e.codes.iter().any(|c| c.matches(system, code)))
    }
}

/// `systems.toml`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Systems {
    /// 医療機関コード
    pub institution_code: Vec<String>,
    /// 保険者番号
    pub insurer_number: Vec<String>,
    /// 公費負担者番号
    pub payer_number: Vec<String>,
    /// 公費受給者番号
    pub recipient_number: Vec<String>,
    /// 指定医番号
    pub designated_doctor_number: Vec<String>,
}

/// All three maps.
#[derive(Debug, Clone)]
pub struct Maps {
    pub conditions: ConditionMap,
    pub observations: ObservationMap,
    pub systems: Systems,
}

impl ObservationMap {
    /// Refuses an entry with neither or both of `items` and `field`.
    fn check(&self) -> Result<(), AdapterError> {
        for entry in &self.observations {
            if entry.items.is_empty() == entry.field.is_none() {
                return Err(AdapterError::mapping(
                    "mapping.invalid",
                    format!(
                        "fhir/observations: `{}` needs either `items` or `field`",
                        entry.label
                    ),
                    format!(
                        "fhir/observations: `{}` には items か field のどちらか一方が必要です",
                        entry.label
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Where each observation goes; an observation's list of items is filled newest first,
    /// so each item has one source.
    fn sources(&self) -> Vec<MappedSource> {
        self.observations
            .iter()
            .flat_map(|entry| {
                let source = format!("observation `{}`", entry.label);
                let items = entry
                    .items
                    .iter()
                    .map(|item| MappingTarget::Item(item.clone()));
                let field = entry.field.map(MappingTarget::Field);
                items
                    .chain(field)
                    .map(move |target| MappedSource::new(source.clone(), target))
            })
            .collect()
    }
}

/// The names of the three maps.
const NAMES: [&str; 3] = ["conditions", "observations", "systems"];

/// The maps last read, with the texts they were read from: the same texts come with every
/// document, and parsing them (TOML, a few kilobytes) cost as much as converting a small
/// document.
type Last = Option<(Vec<Option<String>>, Arc<Maps>)>;
static LAST: Mutex<Last> = Mutex::new(None);

impl Maps {
    /// The maps in `files`, read again only when their text changed since the last call.
    pub fn cached(files: &MappingFiles) -> Result<Arc<Self>, AdapterError> {
        let texts = NAMES.map(|name| files.get(CATEGORY, name).map(|(_, text)| text));
        let mut last = LAST.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((seen, maps)) = last.as_ref()
            && seen.iter().map(Option::as_deref).eq(texts)
        {
            return Ok(Arc::clone(maps));
        }
        let maps = Arc::new(Self::load(files)?);
        let seen = texts.iter().map(|t| t.map(str::to_owned)).collect();
        *last = Some((seen, Arc::clone(&maps)));
        Ok(maps)
    }

    pub fn load(files: &MappingFiles) -> Result<Self, AdapterError> {
        let maps = Self {
            conditions: files.load(CATEGORY, "conditions")?,
            observations: files.load(CATEGORY, "observations")?,
            systems: files.load(CATEGORY, "systems")?,
        };
        maps.observations.check()?;
        Ok(maps)
    }
}

/// Checks one of the three maps by name and lists where its observations go (conditions and
/// identifier systems send nothing to a sheet field or item).
pub fn sources(name: &str, text: &str) -> Result<Vec<MappedSource>, AdapterError> {
    match name {
        "conditions" => parse_mapping::<ConditionMap>(name, text).map(|_| Vec::new()),
        "systems" => parse_mapping::<Systems>(name, text).map(|_| Vec::new()),
        "observations" => {
            let map: ObservationMap = parse_mapping(name, text)?;
            map.check()?;
            Ok(map.sources())
        }
        other => Err(AdapterError::mapping(
            "mapping.unknown",
            format!("`{other}`: the FHIR maps are `conditions`, `observations` and `systems`"),
            format!("`{other}`: FHIR のマップは conditions、observations、systems の三つです"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> MappingFiles {
        let mut files = MappingFiles::default();
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../mappings/fhir/");
        for name in ["conditions", "observations", "systems"] {
            let text = std::fs::read_to_string(format!("{root}{name}.toml")).unwrap();
            files.insert(CATEGORY, name, name, text);
        }
        files
    }

    #[test]
    fn maps_are_read_again_when_their_text_changes() {
        let good = files();
        let first = Maps::cached(&good).unwrap();
        assert!(Arc::ptr_eq(&first, &Maps::cached(&good).unwrap()));
        let mut bad = good.clone();
        bad.insert(CATEGORY, "systems", "systems", "not = [toml".into());
        assert_eq!(Maps::cached(&bad).unwrap_err().code, "mapping.invalid");
        assert!(Maps::cached(&good).is_ok());
    }

    #[test]
    fn shipped_maps_load_and_match_by_code_category_and_prefix() {
        let maps = Maps::load(&files()).unwrap();
        let icd = "http://jpfhir.jp/fhir/core/mhlw/CodeSystem/ICD10-2013-full";
        assert_eq!(maps.conditions.icd10(icd, "M33.1").unwrap().number, 50);
        assert_eq!(maps.conditions.icd10(icd, "m331").unwrap().number, 50);
        assert_eq!(maps.conditions.icd10(icd, "G36.0").unwrap().number, 13);
        assert!(maps.conditions.icd10(icd, "M32.0").is_none());
        assert!(maps.conditions.icd10("http://example.org", "G20").is_none());
        let t1d = maps.conditions.icd10(icd, "E10.9").unwrap();
        assert_eq!((t1d.kind, t1d.group), (SheetKind::Shoman, Some(7)));
        let jlac = maps
            .observations
            .entry("urn:oid:1.2.392.200119.4.504", "3D046000001906202")
            .unwrap();
        assert_eq!(maps.observations.observations[jlac].label, "HbA1c (NGSP)");
        assert!(
            maps.observations
                .entry("http://loinc.org", "8302-2")
                .is_some()
        );
    }
}
