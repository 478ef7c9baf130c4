//! Consented sheets reach the national DB exactly once, proved against the real binary and the
//! reference receiver over real mutual TLS: CSV → confirmation → consent → receipt; a receiver
//! that is down gets everything when it returns; a permanent refusal is a dead letter until an
//! operator acts; a full disk answers 503 and loses nothing. SIGKILL during delivery is the
//! reliability suite's (`reliability_delivery.rs`).

mod common;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::time::{Duration, Instant};

use common::push::{
    CONFIG, SUBMIT, World, await_receipts, confirm, consent_in_data, deliveries, receipt_sheets,
    submit, world,
};
use common::{Gateway, HOSPITAL, Session, corpus, kakehashi, send};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn csv_confirmation_and_consent_reach_the_receiver_once_over_mutual_tls() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = world(dir.path(), "").await;
    let body = std::fs::read(corpus("hospital-a.csv")).unwrap();
    let (_, sheets) = submit(&w.doctor, body).await.expect("acknowledged");

    let mut in_data = HashMap::new();
    for (id, _) in &sheets {
        in_data.insert(id.clone(), consent_in_data(&w.doctor, id).await);
    }
    let clean: Vec<&String> = sheets
        .iter()
        .filter(|(_, e)| !e)
        .map(|(id, _)| id)
        .collect();
    let blank = clean
        .iter()
        .find(|id| in_data[**id].is_none())
        .expect("a sheet without consent in the data");
    let consented_in_data = clean
        .iter()
        .find(|id| in_data[**id] == Some(true))
        .expect("a sheet with consent in the data");

    // The officer answers before the doctor confirms: nothing is sent from a draft.
    let (status, view) = send(
        w.officer
            .post(&format!("/v1/sheets/{blank}/consent"))
            .json(&json!({"consented": true})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["outlook"], "awaiting_confirmation");
    let (_, view) = send(
        w.officer
            .post(&format!("/v1/sheets/{consented_in_data}/consent"))
            .json(&json!({"consented": false})),
    )
    .await;
    assert_eq!(view["outlook"], "not_sent", "{view}");
    // Only a municipal officer records consent.
    let (status, body) = send(
        w.doctor
            .post(&format!("/v1/sheets/{blank}/consent"))
            .json(&json!({"consented": true})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(receipt_sheets(&w.receiver).await.is_empty());

    for id in &clean {
        assert!(confirm(&w.doctor, id).await);
    }
    let mut expected: BTreeSet<String> = clean
        .iter()
        .filter(|id| in_data[**id] == Some(true))
        .map(|id| (*id).clone())
        .collect();
    expected.remove(*consented_in_data);
    expected.insert((*blank).clone());
    let received = await_receipts(&w.receiver, expected.len(), Duration::from_secs(60)).await;
    let received_set: BTreeSet<String> = received.iter().cloned().collect();
    assert_eq!(received.len(), received_set.len(), "a sheet arrived twice");
    assert_eq!(received_set, expected);
    assert!(received.len() > 20, "only {} delivered", received.len());
    let delivered = deliveries(&w.admin, "delivered").await;
    assert_eq!(delivered.len(), expected.len());
    assert!(delivered.iter().all(|d| d["receipt_id"].as_str().is_some()));

    // The receiver goes down; a consent recorded meanwhile waits, then arrives.
    w.receiver.stop();
    let late = clean
        .iter()
        .find(|id| in_data[**id] == Some(false))
        .expect("a sheet refused in the data");
    let (_, view) = send(
        w.officer
            .post(&format!("/v1/sheets/{late}/consent"))
            .json(&json!({"consented": true})),
    )
    .await;
    assert_eq!(view["outlook"], "enqueued", "{view}");
    let delivery_id = view["delivery"]["id"].as_str().unwrap().to_owned();
    let started = Instant::now();
    loop {
        let (_, d) = send(w.admin.get(&format!("/v1/deliveries/{delivery_id}"))).await;
        if d["attempts"].as_u64().unwrap_or(0) >= 2 {
            assert_eq!(d["status"], "pending", "{d}");
            assert!(d["last_error"].as_str().unwrap().contains("connect"), "{d}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no retries: {d}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    w.receiver.start_again();
    let received = await_receipts(&w.receiver, expected.len() + 1, Duration::from_secs(30)).await;
    assert!(received.contains(late), "the late consent never arrived");
    assert_eq!(w.receiver.stats().await["receipts"], expected.len() + 1);

    // Metrics and the audit trail saw it.
    let metrics = w.gw.metrics().await;
    assert!(
        metrics.contains("kakehashi_deliveries_delivered_total"),
        "{metrics}"
    );
    assert!(
        metrics.contains("kakehashi_delivery_retries_total"),
        "{metrics}"
    );
    assert!(
        metrics.contains("kakehashi_delivery_latency_seconds_bucket"),
        "{metrics}"
    );
    let (_, audit) = send(w.admin.get("/v1/audit?action=delivery.send&limit=1000")).await;
    assert_eq!(
        audit.as_array().unwrap().len(),
        expected.len() + 1,
        "one audit record per delivery"
    );
}

/// A world whose gateway signs with a key the national DB does not know, so every delivery is
/// refused for good; the `signing_key` line of its configuration.
async fn refused_world(dir: &Path) -> (World, String) {
    let stranger = dir.join("stranger-keys");
    kakehashi_envelope::generate_dev_keys(&stranger).unwrap();
    let signing = stranger.join(kakehashi_envelope::SIGNING_KEY_FILE);
    let line = format!("signing_key = \"{}\"\n", signing.display());
    (world(dir, &line).await, line)
}

/// Submits the hospital CSV and confirms `count` sheets whose data carry consent.
async fn confirm_consented(doctor: &Session, count: usize) {
    let body = std::fs::read(corpus("hospital-a.csv")).unwrap();
    let (_, sheets) = submit(doctor, body).await.unwrap();
    let mut consented = Vec::new();
    for (id, errors) in &sheets {
        if !errors && consent_in_data(doctor, id).await == Some(true) {
            consented.push(id.clone());
            if consented.len() == count {
                break;
            }
        }
    }
    for id in &consented {
        assert!(confirm(doctor, id).await);
    }
}

#[tokio::test]
async fn a_permanent_refusal_is_a_dead_letter_until_an_operator_acts() {
    let dir = tempfile::tempdir().unwrap();
    let (w, signing_line) = refused_world(dir.path()).await;
    confirm_consented(&w.doctor, 2).await;
    let started = Instant::now();
    let dead = loop {
        let dead = deliveries(&w.admin, "dead").await;
        if dead.len() == 2 {
            break dead;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{dead:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for d in &dead {
        assert_eq!(d["attempts"], 1, "a permanent refusal is not retried: {d}");
        let reason = d["last_error"].as_str().unwrap();
        assert!(reason.contains("400 payload.unknown_sender"), "{reason}");
    }
    assert_eq!(w.receiver.stats().await["receipts"], 0);

    // The operator fixes the key and retries one dead letter from the command line, and
    // discards the other through the API.
    let config = std::fs::read_to_string(w.gw.config()).unwrap();
    std::fs::write(w.gw.config(), config.replace(&signing_line, "")).unwrap();
    let World {
        mut gw,
        receiver,
        mut doctor,
        mut admin,
        ..
    } = w;
    gw.restart();
    doctor.reconnect(&gw);
    admin.reconnect(&gw);
    let listed = kakehashi(&["deliveries", "list", "--status", "dead"], gw.config());
    assert_eq!(listed.lines().count(), 2, "{listed}");
    let retried = dead[0]["id"].as_str().unwrap();
    let discarded = dead[1]["id"].as_str().unwrap();
    let out = kakehashi(&["deliveries", "retry", retried], gw.config());
    assert!(out.contains("pending"), "{out}");
    let (status, d) = send(admin.post(&format!("/v1/deliveries/{discarded}/discard"))).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["status"], "discarded");
    let (status, again) = send(admin.post(&format!("/v1/deliveries/{discarded}/retry"))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(again["code"], "delivery.not_dead");
    // Deliveries are for operators only.
    let (status, _) = send(doctor.get("/v1/deliveries")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let received = await_receipts(&receiver, 1, Duration::from_secs(30)).await;
    assert_eq!(
        received,
        vec![dead[0]["sheet_id"].as_str().unwrap().to_owned()]
    );
}

/// Runs one statement on the gateway's database from outside, as an attacker or a failing
/// disk would.
async fn on_database(data_dir: &Path, statement: &str) {
    let mut conn = common::database(data_dir).await;
    sqlx::query(statement).execute(&mut conn).await.unwrap();
}

#[tokio::test]
async fn a_dead_letter_is_never_left_without_its_audit_record() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (w, _) = refused_world(dir.path()).await;
    // The audit record of a dead letter cannot be written: the dead letter must not be either.
    let (refuse, allow) = if common::on_postgres() {
        on_database(
            &data,
            "CREATE FUNCTION test_refuse_dead() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN IF NEW.outcome = 'dead' THEN RAISE EXCEPTION 'test: audit refused'; END IF; RETURN NEW; END $$",
        )
        .await;
        (
            "CREATE TRIGGER test_refuse_dead BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION test_refuse_dead()",
            "DROP TRIGGER test_refuse_dead ON audit_events",
        )
    } else {
        (
            "CREATE TRIGGER test_refuse_dead BEFORE INSERT ON audit_events WHEN NEW.outcome = 'dead'
             BEGIN SELECT RAISE(ABORT, 'test: audit refused'); END",
            "DROP TRIGGER test_refuse_dead",
        )
    };
    on_database(&data, refuse).await;
    confirm_consented(&w.doctor, 1).await;
    let started = Instant::now();
    while !w
        .gw
        .log()
        .contains("outbox: store failure during a delivery")
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{}",
            w.gw.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let dead = deliveries(&w.admin, "dead").await;
    assert!(dead.is_empty(), "dead letters without audit: {dead:?}");

    on_database(&data, allow).await;
    let started = Instant::now();
    while deliveries(&w.admin, "dead").await.is_empty() {
        assert!(started.elapsed() < Duration::from_secs(30));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, records) = send(w.admin.get("/v1/audit?outcome=dead")).await;
    assert_eq!(status, StatusCode::OK, "{records}");
    assert_eq!(records.as_array().unwrap().len(), 1, "{records}");
}

/// A tmpfs of `megabytes`, unmounted when dropped.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(path: &Path, megabytes: u32) -> Self {
        std::fs::create_dir_all(path).unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(path)
            .status()
            .expect("mount runs");
        assert!(
            status.success(),
            "mounting a {megabytes} MB tmpfs at {} failed: this test needs root (as CI has)",
            path.display()
        );
        Self(path.to_owned())
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[tokio::test]
async fn a_full_disk_answers_503_and_loses_nothing_acknowledged() {
    if common::on_postgres() {
        // The disk that fills here is the data directory's, which holds the embedded store only.
        eprintln!("skipped on PostgreSQL: the store is not on the data directory's disk");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let disk = SmallDisk::mount(&dir.path().join("disk"), 8);
    let data = disk.0.join("data");
    let mut gw = Gateway::start(&data, CONFIG);
    let mut doctor = gw.user("dr1", HOSPITAL, "doctor", "hospital").await;
    let csv = std::fs::read_to_string(corpus("hospital-a.csv")).unwrap();
    let mut lines = csv.split_inclusive("\r\n");
    let header = lines.next().unwrap().to_owned();
    let rows: Vec<String> = lines.map(str::to_owned).collect();

    // Fill the disk but for a little room, then submit until the store refuses.
    let filler = disk.0.join("filler");
    let free = fs_free(&disk.0);
    std::fs::write(&filler, vec![0u8; free.saturating_sub(300 * 1024) as usize]).unwrap();
    let mut acknowledged = Vec::new();
    let mut refused = None;
    for (i, row) in rows.iter().enumerate() {
        let response = doctor
            .post(SUBMIT)
            .header("content-type", "text/csv")
            .body(format!("{header}{row}"))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            acknowledged.push(body["id"].as_str().unwrap().to_owned());
        } else {
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "row {i}: {body}");
            assert_eq!(body["code"], "store.unavailable", "{body}");
            assert!(
                body["message_ja"].as_str().unwrap().contains("再送"),
                "{body}"
            );
            refused = Some(row.clone());
            break;
        }
    }
    let refused = refused.expect("the disk never filled up");
    assert!(!acknowledged.is_empty());

    // Still alive, and everything acknowledged is there.
    let (status, _) = send(gw.client(Some("hospital")).get(gw.url("/v1/healthz"))).await;
    assert!(status.is_success() || status == StatusCode::SERVICE_UNAVAILABLE);
    std::fs::remove_file(&filler).unwrap();
    for id in &acknowledged {
        let (status, s) = send(doctor.get(&format!("/v1/submissions/{id}"))).await;
        assert_eq!(status, StatusCode::OK, "{s}");
        assert_eq!(s["status"], "accepted");
    }
    // With room again the refused submission goes through, and a restart loses nothing.
    let (status, body) = send(
        doctor
            .post(SUBMIT)
            .header("content-type", "text/csv")
            .body(format!("{header}{refused}")),
    )
    .await;
    assert!(status.is_success(), "{status} {body}");
    gw.restart();
    doctor.reconnect(&gw);
    for id in &acknowledged {
        let (status, _) = send(doctor.get(&format!("/v1/submissions/{id}"))).await;
        assert_eq!(status, StatusCode::OK);
    }
    gw.kill();
    drop(disk);
}

/// Free bytes on the filesystem holding `path`.
fn fs_free(path: &Path) -> u64 {
    let out = std::process::Command::new("df")
        .args(["--output=avail", "-B1"])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .unwrap()
}
