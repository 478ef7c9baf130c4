//! Several gateway instances on one PostgreSQL database, one of them killed again and again:
//! three real gateways share the database, the data key and the development PKI (each has its
//! own data directory, as each machine of a deployment has), and push to one reference
//! receiver. A load generator, as people behind a load balancer, submits hospital exports,
//! records each sheet's consent and confirms it — every request sent to the next instance in
//! turn, and repeated on the next one when it gets no answer — while the test kills a random
//! instance with SIGKILL at a random moment and starts it again, cycle after cycle.
//!
//! At the end: every acknowledged submission reads the same from every instance; the receiver
//! holds every consented, confirmed sheet exactly once and nothing refused; every delivery is
//! delivered with the receipt the receiver gave; `audit verify` finds the chain intact; and no
//! delivery is left claimed.
//!
//! Runs on PostgreSQL only (`KAKEHASHI_TEST_DATABASE_URL`): SQLite is one process's file.
//! `KAKEHASHI_CRASH_CYCLES` runs more kills than CI's 20; `KAKEHASHI_CRASH_SEED` replays.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::crash::{self, Chaos};
use common::exports::Exports;
use common::instances::another_instance;
use common::push::{CONFIG, SUBMIT, await_receipts, deliveries};
use common::{Session, kakehashi, send};
use reqwest::StatusCode;
use serde_json::{Value, json};

const INSTANCES: usize = 3;
/// Kills in CI (`KAKEHASHI_CRASH_CYCLES` for more).
const KILLS: usize = 20;
/// Rows per export.
const ROWS: usize = 4;

/// The people of the load, as sessions that any instance honours (sessions are in the shared
/// database), and the instances' addresses (a restart keeps its port).
#[derive(Clone)]
struct Load {
    bases: Arc<Vec<String>>,
    doctor: Session,
    officer: Session,
}

impl Load {
    /// Sends what `request` builds to instance after instance, from `first` on, until one
    /// answers with a status `done` accepts (an instance being killed answers nothing).
    async fn until_answered(
        &self,
        first: usize,
        person: &Session,
        request: impl Fn(&Session) -> reqwest::RequestBuilder,
        done: impl Fn(StatusCode) -> bool,
    ) -> Value {
        for turn in 0.. {
            let base = &self.bases[(first + turn) % self.bases.len()];
            let at = person.at(base);
            if let Ok(response) = request(&at).send().await {
                let status = response.status();
                let body = response.json().await.unwrap_or(Value::Null);
                if done(status) {
                    return body;
                }
                assert!(
                    status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS,
                    "{status}: {body}"
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        unreachable!()
    }

    /// One export through the instances: submitted, then each sheet without errors given the
    /// officer's answer (consent for even rows, refusal for odd) before the doctor confirms
    /// it, so that what is due is settled before anything can be sent. Returns the
    /// submission's id and each such sheet's answer.
    async fn one_export(&self, n: usize, export: Vec<u8>) -> (String, Vec<(String, bool)>) {
        let submission = self
            .until_answered(
                n,
                &self.doctor,
                |s| {
                    s.post(SUBMIT)
                        .header("content-type", "text/csv")
                        .body(export.clone())
                },
                |status| status == StatusCode::ACCEPTED,
            )
            .await;
        let mut answers = Vec::new();
        for (row, sheet) in submission["sheets"].as_array().unwrap().iter().enumerate() {
            if sheet["has_errors"] != false {
                continue;
            }
            let id = sheet["id"].as_str().unwrap().to_owned();
            let consented = row % 2 == 0;
            let consent = format!("/v1/sheets/{id}/consent");
            self.until_answered(
                n + 1,
                &self.officer,
                |s| s.post(&consent).json(&json!({ "consented": consented })),
                |status| status == StatusCode::OK,
            )
            .await;
            let confirm = format!("/v1/sheets/{id}/confirm");
            self.until_answered(
                n + 2,
                &self.doctor,
                |s| s.post(&confirm),
                // 409: confirmed already, by an attempt whose answer was lost in a kill.
                |status| status.is_success() || status == StatusCode::CONFLICT,
            )
            .await;
            answers.push((id, consented));
        }
        (submission["id"].as_str().unwrap().to_owned(), answers)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_on_one_database_lose_nothing_and_send_nothing_twice_when_one_dies() {
    if !common::on_postgres() {
        eprintln!("skipped: several instances share a PostgreSQL database only");
        return;
    }
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let first = common::push::world(dir.path(), "").await;
    let endpoint = first.receiver.endpoint();
    let mut instances = vec![first.gw];
    for i in 1..INSTANCES {
        let config = format!("{CONFIG}endpoint = \"{endpoint}\"\n");
        let next = another_instance(dir.path(), &instances[0], i, &config);
        instances.push(next);
    }
    let load = Load {
        bases: Arc::new(instances.iter().map(|g| g.base.clone()).collect()),
        doctor: first.doctor,
        officer: first.officer,
    };

    // The load runs until told to stop; the kills meanwhile.
    let stop = Arc::new(AtomicBool::new(false));
    let exports = Arc::new(Exports::hospital_a());
    let generator = {
        let (load, stop, exports) = (load.clone(), stop.clone(), exports.clone());
        tokio::spawn(async move {
            let mut done = Vec::new();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                done.push(load.one_export(n, exports.export(n, ROWS)).await);
                n += 1;
            }
            done
        })
    };
    let mut chaos = Chaos::from_env("multi_instance");
    let kills = crash::cycles(KILLS);
    for _ in 0..kills {
        tokio::time::sleep(Duration::from_millis(200) + chaos.pause(800)).await;
        let victim = chaos.below(INSTANCES as u64) as usize;
        instances[victim].kill();
        tokio::time::sleep(chaos.pause(300)).await;
        instances[victim].restart();
    }
    stop.store(true, Ordering::Relaxed);
    let done = generator.await.unwrap();

    let expected: BTreeSet<String> = done
        .iter()
        .flat_map(|(_, answers)| answers.iter())
        .filter(|(_, consented)| *consented)
        .map(|(id, _)| id.clone())
        .collect();
    let refused: BTreeSet<String> = done
        .iter()
        .flat_map(|(_, answers)| answers.iter())
        .filter(|(_, consented)| !*consented)
        .map(|(id, _)| id.clone())
        .collect();
    assert!(!expected.is_empty() && !refused.is_empty(), "{done:?}");

    // Every consented, confirmed sheet arrives once; nothing refused does.
    let received = await_receipts(&first.receiver, expected.len(), Duration::from_secs(120)).await;
    let mut times: BTreeMap<&str, usize> = BTreeMap::new();
    for sheet in &received {
        *times.entry(sheet).or_default() += 1;
    }
    let twice: Vec<_> = times.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "received more than once: {twice:?}");
    let received: BTreeSet<String> = received.into_iter().collect();
    let missing: Vec<_> = expected.difference(&received).collect();
    assert!(missing.is_empty(), "never received: {missing:?}");
    let unconsented: Vec<_> = received.intersection(&refused).collect();
    assert!(
        unconsented.is_empty(),
        "received without consent: {unconsented:?}"
    );

    // The outbox agrees, receipt by receipt, from any instance; nothing is left claimed.
    let admin = first.admin;
    let receipts: BTreeMap<String, String> = first
        .receiver
        .receipts()
        .await
        .iter()
        .map(|r| {
            (
                r["sheet_id"].as_str().unwrap().to_owned(),
                r["receipt_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let delivered = deliveries(&admin.at(&load.bases[1]), "delivered").await;
    assert_eq!(delivered.len(), expected.len());
    for delivery in &delivered {
        let sheet = delivery["sheet_id"].as_str().unwrap();
        assert_eq!(
            delivery["receipt_id"].as_str(),
            receipts.get(sheet).map(String::as_str),
            "{delivery}"
        );
    }
    let mut conn = common::database(&instances[0].data_dir).await;
    let claimed: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE lease_owner IS NOT NULL")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(claimed, 0, "deliveries left claimed");

    // Every acknowledged submission reads the same from every instance.
    for (submission, _) in &done {
        for base in load.bases.iter() {
            let (status, view) = send(
                load.doctor
                    .at(base)
                    .get(&format!("/v1/submissions/{submission}")),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{base}: {view}");
            assert_eq!(view["status"], "accepted", "{base}: {view}");
        }
    }

    let verified = kakehashi(&["audit", "verify"], instances[2].config());
    assert!(verified.contains("the chain is intact"), "{verified}");
    for gw in &instances {
        assert!(!gw.log().contains("panicked"), "{}", gw.log());
    }
    let stats = first.receiver.stats().await;
    eprintln!(
        "multi_instance: {INSTANCES} instances, {kills} SIGKILLs, {} submissions, {} sheets delivered once, {} refused and never sent, {} deliveries sent again and answered from the receipt; {:.0?}",
        done.len(),
        expected.len(),
        refused.len(),
        stats["replays"],
        started.elapsed()
    );
}
