//! The delivery document: what the national DB receives inside the envelope
//! (`conformance/push/PROTOCOL.md`). Built from the stored sheet when it is sent, the same bytes
//! on every attempt, so that the receiver can tell a retry from a conflicting delivery.

use kakehashi_receiver::protocol::PROTOCOL;
use kakehashi_sdk::Sheet;
use serde::Serialize;

use crate::store::{ConsentSource, Delivery};

#[derive(Serialize)]
struct DeliveryDocument<'a> {
    protocol: &'static str,
    delivery_id: &'a str,
    sheet_id: &'a str,
    sender: &'a str,
    consent: ConsentClaim<'a>,
    sheet: &'a Sheet,
}

#[derive(Serialize)]
struct ConsentClaim<'a> {
    recorded_at: &'a str,
    source: ConsentSource,
}

/// The document for `delivery` of `sheet`, sent by organisation `sender`.
pub fn delivery_document(
    delivery: &Delivery,
    sender: &str,
    sheet: &Sheet,
) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(&DeliveryDocument {
        protocol: PROTOCOL,
        delivery_id: &delivery.id,
        sheet_id: &delivery.sheet_id,
        sender,
        consent: ConsentClaim {
            recorded_at: &delivery.consent_recorded_at,
            source: delivery.consent_source,
        },
        sheet,
    })
}
