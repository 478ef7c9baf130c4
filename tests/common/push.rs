//! A gateway that pushes to the reference receiver (the national-DB stand-in) over mutual
//! TLS, with the people who move a sheet there: tests of delivery and its crash loop share it.

use std::path::Path;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use super::{Gateway, HOSPITAL, Receiver, Session, post_csv, send};

/// Submissions for the development municipality (地方公共団体コード 130001).
pub const SUBMIT: &str = "/v1/submissions?mapping=hospital-a&municipality=130001";

/// Fast retries, generous rates: tests must not wait minutes.
pub const CONFIG: &str = "[security]\nrequests_per_second_per_terminal = 5000\nrequests_per_second_per_address = 5000\n[push]\ninitial_backoff_ms = 100\nmax_backoff_seconds = 1\n";

/// A gateway pushing to a reference receiver, with a doctor, a municipal officer and an
/// administrator logged in.
pub struct World {
    pub gw: Gateway,
    pub receiver: Receiver,
    pub doctor: Session,
    pub officer: Session,
    pub admin: Session,
}

pub async fn world(dir: &Path, push_lines: &str) -> World {
    world_reaching(dir, push_lines, Receiver::endpoint).await
}

/// A world whose gateway reaches the receiver at the endpoint `endpoint` makes of it (through
/// a [`super::link::Link`], say).
pub async fn world_reaching(
    dir: &Path,
    push_lines: &str,
    endpoint: impl FnOnce(&Receiver) -> String,
) -> World {
    let mut gw = Gateway::start(&dir.join("data"), CONFIG);
    let receiver = gw.start_receiver(&dir.join("receiver"));
    gw.configure(&format!(
        "endpoint = \"{}\"\n{push_lines}",
        endpoint(&receiver)
    ));
    gw.restart();
    let doctor = gw.user("dr1", HOSPITAL, "doctor", "hospital").await;
    let officer = gw.officer("officer1").await;
    let admin = gw.admin("admin1").await;
    World {
        gw,
        receiver,
        doctor,
        officer,
        admin,
    }
}

/// Submits CSV bytes for the development municipality; the sheet ids, or None when the
/// submission was not acknowledged.
pub async fn submit(session: &Session, body: Vec<u8>) -> Option<(String, Vec<(String, bool)>)> {
    let (status, submission) = post_csv(session, SUBMIT, body).await?;
    if !status.is_success() {
        eprintln!("submission not acknowledged: {status} {submission}");
        return None;
    }
    let sheets = submission["sheets"]
        .as_array()?
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap_or_default().to_owned(),
                s["has_errors"].as_bool().unwrap_or(true),
            )
        })
        .collect();
    Some((submission["id"].as_str()?.to_owned(), sheets))
}

/// Confirms a sheet; whether the gateway acknowledged it (409: confirmed already).
pub async fn confirm(doctor: &Session, id: &str) -> bool {
    match doctor
        .post(&format!("/v1/sheets/{id}/confirm"))
        .send()
        .await
    {
        Ok(r) => r.status().is_success() || r.status() == StatusCode::CONFLICT,
        Err(_) => false,
    }
}

/// A municipal officer records the patient's answer on research use; the status and the
/// consent view (its `outlook` says what the national DB will get).
pub async fn record_consent(officer: &Session, id: &str, consented: bool) -> (StatusCode, Value) {
    send(
        officer
            .post(&format!("/v1/sheets/{id}/consent"))
            .json(&serde_json::json!({ "consented": consented })),
    )
    .await
}

/// The consent the sheet's source data carried.
pub async fn consent_in_data(session: &Session, id: &str) -> Option<bool> {
    let (status, view) = send(session.get(&format!("/v1/sheets/{id}"))).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    view["sheet"]["administrative"]["research_consent"].as_bool()
}

pub async fn receipt_sheets(receiver: &Receiver) -> Vec<String> {
    receiver
        .receipts()
        .await
        .iter()
        .map(|r| r["sheet_id"].as_str().unwrap().to_owned())
        .collect()
}

/// Waits until the receiver holds `count` receipts (or panics after `limit`).
pub async fn await_receipts(receiver: &Receiver, count: usize, limit: Duration) -> Vec<String> {
    let started = Instant::now();
    loop {
        let sheets = receipt_sheets(receiver).await;
        if sheets.len() >= count || started.elapsed() > limit {
            return sheets;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn deliveries(admin: &Session, status: &str) -> Vec<Value> {
    let (code, body) = send(admin.get(&format!("/v1/deliveries?status={status}&limit=1000"))).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    body.as_array().unwrap().clone()
}
