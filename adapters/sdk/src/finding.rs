//! Findings: what the checks (and adapters, for values they could not read) report about a
//! record. Every finding carries a stable code, an English and a Japanese message.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::SourceLocation;

/// How serious a finding is. A sheet with an `error` cannot be registered as it is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One finding about one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    pub severity: Severity,
    /// Stable, dotted code such as `item.out_of_range`; clients may match on it.
    pub code: String,
    /// The item code or header field path the finding is about, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// English message.
    pub message: String,
    /// Japanese message.
    pub message_ja: String,
    /// Where in the source document the offending value came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<SourceLocation>,
}

impl Finding {
    pub fn new(
        severity: Severity,
        code: &str,
        item: Option<&str>,
        message: impl Into<String>,
        message_ja: impl Into<String>,
    ) -> Self {
        Self {
            severity,
            code: code.to_owned(),
            item: item.map(str::to_owned),
            message: message.into(),
            message_ja: message_ja.into(),
            location: None,
        }
    }

    pub fn error(
        code: &str,
        item: Option<&str>,
        message: impl Into<String>,
        message_ja: impl Into<String>,
    ) -> Self {
        Self::new(Severity::Error, code, item, message, message_ja)
    }

    pub fn warning(
        code: &str,
        item: Option<&str>,
        message: impl Into<String>,
        message_ja: impl Into<String>,
    ) -> Self {
        Self::new(Severity::Warning, code, item, message, message_ja)
    }

    pub fn at(mut self, location: Option<SourceLocation>) -> Self {
        self.location = location;
        self
    }
}
