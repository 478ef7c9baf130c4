//! The one place that touches fhir-sdk's typed model (R4B, see the crate docs). A resource is
//! read into `fhir_sdk::r4b::resources::Resource` — the strict structural check: an object
//! where the specification says array, a string where it says number, an unknown resource
//! type — and its re-serialisation laid over the tree ([`crate::kept`]), so that what the
//! model did not keep is removed and listed.
//! The model reads the tree already parsed ([`Tree`]), not the bytes.
//!
//! Everything generic over fhir-sdk's types is instantiated here, once, behind plain
//! functions: its serde code takes minutes to compile, and no other crate should pay for it.

use fhir_sdk::r4b::resources::{self, BundleEntry, Resource};
use serde::Deserialize;

use crate::json::Node;
use crate::kept;
use crate::readable::Loss;
use crate::tree::{Skip, Tree, TreeError};

/// Why the typed model refused a document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct ModelError {
    pub reason: String,
}

impl From<TreeError> for ModelError {
    fn from(e: TreeError) -> Self {
        ModelError { reason: e.0 }
    }
}

/// The types the mapping reads are read as themselves, not through the `Resource` enum: that
/// enum is tagged by a member inside the object, so serde first copies the whole resource
/// into a buffer of its own to find the tag (a sixth of a Synthea bundle's conversion).
macro_rules! read_types {
    ($($name:ident),* $(,)?) => {
        /// Resource types the mapping reads. The rest are listed as unmapped and are not read
        /// through the model: nothing of theirs reaches a sheet, so nothing the model would
        /// drop from them could be lost.
        pub const READ: &[&str] = &[$(stringify!($name)),*];

        fn read_as_itself(kind: &str, tree: Tree<'_>) -> Option<Result<Resource, TreeError>> {
            match kind {
                $(stringify!($name) => Some(resources::$name::deserialize(tree).map(Resource::$name)),)*
                _ => None,
            }
        }
    };
}

read_types!(
    Bundle,
    Composition,
    Patient,
    Coverage,
    Condition,
    Observation,
    Practitioner,
    PractitionerRole,
    Organization,
    MedicationRequest,
    Medication,
    Procedure,
    QuestionnaireResponse,
);

/// Reads a resource of type `kind` (its `resourceType`); a type the mapping does not read, or
/// a name that is no resource type (which the enum refuses), through the enum.
fn read(kind: &str, tree: Tree<'_>) -> Result<Resource, ModelError> {
    Ok(read_as_itself(kind, tree).unwrap_or_else(|| Resource::deserialize(tree))?)
}

/// Lays the model's value over the node it was read from ([`kept::keep`]).
fn kept(
    value: &impl serde::Serialize,
    node: &mut Node<'_>,
    skip: Option<Skip>,
    path: &mut String,
    losses: &mut Vec<Loss>,
) -> Result<(), ModelError> {
    kept::keep(value, node, skip, path, losses).map_err(|e| ModelError {
        reason: e.to_string(),
    })
}

/// Reads `node` (without the members `skip` names) as an R4B resource of type `kind` (its
/// `resourceType`) and keeps of it what the model kept, listing the rest in `losses`.
pub fn keep(
    kind: &str,
    node: &mut Node<'_>,
    skip: Option<Skip>,
    path: &mut String,
    losses: &mut Vec<Loss>,
) -> Result<(), ModelError> {
    let resource = read(kind, Tree::without(node, skip))?;
    kept(&resource, node, skip, path, losses)
}

/// Whether the model reads a resource of type `kind` (nothing kept).
pub fn reads(kind: &str, tree: Tree<'_>) -> Result<(), ModelError> {
    read(kind, tree).map(drop)
}

/// Reads one Bundle entry (an element of `Bundle.entry`, which may be null) without the
/// members `skip` names, and keeps of it what the model kept.
pub fn keep_entry(
    node: &mut Node<'_>,
    skip: Option<Skip>,
    path: &mut String,
    losses: &mut Vec<Loss>,
) -> Result<(), ModelError> {
    let entry = Option::<BundleEntry>::deserialize(Tree::without(node, skip))?;
    kept(&entry, node, skip, path, losses)
}

/// Whether the model reads a Bundle entry.
pub fn entry_reads(tree: Tree<'_>) -> Result<(), ModelError> {
    Option::<BundleEntry>::deserialize(tree)?;
    Ok(())
}

/// Whether `kind` names an R4B resource type.
pub fn is_resource_type(kind: &str) -> bool {
    kind.parse::<resources::ResourceType>().is_ok()
}

/// Why fhir-sdk drops a choice element (`value[x]`, `onset[x]`, …): it reads a malformed one
/// as absent without an error, so the element is read again as its data type, named by the
/// element's suffix (`valueQuantity` → Quantity), to get the reason. `None` for data types
/// not listed here; the caller then says only that the element could not be read.
pub fn choice_error(element: &str, tree: Tree<'_>) -> Option<String> {
    use fhir_sdk::r4b::types;
    fn check<'de, T: Deserialize<'de>>(tree: Tree<'de>) -> Option<String> {
        T::deserialize(tree).err().map(|e| e.0)
    }
    const TYPES: [&str; 14] = [
        "Quantity",
        "CodeableConcept",
        "Coding",
        "Period",
        "Range",
        "Ratio",
        "Reference",
        "Identifier",
        "Decimal",
        "Integer",
        "Boolean",
        "String",
        "DateTime",
        "Date",
    ];
    let data_type = TYPES.iter().find(|t| {
        element
            .strip_suffix(**t)
            .is_some_and(|prefix| prefix.chars().last().is_some_and(char::is_lowercase))
    })?;
    match *data_type {
        "Quantity" => check::<types::Quantity>(tree),
        "CodeableConcept" => check::<types::CodeableConcept>(tree),
        "Coding" => check::<types::Coding>(tree),
        "Period" => check::<types::Period>(tree),
        "Range" => check::<types::Range>(tree),
        "Ratio" => check::<types::Ratio>(tree),
        "Reference" => check::<types::Reference>(tree),
        "Identifier" => check::<types::Identifier>(tree),
        "Decimal" => check::<f64>(tree),
        "Integer" => check::<i32>(tree),
        "Boolean" => check::<bool>(tree),
        "String" => check::<String>(tree),
        "DateTime" => check::<fhir_sdk::DateTime>(tree),
        _ => check::<fhir_sdk::Date>(tree),
    }
}
