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

/// The kind of a [`Record`]: what an adapter produces, and what an intake (submissions,
/// application imports, decision imports) accepts.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// 臨床調査個人票 / 医療意見書
    Sheet,
    /// 申請 (a subsidy application)
    Application,
    /// 認定 / 不認定 (a municipal decision)
    Certification,
}

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Sheet => "sheet",
            RecordKind::Application => "application",
            RecordKind::Certification => "certification",
        }
    }

    /// The kind's name in Japanese, for messages.
    pub fn ja(self) -> &'static str {
        match self {
            RecordKind::Sheet => "調査票",
            RecordKind::Application => "申請",
            RecordKind::Certification => "認定結果",
        }
    }
}

impl std::fmt::Display for RecordKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Record {
    pub fn kind(&self) -> RecordKind {
        match self {
            Record::Sheet(_) => RecordKind::Sheet,
            Record::Application(_) => RecordKind::Application,
            Record::Certification(_) => RecordKind::Certification,
        }
    }
}
