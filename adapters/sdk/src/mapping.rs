//! What a mapping file says, as every mapping is checked: where each source (a column, an
//! element, a zone, a code) sends its value, and the constant values the mapping itself
//! supplies (a `map` of local codes). The adapter parses its own format and lists these; the
//! core then refuses unknown item codes, values a field cannot read, and two sources for one
//! target — when the gateway loads the mapping, and in `kakehashi mapping check`.

use crate::HeaderField;

/// Where a mapped value goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MappingTarget {
    /// A header field of the canonical sheet (`patient.name`).
    Field(HeaderField),
    /// A disease template's item (`alsfrs_r.speech`).
    Item(String),
    /// A field of another record or of the adapter's own (`certification.decision`), checked
    /// for duplicates only.
    Other(String),
}

impl std::fmt::Display for MappingTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MappingTarget::Field(field) => write!(f, "field `{}`", field.path()),
            MappingTarget::Item(code) => write!(f, "item `{code}`"),
            MappingTarget::Other(name) => write!(f, "`{name}`"),
        }
    }
}

/// One source of a mapping and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedSource {
    /// The source as the mapping names it, for messages (`column "患者氏名"`, `zone name`).
    pub source: String,
    pub target: MappingTarget,
    /// Values the mapping itself supplies for this target (the right-hand side of a `map` of
    /// local codes): each must be readable as the target's type.
    pub values: Vec<String>,
    /// Whether several sources may fill this target by design (successive observations filling
    /// `hba1c_1`, `hba1c_2`, … of a list), so a second one is not a duplicate.
    pub shared: bool,
}

impl MappedSource {
    pub fn new(source: impl Into<String>, target: MappingTarget) -> Self {
        Self {
            source: source.into(),
            target,
            values: Vec::new(),
            shared: false,
        }
    }

    /// With the constant values the mapping supplies.
    pub fn with_values(mut self, values: impl IntoIterator<Item = String>) -> Self {
        self.values = values.into_iter().collect();
        self
    }
}
