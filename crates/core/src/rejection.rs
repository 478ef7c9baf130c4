//! Why a whole document was rejected: the adapter's error in the shape it is stored and shown in.

use kakehashi_sdk::{AdapterError, AdapterErrorKind, SourceLocation};
use serde::{Deserialize, Serialize};

/// What kind of rejection: an unreadable format or encoding, a mapping problem, or a broken
/// document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RejectionKind {
    Unsupported,
    Mapping,
    Malformed,
}

/// Why a document was rejected, as stored and as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Rejection {
    pub kind: RejectionKind,
    pub code: String,
    pub message: String,
    pub message_ja: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<SourceLocation>,
}

impl From<&AdapterError> for Rejection {
    fn from(e: &AdapterError) -> Self {
        Self {
            kind: match e.kind {
                AdapterErrorKind::Unsupported => RejectionKind::Unsupported,
                AdapterErrorKind::Mapping => RejectionKind::Mapping,
                AdapterErrorKind::Malformed => RejectionKind::Malformed,
            },
            code: e.code.to_owned(),
            message: e.message.clone(),
            message_ja: e.message_ja.clone(),
            location: e.location.as_deref().cloned(),
        }
    }
}
