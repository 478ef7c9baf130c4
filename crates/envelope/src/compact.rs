//! Reading the protected header of a compact serialisation before handing it to josekit.
//!
//! josekit would pick the content encryption from the message and accept compression and
//! critical extensions; checking the header first lets `open` refuse anything outside this
//! profile with a precise reason, and tell a malformed message from an undecryptable one.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::EnvelopeError;

/// The decoded protected header of a JWS (`layer` = `JWS`) or JWE (`layer` = `JWE`).
pub(crate) struct ProtectedHeader {
    layer: &'static str,
    fields: Map<String, Value>,
}

impl ProtectedHeader {
    /// Checks that `compact` has `parts` dot-separated base64url parts and decodes the first
    /// one as a JSON object.
    pub(crate) fn parse(
        compact: &str,
        parts: usize,
        layer: &'static str,
    ) -> Result<Self, EnvelopeError> {
        let malformed = |reason: &str| EnvelopeError::Malformed(format!("{layer}: {reason}"));
        let segments: Vec<&str> = compact.split('.').collect();
        if segments.len() != parts {
            return Err(malformed(&format!(
                "compact serialisation has {} parts, expected {parts}",
                segments.len()
            )));
        }
        let alphabet = |s: &str| {
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if !segments.iter().all(|s| alphabet(s)) {
            return Err(malformed("a part is not base64url"));
        }
        let json = URL_SAFE_NO_PAD
            .decode(segments[0])
            .map_err(|e| malformed(&format!("protected header: {e}")))?;
        match serde_json::from_slice(&json) {
            Ok(Value::Object(fields)) => Ok(Self { layer, fields }),
            Ok(_) => Err(malformed("protected header is not a JSON object")),
            Err(e) => Err(malformed(&format!("protected header: {e}"))),
        }
    }

    /// Requires header `name` to be the string `expected`.
    pub(crate) fn require(
        &self,
        name: &'static str,
        expected: &'static str,
    ) -> Result<(), EnvelopeError> {
        match self.fields.get(name) {
            Some(Value::String(found)) if found == expected => Ok(()),
            other => Err(EnvelopeError::Unsupported {
                layer: self.layer,
                header: name,
                found: other.map_or_else(|| "(absent)".to_owned(), Value::to_string),
                expected,
            }),
        }
    }

    /// Requires header `name` to be absent.
    pub(crate) fn forbid(&self, name: &'static str) -> Result<(), EnvelopeError> {
        match self.fields.get(name) {
            None => Ok(()),
            Some(found) => Err(EnvelopeError::Unsupported {
                layer: self.layer,
                header: name,
                found: found.to_string(),
                expected: "(absent)",
            }),
        }
    }

    /// The `kid` header, if it is a string.
    pub(crate) fn key_id(&self) -> Option<&str> {
        self.fields.get("kid").and_then(Value::as_str)
    }
}
