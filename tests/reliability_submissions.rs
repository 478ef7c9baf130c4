//! The reliability suite: nothing acknowledged is lost when the gateway is killed. Several
//! clients, each on its own keep-alive mTLS connections, send distinct hospital exports to the
//! real binary while it is killed with SIGKILL at a moment drawn from a seeded generator, again
//! and again. After every restart each submission answered 202 in that cycle is read back and
//! must be what the 202 said (the same id, SHA-256 of the bytes sent, status, sheets and
//! findings); what was in flight when the process died is sent again, as a client would, and
//! must be answered 202 exactly once. At the end every acknowledged submission is read back
//! once more, a sheet of each holds the patient id that was sent, and the same bytes again are
//! a duplicate of the same submission.
//!
//! `KAKEHASHI_CRASH_CYCLES=200 cargo test --test reliability_submissions -- --nocapture` runs
//! more cycles than CI; `KAKEHASHI_CRASH_SEED` replays a failure.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use common::crash::{self, Chaos};
use common::exports::Exports;
use common::{Gateway, HOSPITAL, Session, post_csv, send};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};

const CLIENTS: usize = 4;
/// Rows per export: small, so that a cycle holds many submissions.
const ROWS: usize = 3;
/// Cycles in CI (`KAKEHASHI_CRASH_CYCLES` for more).
const CYCLES: usize = 30;
/// The longest a cycle runs before the kill, in milliseconds.
const LONGEST_CYCLE_MS: u64 = 1_500;

const SUBMIT: &str = "/v1/submissions?mapping=hospital-a";
const CONFIG: &str = "[security.terminal_requests_per_second]\nhospital = 100000\n";

/// What a client saw of one export.
enum Outcome {
    /// 202, with its body.
    Acknowledged(usize, Value),
    /// The connection died before an answer.
    Unanswered(usize),
}

/// Sends exports `next..` until the connection dies.
async fn client(session: Session, exports: Arc<Exports>, next: Arc<AtomicUsize>) -> Vec<Outcome> {
    let mut seen = Vec::new();
    loop {
        let n = next.fetch_add(1, Ordering::Relaxed);
        match submit(&session, exports.export(n, ROWS)).await {
            Some(body) => seen.push(Outcome::Acknowledged(n, body)),
            None => {
                seen.push(Outcome::Unanswered(n));
                return seen;
            }
        }
    }
}

/// Submits an export; its 202 body, or None when the connection died first. Any answer but
/// 202 fails the test: a crash must not turn into a refusal.
async fn submit(session: &Session, body: Vec<u8>) -> Option<Value> {
    let (status, body) = post_csv(session, SUBMIT, body).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    Some(body)
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Reads submission `n` back and compares it with its 202: everything but `duplicate` (a
/// property of that answer, not of the submission).
async fn read_back(session: &Session, exports: &Exports, n: usize, acknowledged: &Value) {
    let id = acknowledged["id"].as_str().unwrap();
    let (status, mut stored) = send(session.get(&format!("/v1/submissions/{id}"))).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "acknowledged submission #{n} ({id}) lost: {stored}"
    );
    let mut expected = acknowledged.clone();
    expected.as_object_mut().unwrap().remove("duplicate");
    stored.as_object_mut().unwrap().remove("duplicate");
    assert_eq!(stored, expected, "submission #{n} differs from its 202");
    assert_eq!(
        stored["sha256"],
        sha256_hex(&exports.export(n, ROWS)),
        "#{n}"
    );
    assert_eq!(stored["status"], "accepted", "#{n}");
    assert_eq!(stored["summary"]["sheets"], ROWS, "#{n}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_submissions_survive_sigkill_under_concurrent_clients() {
    let started = Instant::now();
    let mut chaos = Chaos::from_env("reliability_submissions");
    let cycles = crash::cycles(CYCLES);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::private_dir(&data);
    let mut gw = Gateway::start(&data, CONFIG);
    let mut clerk = gw.user("clerk-crash", HOSPITAL, "clerk", "hospital").await;
    let exports = Arc::new(Exports::hospital_a());
    let next = Arc::new(AtomicUsize::new(0));

    // Export number → its 202 body.
    let mut acknowledged: BTreeMap<usize, Value> = BTreeMap::new();
    let mut in_flight_at_kill = 0;
    let mut resent_as_duplicate = 0;
    for cycle in 0..cycles {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let mut session = clerk.clone();
                session.reconnect(&gw);
                tokio::spawn(client(session, exports.clone(), next.clone()))
            })
            .collect();
        tokio::time::sleep(chaos.pause(LONGEST_CYCLE_MS)).await;
        gw.kill();
        let mut this_cycle = Vec::new();
        let mut unanswered = Vec::new();
        for client in clients {
            for outcome in client.await.expect("a client task") {
                match outcome {
                    Outcome::Acknowledged(n, body) => this_cycle.push((n, body)),
                    Outcome::Unanswered(n) => unanswered.push(n),
                }
            }
        }
        in_flight_at_kill += unanswered.len();

        gw.restart();
        clerk.reconnect(&gw);
        for (n, body) in &this_cycle {
            read_back(&clerk, &exports, *n, body).await;
        }
        // The client's side of a crash: what got no answer is sent again, and is then either
        // new or the same submission finished at start-up; never lost, never twice.
        for n in unanswered {
            let body = submit(&clerk, exports.export(n, ROWS))
                .await
                .unwrap_or_else(|| panic!("cycle {cycle}: #{n} resent without an answer"));
            resent_as_duplicate += usize::from(body["duplicate"] == true);
            read_back(&clerk, &exports, n, &body).await;
            this_cycle.push((n, body));
        }
        for (n, body) in this_cycle {
            assert!(acknowledged.insert(n, body).is_none(), "#{n} twice");
        }
    }
    let sent = next.load(Ordering::Relaxed);
    // Every export sent got its 202, in its cycle or when resent.
    assert_eq!(acknowledged.len(), sent);
    assert!(
        acknowledged.len() >= cycles * 3,
        "too few submissions for the test to mean anything: {}",
        acknowledged.len()
    );

    // After the last restart, everything once more: each export is its own submission, a sheet
    // of each holds the patient id sent, and the same bytes again are that submission.
    let mut ids: HashMap<String, usize> = HashMap::new();
    for (n, body) in &acknowledged {
        read_back(&clerk, &exports, *n, body).await;
        let id = body["id"].as_str().unwrap();
        assert_eq!(ids.insert(id.to_owned(), *n), None, "#{n} shares {id}");
        let row = n % ROWS;
        let sheet_id = body["sheets"][row]["id"].as_str().unwrap();
        let (status, sheet) = send(clerk.get(&format!("/v1/sheets/{sheet_id}"))).await;
        assert_eq!(status, StatusCode::OK, "{sheet}");
        assert_eq!(
            sheet["sheet"]["patient"]["hospital_patient_id"],
            Exports::patient_id(*n, row),
            "#{n}, row {row}"
        );
        let again = submit(&clerk, exports.export(*n, ROWS)).await.unwrap();
        assert_eq!(again["id"], id, "#{n}");
        assert_eq!(again["duplicate"], true, "#{n}");
    }
    let log = gw.log();
    assert!(!log.contains("panicked"), "the gateway logged a panic");
    eprintln!(
        "reliability_submissions: {cycles} SIGKILL cycles, {CLIENTS} clients; {} submissions acknowledged and re-read ({in_flight_at_kill} in flight at a kill, resent: {resent_as_duplicate} had been finished at start-up); {:.0?}",
        acknowledged.len(),
        started.elapsed()
    );
}
