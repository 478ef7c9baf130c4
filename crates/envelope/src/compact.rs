//! Reading a compact serialisation's parts and its protected header before anything is
//! decrypted or verified, so `open` refuses anything outside this profile with a precise
//! reason, and tells a malformed message from an undecryptable one.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::EnvelopeError;
use crate::keys::POINT_LENGTH;

/// A compact serialisation of a JWS (`layer` = `JWS`) or JWE (`layer` = `JWE`): its
/// base64url parts, still encoded, and its decoded protected header.
pub(crate) struct Compact<'a> {
    layer: &'static str,
    /// The dot-separated parts, the protected header first.
    pub(crate) parts: Vec<&'a str>,
    fields: Map<String, Value>,
}

impl<'a> Compact<'a> {
    /// Checks that `compact` has `parts` dot-separated base64url parts and decodes the first
    /// one as a JSON object.
    pub(crate) fn parse(
        compact: &'a str,
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
            Ok(Value::Object(fields)) => Ok(Self {
                layer,
                parts: segments,
                fields,
            }),
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

    /// Decodes part `index`, naming it `name` in the error if it is not base64url.
    pub(crate) fn decoded(&self, index: usize, name: &str) -> Result<Vec<u8>, EnvelopeError> {
        URL_SAFE_NO_PAD
            .decode(self.parts[index])
            .map_err(|e| self.malformed(&format!("{name}: {e}")))
    }

    /// The `epk` header of an ECDH-ES JWE: the sender's ephemeral P-256 public key, as an
    /// uncompressed point (not yet checked to lie on the curve).
    pub(crate) fn ephemeral_key(&self) -> Result<[u8; POINT_LENGTH], EnvelopeError> {
        let not_p256 = || self.malformed("epk is not a P-256 public key (kty EC, crv P-256, x, y)");
        let key = self
            .fields
            .get("epk")
            .and_then(Value::as_object)
            .ok_or_else(|| self.malformed("no epk header"))?;
        let member = |name: &str| key.get(name).and_then(Value::as_str);
        if member("kty") != Some("EC") || member("crv") != Some("P-256") {
            return Err(not_p256());
        }
        let mut point = [0u8; POINT_LENGTH];
        point[0] = 0x04;
        let (x, y) = point[1..].split_at_mut(POINT_LENGTH / 2);
        for (coordinate, name) in [(x, "x"), (y, "y")] {
            let decoded = member(name)
                .and_then(|text| URL_SAFE_NO_PAD.decode(text).ok())
                .filter(|bytes| bytes.len() == coordinate.len())
                .ok_or_else(not_p256)?;
            coordinate.copy_from_slice(&decoded);
        }
        Ok(point)
    }

    /// A base64url party-info header of ECDH-ES (`apu` or `apv`), decoded; empty when absent.
    pub(crate) fn party_info(&self, name: &str) -> Result<Vec<u8>, EnvelopeError> {
        match self.fields.get(name) {
            None => Ok(Vec::new()),
            Some(Value::String(text)) => URL_SAFE_NO_PAD
                .decode(text)
                .map_err(|e| self.malformed(&format!("{name}: {e}"))),
            Some(_) => Err(self.malformed(&format!("{name} is not a string"))),
        }
    }

    fn malformed(&self, reason: &str) -> EnvelopeError {
        EnvelopeError::Malformed(format!("{}: {reason}", self.layer))
    }
}
