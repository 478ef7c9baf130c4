//! `kakehashi-push/1` on the wire: the constants, the delivery document and the JSON answers.
//! `conformance/push/PROTOCOL.md` is the prose version; a change here is a change there.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// The protocol name carried in every delivery document.
pub const PROTOCOL: &str = "kakehashi-push/1";
/// Value of the [`PROTOCOL_HEADER`] request header.
pub const PROTOCOL_VERSION: &str = "1";
/// Request header naming the protocol version.
pub const PROTOCOL_HEADER: &str = "kakehashi-protocol";
/// Request header carrying the idempotency key.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";
/// Content type of a sealed delivery (a compact JWE).
pub const JOSE_CONTENT_TYPE: &str = "application/jose";
/// Content type of a plain delivery document, accepted only when encryption is not required.
pub const JSON_CONTENT_TYPE: &str = "application/json";
/// Path deliveries are posted to.
pub const DELIVERIES_PATH: &str = "/v1/deliveries";
/// Path of the receipt list.
pub const RECEIPTS_PATH: &str = "/v1/receipts";
/// Path of the counters.
pub const STATS_PATH: &str = "/v1/stats";
/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
/// Longest accepted idempotency key.
pub const MAX_KEY_LENGTH: usize = 128;

/// Whether `key` is a valid idempotency key: 1–128 characters of `[A-Za-z0-9._:-]`.
pub fn is_valid_idempotency_key(key: &str) -> bool {
    (1..=MAX_KEY_LENGTH).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// The signed and encrypted content of a delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryDocument {
    /// Always [`PROTOCOL`].
    pub protocol: String,
    /// The idempotency key of the delivery; equals the `Idempotency-Key` header.
    pub delivery_id: String,
    /// The gateway's id of the sheet.
    pub sheet_id: String,
    /// The sending organisation, `KIND:CODE` (e.g. `hospital:1310000017`).
    pub sender: String,
    /// The patient's consent that allows this delivery.
    pub consent: Consent,
    /// The canonical sheet (`conformance/schema/sheet.schema.json`).
    pub sheet: serde_json::Value,
}

/// The consent a delivery rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    /// When the consent was recorded (RFC 3339).
    pub recorded_at: DateTime<FixedOffset>,
    /// Where it was recorded.
    pub source: ConsentSource,
}

/// Where a consent was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentSource {
    /// Through the gateway's API.
    Api,
    /// In the source data the sheet came from.
    SourceData,
}

/// The answer to an accepted delivery (`201`, and `200` for a replay).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// `rcpt-<uuid>`.
    pub receipt_id: String,
    /// When the delivery was first received (RFC 3339, UTC).
    pub received_at: String,
    /// The delivery's idempotency key.
    pub idempotency_key: String,
}

/// One entry of `GET /v1/receipts` (no sheet contents).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptSummary {
    pub idempotency_key: String,
    pub receipt_id: String,
    pub received_at: String,
    pub sheet_id: String,
    pub sender: String,
}

/// `GET /v1/stats`: counters kept across restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Deliveries posted (every answered `POST /v1/deliveries` except `503`).
    pub requests: u64,
    /// Receipts stored (distinct idempotency keys).
    pub receipts: u64,
    /// Deliveries answered with an existing receipt (`200`).
    pub replays: u64,
    /// Deliveries refused (`4xx`).
    pub refused: u64,
}

/// A refusal: a stable code and a message in English and Japanese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub code: String,
    pub message: String,
    pub message_ja: String,
}
