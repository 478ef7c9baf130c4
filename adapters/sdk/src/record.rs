//! What adapters produce.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Application, Certification, Sheet};

/// One canonical record, tagged by `record_type` in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "record_type", rename_all = "snake_case")]
pub enum Record {
    Sheet(Box<Sheet>),
    Application(Box<Application>),
    Certification(Box<Certification>),
}
