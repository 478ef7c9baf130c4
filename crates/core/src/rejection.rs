//! Why a whole document was rejected: the adapter's error in the shape it is stored and shown in.

use kakehashi_sdk::{AdapterError, AdapterErrorKind, RecordKind, SourceLocation};
use serde::{Deserialize, Serialize};

/// What kind of rejection: an unreadable format or encoding, a mapping problem, a broken
/// document, or a failure of the gateway itself on this document (a bug — an adapter that
/// panicked or broke its contract — logged for the operator; the input stays journaled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RejectionKind {
    Unsupported,
    Mapping,
    Malformed,
    Internal,
}

/// Why a document was rejected, as stored and as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Rejection {
    pub kind: RejectionKind,
    pub code: String,
    pub message: String,
    pub message_ja: String,
    /// Boxed: a rejection travels in `Err`, and the location is most of its size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Box<SourceLocation>>,
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
            location: e.location.clone(),
        }
    }
}

impl Rejection {
    /// The adapter produced a `found` record where it declares `declared` ones.
    pub fn unexpected_record(
        adapter: &str,
        declared: RecordKind,
        found: RecordKind,
        index: usize,
    ) -> Self {
        Self {
            kind: RejectionKind::Internal,
            code: "adapter.unexpected_record".into(),
            message: format!(
                "adapter `{adapter}` produced a {found} record (record {}) but declares {declared} records; the input is kept, report this to the adapter's author",
                index + 1
            ),
            message_ja: format!(
                "アダプター `{adapter}` が{}のレコード（{} 件目）を出力しましたが、宣言は{}です。入力は保存済みです。アダプターの作成者に報告してください",
                found.ja(),
                index + 1,
                declared.ja()
            ),
            location: None,
        }
    }
}
