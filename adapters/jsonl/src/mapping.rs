//! JSON Lines mapping files (`mappings/jsonl/NAME.toml`).
//!
//! ```toml
//! description = "Registry X's nightly export"
//! kind = "nanbyo"                 # when no value gives the kind
//!
//! [[values]]
//! pointer = "/patient/name"       # a JSON Pointer (RFC 6901) into each line's object
//! field = "patient.name"          # a header field by path …
//!
//! [[values]]
//! pointer = "/scores/als_speech"
//! item = "alsfrs_r.speech"        # … or a template item by code
//!
//! [[values]]
//! pointer = "/care"
//! field = "clinical.long_term_care"
//! map = { "K3" = "要介護3" }       # local codes, translated before the value is read
//! ```

use std::collections::BTreeMap;

use kakehashi_sdk::{HeaderField, MappedSource, MappingTarget, SheetKind};
use serde::Deserialize;

/// A JSON Lines layout.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonlMapping {
    /// What export this is, for people.
    pub description: String,
    /// Sheet kind when no value says.
    #[serde(default = "default_kind")]
    pub kind: SheetKind,
    pub values: Vec<ValueMapping>,
}

/// Where one value of each object goes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueMapping {
    /// A JSON Pointer into the line's object (`/patient/name`; `~1` is `/`, `~0` is `~`).
    pub pointer: String,
    /// A canonical header field, by path.
    #[serde(default)]
    pub field: Option<HeaderField>,
    /// A disease item, by the template's item code.
    #[serde(default)]
    pub item: Option<String>,
    /// Local codes translated before the value is read.
    #[serde(default)]
    pub map: BTreeMap<String, String>,
}

fn default_kind() -> SheetKind {
    SheetKind::Nanbyo
}

impl ValueMapping {
    /// Where the value goes, or why the entry is not well formed.
    pub fn target(&self) -> Result<MappingTarget, String> {
        if !self.pointer.starts_with('/') {
            return Err(format!(
                "pointer `{}` must start with `/` (a JSON Pointer into the object)",
                self.pointer
            ));
        }
        match (&self.field, &self.item) {
            (Some(field), None) => Ok(MappingTarget::Field(*field)),
            (None, Some(item)) => Ok(MappingTarget::Item(item.clone())),
            _ => Err(format!(
                "pointer `{}` needs exactly one of `field` and `item`",
                self.pointer
            )),
        }
    }
}

impl JsonlMapping {
    /// Every value's source and target, or the first malformed entry.
    pub fn sources(&self) -> Result<Vec<MappedSource>, String> {
        self.values
            .iter()
            .map(|v| {
                Ok(
                    MappedSource::new(format!("pointer `{}`", v.pointer), v.target()?)
                        .with_values(v.map.values().cloned()),
                )
            })
            .collect()
    }
}
