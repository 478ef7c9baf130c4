//! One delivery, from request to receipt: headers, size, envelope, document, schema, store.
//!
//! The checks run from the cheapest to the dearest, and the first failure is the answer. Only
//! the outcome (code, idempotency key, receipt id) is logged, never the document.

use axum::Json;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kakehashi_envelope::{DecryptionKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::protocol::{
    DeliveryDocument, IDEMPOTENCY_HEADER, JOSE_CONTENT_TYPE, JSON_CONTENT_TYPE, MAX_BODY_BYTES,
    PROTOCOL, PROTOCOL_HEADER, PROTOCOL_VERSION, Receipt, is_valid_idempotency_key,
};
use crate::refusal::Refusal;
use crate::schema::SheetSchema;
use crate::store::{Accepted, Recorded, Store};

/// How the body of a delivery is to be read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    /// A compact JWE (`application/jose`).
    Sealed,
    /// The plain document (`application/json`), when encryption is not required.
    Plain,
}

/// Everything a delivery is checked against, and where it is recorded.
pub(crate) struct Intake {
    pub(crate) store: Store,
    pub(crate) schema: SheetSchema,
    pub(crate) decryption: DecryptionKey,
    pub(crate) senders: Vec<VerifyingKey>,
    pub(crate) require_encryption: bool,
}

impl Intake {
    /// Answers `POST /v1/deliveries`.
    pub(crate) async fn receive(&self, headers: &HeaderMap, body: Body) -> Response {
        let key = headers
            .get(IDEMPOTENCY_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|k| is_valid_idempotency_key(k))
            .unwrap_or("-");
        match self.accept(headers, body).await {
            Ok((status, receipt)) => {
                tracing::info!(
                    idempotency_key = key,
                    receipt_id = receipt.receipt_id,
                    replay = status == StatusCode::OK,
                    "delivery received"
                );
                (status, Json(receipt)).into_response()
            }
            Err(refusal) => {
                tracing::info!(
                    idempotency_key = key,
                    code = refusal.code(),
                    "delivery refused"
                );
                let counted = matches!(refusal, Refusal::Conflict | Refusal::Unavailable);
                if !counted && let Err(e) = self.store.count_refusal().await {
                    tracing::warn!(error = %e, "cannot count a refused delivery");
                }
                refusal.into_response()
            }
        }
    }

    async fn accept(
        &self,
        headers: &HeaderMap,
        body: Body,
    ) -> Result<(StatusCode, Receipt), Refusal> {
        let protocol = header_text(headers, PROTOCOL_HEADER);
        if protocol != Some(PROTOCOL_VERSION) {
            return Err(Refusal::Protocol(protocol.unwrap_or("(absent)").to_owned()));
        }
        let encoding = self.encoding(headers)?;
        let key = header_text(headers, IDEMPOTENCY_HEADER).ok_or(Refusal::MissingKey)?;
        if !is_valid_idempotency_key(key) {
            return Err(Refusal::InvalidKey);
        }
        let declared = header_text(headers, header::CONTENT_LENGTH.as_str())
            .and_then(|length| length.parse::<usize>().ok());
        if declared.is_some_and(|length| length > MAX_BODY_BYTES) {
            return Err(Refusal::TooLarge);
        }
        let body = axum::body::to_bytes(body, MAX_BODY_BYTES)
            .await
            .map_err(|_| Refusal::TooLarge)?;

        let (document, sender_key_id) = match encoding {
            Encoding::Sealed => {
                let envelope = std::str::from_utf8(&body)
                    .map_err(|_| Refusal::Malformed("the body is not UTF-8".into()))?;
                let opened =
                    kakehashi_envelope::open(envelope.trim(), &self.decryption, &self.senders)?;
                (opened.document, Some(opened.sender_key_id))
            }
            Encoding::Plain => (body.to_vec(), None),
        };
        let delivery: DeliveryDocument = serde_json::from_slice(&document)
            .map_err(|e| Refusal::Malformed(format!("delivery document: {e}")))?;
        if delivery.protocol != PROTOCOL {
            return Err(Refusal::Malformed(format!(
                "protocol is {:?}, expected {PROTOCOL:?}",
                delivery.protocol
            )));
        }
        if delivery.delivery_id != key {
            return Err(Refusal::KeyMismatch);
        }
        for (field, value) in [
            ("sheet_id", &delivery.sheet_id),
            ("sender", &delivery.sender),
        ] {
            if value.trim().is_empty() {
                return Err(Refusal::Malformed(format!("{field} is empty")));
            }
        }
        self.schema
            .check(&delivery.sheet)
            .map_err(Refusal::Schema)?;

        let accepted = Accepted {
            idempotency_key: key.to_owned(),
            document_sha256: hex::encode(Sha256::digest(&document)),
            document,
            sheet_id: delivery.sheet_id,
            sender: delivery.sender,
            sender_key_id,
        };
        match self.store.record(accepted).await {
            Ok(Recorded::New(receipt)) => Ok((StatusCode::CREATED, receipt)),
            Ok(Recorded::Replay(receipt)) => Ok((StatusCode::OK, receipt)),
            Ok(Recorded::Conflict) => Err(Refusal::Conflict),
            Err(e) => {
                tracing::warn!(error = %e, "cannot record a delivery");
                Err(Refusal::Unavailable)
            }
        }
    }

    /// Reads the content type: `application/jose`, or `application/json` when encryption is
    /// not required. Parameters (`; charset=…`) are ignored.
    fn encoding(&self, headers: &HeaderMap) -> Result<Encoding, Refusal> {
        let found = header_text(headers, header::CONTENT_TYPE.as_str()).unwrap_or("(absent)");
        let essence = found.split(';').next().unwrap_or_default().trim();
        if essence.eq_ignore_ascii_case(JOSE_CONTENT_TYPE) {
            Ok(Encoding::Sealed)
        } else if essence.eq_ignore_ascii_case(JSON_CONTENT_TYPE) && !self.require_encryption {
            Ok(Encoding::Plain)
        } else {
            Err(Refusal::ContentType(found.to_owned()))
        }
    }
}

fn header_text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}
