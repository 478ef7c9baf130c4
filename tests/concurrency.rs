//! Under concurrent load, every submission is answered and none is left half done: 16 clients,
//! each on its own keep-alive mTLS connections, send 2,000 distinct ten-row hospital exports to
//! the real binary; every answer must be 202, the gateway must log no panic, and every
//! acknowledged submission must read back `accepted` with its ten sheets.
//!
//! The hospital's terminal is configured as an integration engine with a rate of its own, as a
//! real deployment would; the rate limit is not what is under test here.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::exports::Exports;
use common::{Gateway, HOSPITAL, Session, send};
use reqwest::StatusCode;
use serde_json::Value;

const CLIENTS: usize = 16;
const SUBMISSIONS: usize = 2_000;
const ROWS: usize = 10;

const CONFIG: &str = "[security.terminal_requests_per_second]\nhospital = 100000\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_thousand_submissions_from_sixteen_clients_are_all_answered_and_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::private_dir(&data);
    let gw = Gateway::start(&data, CONFIG);
    let clerk = gw.user("clerk-load", HOSPITAL, "clerk", "hospital").await;

    let exports = Exports::hospital_a();
    let bodies: Vec<Vec<u8>> = (0..SUBMISSIONS).map(|n| exports.export(n, ROWS)).collect();
    let distinct: HashSet<&Vec<u8>> = bodies.iter().collect();
    assert_eq!(distinct.len(), SUBMISSIONS, "every body is distinct");
    let bodies = Arc::new(bodies);

    let next = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        // Each client has its own connection pool: its own keep-alive TLS connections.
        let mut session: Session = clerk.clone();
        session.reconnect(&gw);
        let bodies = bodies.clone();
        let next = next.clone();
        clients.push(tokio::spawn(async move {
            let mut answers: Vec<(usize, StatusCode, Value)> = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= SUBMISSIONS {
                    return answers;
                }
                let (status, body) = send(
                    session
                        .post("/v1/submissions?mapping=hospital-a")
                        .header("content-type", "text/csv")
                        .body(bodies[n].clone()),
                )
                .await;
                answers.push((n, status, body));
            }
        }));
    }
    let mut answers = Vec::new();
    for client in clients {
        answers.extend(client.await.expect("a client task"));
    }
    assert_eq!(answers.len(), SUBMISSIONS);
    let refused: Vec<String> = answers
        .iter()
        .filter(|(_, status, _)| *status != StatusCode::ACCEPTED)
        .map(|(n, status, body)| format!("#{n}: {status} {body}"))
        .take(5)
        .collect();
    assert!(refused.is_empty(), "not every answer was 202: {refused:?}");

    let log = gw.log();
    assert!(
        !log.contains("panicked"),
        "the gateway logged a panic:\n{log}"
    );

    // Every acknowledged submission is there, finished, with its sheets.
    let ids: HashSet<String> = answers
        .iter()
        .map(|(_, _, body)| body["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), SUBMISSIONS, "one submission per distinct body");
    for (n, _, body) in &answers {
        assert_eq!(body["status"], "accepted", "#{n}: {body}");
        assert_eq!(body["summary"]["sheets"], ROWS, "#{n}");
    }
    let mut stored = 0;
    for id in &ids {
        let (status, body) = send(clerk.get(&format!("/v1/submissions/{id}"))).await;
        assert_eq!(status, StatusCode::OK, "{id}: {body}");
        assert_eq!(body["status"], "accepted", "{id}: {body}");
        assert_eq!(body["sheets"].as_array().map(Vec::len), Some(ROWS), "{id}");
        stored += 1;
    }
    assert_eq!(stored, SUBMISSIONS);
    let metrics = gw.metrics().await;
    assert!(
        metrics.contains("kakehashi_panics_total 0"),
        "{}",
        metrics
            .lines()
            .filter(|l| l.contains("panics"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[tokio::test]
async fn a_terminal_over_its_rate_is_told_when_to_come_back() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::private_dir(&data);
    let gw = Gateway::start(
        &data,
        "[security]\nrequests_per_second_per_terminal = 1\nrequests_per_second_per_address = 1000\n",
    );
    let client = gw.client(Some("municipality"));
    let mut limited = None;
    for _ in 0..10 {
        let response = client.get(gw.url("/v1/healthz")).send().await.unwrap();
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(response);
            break;
        }
    }
    let response = limited.expect("a burst of ten at one per second is limited");
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "Retry-After {retry_after}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "security.rate_limited");
    // Waiting as told is enough.
    tokio::time::sleep(std::time::Duration::from_secs(retry_after)).await;
    let again = client.get(gw.url("/v1/healthz")).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
}
