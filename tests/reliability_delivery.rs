//! The reliability suite: SIGKILL during delivery to the national DB sends nothing twice and
//! nothing without consent, loses nothing acknowledged, and the gateway never says a sheet was
//! not sent when it was. The real gateway pushes to the reference receiver over mutual TLS
//! while, cycle after cycle, a hospital submits an export, a designated doctor confirms its
//! sheets and a municipal officer records consent (given where the data had none or a
//! refusal, refused before confirmation where the data consented, and withdrawn right after a
//! restart for a sheet that was due, racing the outbox), and the gateway is killed at a moment
//! drawn from a seeded generator: half the time during that work, half in the burst of
//! deliveries after an outage of the national DB. After each restart the client side repeats
//! what got no answer, as people would.
//!
//! At the end the receiver must hold every confirmed sheet whose final answer is consent, once
//! each, and nothing that never had consent; the gateway's outbox must agree with it receipt by
//! receipt, except that a delivery withdrawn while an attempt had no answer may be at the
//! receiver and must then say it may be; a withdrawal answered `not_sent` must never have
//! arrived; the audit trail holds one record per delivery and per possible one, and verifies.
//!
//! `KAKEHASHI_CRASH_CYCLES=200 cargo test --test reliability_delivery -- --nocapture` runs
//! more cycles than CI; `KAKEHASHI_CRASH_SEED` replays a failure.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use common::crash::{self, Chaos};
use common::exports::Exports;
use common::link::Link;
use common::push::{
    World, await_receipts, confirm, deliveries, record_consent, submit, world, world_reaching,
};
use common::{Session, kakehashi, send};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Cycles in CI (`KAKEHASHI_CRASH_CYCLES` for more).
const CYCLES: usize = 40;
/// Rows per export.
const ROWS: usize = 10;
/// The longest a cycle runs before the kill, in milliseconds (its work takes about 300).
const LONGEST_CYCLE_MS: u64 = 400;
/// The longest the burst after an outage runs before the kill, in milliseconds.
const BURST_MS: u64 = 60;

/// One request a person makes about a sheet.
#[derive(Debug, Clone)]
enum Act {
    /// The doctor confirms it.
    Confirm(String),
    /// The officer records the patient's answer.
    Consent(String, bool),
}

impl Act {
    /// Whether the gateway acknowledged it (a confirmation answered 409 was acknowledged
    /// before).
    async fn perform(&self, doctor: &Session, officer: &Session) -> bool {
        match self {
            Act::Confirm(id) => confirm(doctor, id).await,
            Act::Consent(id, consented) => officer
                .post(&format!("/v1/sheets/{id}/consent"))
                .json(&json!({ "consented": consented }))
                .send()
                .await
                .is_ok_and(|r| r.status() == StatusCode::OK),
        }
    }
}

/// What the test knows of one sheet.
#[derive(Debug)]
struct Fate {
    /// The answer that counts now: the officer's last, else the one in the data.
    consent: Option<bool>,
    /// Whether it ever had consent (so it may have been sent before a withdrawal).
    ever_consented: bool,
    confirmed: bool,
}

/// How far a cycle got before the kill.
#[derive(Default)]
struct Progress {
    submission: Option<(String, Vec<(String, bool)>)>,
    acts: usize,
}

/// The acts on export `n`'s sheets, in order: refusals before confirmation (where the data
/// consented: the officer's word outranks it), confirmations, then consents given where the
/// data had none or a refusal. Which sheets depends on `n` only, so a retry plans the same.
fn acts_on(exports: &Exports, n: usize, sheets: &[(String, bool)]) -> Vec<Act> {
    let clean = || {
        sheets
            .iter()
            .enumerate()
            .filter(|(_, (_, errors))| !errors)
            .map(|(r, (id, _))| (r, id.clone(), exports.research_consent(n, r)))
    };
    let refuse = clean()
        .filter(|(r, _, data)| *data == Some(true) && (n + r).is_multiple_of(4))
        .map(|(_, id, _)| Act::Consent(id, false));
    let confirm = clean().map(|(_, id, _)| Act::Confirm(id));
    let give = clean()
        .filter(|(r, _, data)| match data {
            None => (n + r).is_multiple_of(2),
            Some(false) => (n + r).is_multiple_of(3),
            Some(true) => false,
        })
        .map(|(_, id, _)| Act::Consent(id, true));
    refuse.chain(confirm).chain(give).collect()
}

/// Submits export `n` and performs its acts until the connection dies; how far it got.
async fn run(
    doctor: Session,
    officer: Session,
    exports: std::sync::Arc<Exports>,
    n: usize,
) -> Progress {
    let mut progress = Progress::default();
    let Some(submission) = submit(&doctor, exports.export(n, ROWS)).await else {
        return progress;
    };
    let acts = acts_on(&exports, n, &submission.1);
    progress.submission = Some(submission);
    for act in &acts {
        if !act.perform(&doctor, &officer).await {
            return progress;
        }
        progress.acts += 1;
    }
    progress
}

/// Records an acknowledged act in what the test knows.
fn note(fates: &mut BTreeMap<String, Fate>, act: &Act) {
    match act {
        Act::Confirm(id) => fates.get_mut(id).unwrap().confirmed = true,
        Act::Consent(id, consented) => {
            let fate = fates.get_mut(id).unwrap();
            fate.consent = Some(*consented);
            fate.ever_consented |= consented;
        }
    }
}

/// Due for the national DB as far as the test knows: confirmed, with consent.
fn due(fate: &Fate) -> bool {
    fate.confirmed && fate.consent == Some(true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_during_delivery_sends_nothing_twice_or_without_consent() {
    let started = Instant::now();
    let mut chaos = Chaos::from_env("reliability_delivery");
    let cycles = crash::cycles(CYCLES);
    let dir = tempfile::tempdir().unwrap();
    let mut w: World = world(dir.path(), "").await;
    let exports = std::sync::Arc::new(Exports::hospital_a());

    let mut fates: BTreeMap<String, Fate> = BTreeMap::new();
    let mut submissions: Vec<String> = Vec::new();
    let mut kills_with_deliveries_outstanding = 0;
    // What the officer was told when withdrawing: delivered, not_sent or possibly_delivered.
    let mut told: BTreeMap<String, String> = BTreeMap::new();
    for cycle in 0..cycles {
        // Half the cycles die at a random moment of the people's work, with deliveries
        // trailing it; the other half in the burst that follows an outage of the national DB.
        let outage = chaos.below(2) == 0;
        let before = w.receiver.stats().await["receipts"].clone();
        if outage {
            w.receiver.stop();
        }
        let work = tokio::spawn(run(
            w.doctor.clone(),
            w.officer.clone(),
            exports.clone(),
            cycle,
        ));
        if outage {
            while !work.is_finished() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            w.receiver.start_again();
            let waiting = Instant::now();
            while w.receiver.stats().await["receipts"] == before
                && waiting.elapsed() < Duration::from_secs(3)
            {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            tokio::time::sleep(chaos.pause(BURST_MS)).await;
        } else {
            tokio::time::sleep(chaos.pause(LONGEST_CYCLE_MS)).await;
        }
        w.gw.kill();
        let progress = work.await.expect("the cycle's task");
        let at_receiver: BTreeSet<String> = w
            .receiver
            .receipts()
            .await
            .iter()
            .map(|r| r["sheet_id"].as_str().unwrap().to_owned())
            .collect();

        w.gw.restart();
        for session in [&mut w.doctor, &mut w.officer, &mut w.admin] {
            session.reconnect(&w.gw);
        }
        let (submission, sheets) = match progress.submission {
            Some(submission) => submission,
            None => submit(&w.doctor, exports.export(cycle, ROWS))
                .await
                .unwrap_or_else(|| panic!("cycle {cycle}: export resent without a 202")),
        };
        submissions.push(submission);
        for (r, (id, _)) in sheets.iter().enumerate() {
            let data = exports.research_consent(cycle, r);
            fates.entry(id.clone()).or_insert(Fate {
                consent: data,
                ever_consented: data == Some(true),
                confirmed: false,
            });
        }
        let acts = acts_on(&exports, cycle, &sheets);
        for act in &acts[..progress.acts] {
            note(&mut fates, act);
        }
        // Was anything due not yet at the receiver when the process died?
        let outstanding: Vec<&String> = fates
            .iter()
            .filter(|(id, fate)| due(fate) && !at_receiver.contains(*id))
            .map(|(id, _)| id)
            .collect();
        kills_with_deliveries_outstanding += usize::from(!outstanding.is_empty());

        // Right after the restart, the officer withdraws a sheet of this cycle that was due,
        // racing the outbox (it may have been sent before the kill, or be on its way now).
        let due_now: Vec<String> = sheets
            .iter()
            .map(|(id, _)| id.clone())
            .filter(|id| due(&fates[id]))
            .collect();
        if !due_now.is_empty() {
            let id = &due_now[chaos.below(due_now.len() as u64) as usize];
            let (status, view) = record_consent(&w.officer, id, false).await;
            assert_eq!(status, StatusCode::OK, "{view}");
            note(&mut fates, &Act::Consent(id.clone(), false));
            told.insert(id.clone(), view["outlook"].as_str().unwrap().to_owned());
        }
        // Catch up, in the order planned, from the first request that got no answer (it may
        // have taken effect; repeating it is harmless).
        for act in &acts[progress.acts..] {
            assert!(
                act.perform(&w.doctor, &w.officer).await,
                "cycle {cycle}: {act:?} after the restart"
            );
            note(&mut fates, act);
        }
    }

    // Every acknowledged submission is there.
    for id in &submissions {
        let (status, s) = send(w.doctor.get(&format!("/v1/submissions/{id}"))).await;
        assert_eq!(status, StatusCode::OK, "acknowledged submission {id}: {s}");
        assert_eq!(s["status"], "accepted", "{s}");
    }
    assert!(
        kills_with_deliveries_outstanding >= cycles / 8,
        "too few kills with deliveries outstanding for the test to mean anything: {kills_with_deliveries_outstanding}"
    );
    let expected: BTreeSet<&String> = fates
        .iter()
        .filter(|(_, fate)| due(fate))
        .map(|(id, _)| id)
        .collect();
    assert!(
        expected.len() >= cycles,
        "too few deliveries for the test to mean anything: {}",
        expected.len()
    );
    await_receipts(&w.receiver, expected.len(), Duration::from_secs(60)).await;
    let settled = Instant::now();
    while !deliveries(&w.admin, "pending").await.is_empty() {
        assert!(
            settled.elapsed() < Duration::from_secs(60),
            "deliveries still pending"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(deliveries(&w.admin, "dead").await, Vec::<Value>::new());

    // The receiver: each sheet once, every due sheet, nothing that never had consent.
    let receipts = w.receiver.receipts().await;
    let mut received: BTreeMap<String, String> = BTreeMap::new();
    for receipt in &receipts {
        let sheet = receipt["sheet_id"].as_str().unwrap().to_owned();
        let receipt_id = receipt["receipt_id"].as_str().unwrap().to_owned();
        assert!(
            received.insert(sheet.clone(), receipt_id).is_none(),
            "sheet {sheet} reached the national DB twice"
        );
    }
    for id in &expected {
        assert!(received.contains_key(*id), "due sheet {id} never arrived");
    }
    for id in received.keys() {
        let fate = fates
            .get(id)
            .unwrap_or_else(|| panic!("{id}: unknown sheet"));
        assert!(
            fate.ever_consented && fate.confirmed,
            "{id} was sent without consent or confirmation: {fate:?}"
        );
    }
    // The gateway's outbox says exactly what the receiver holds, receipt by receipt, but for
    // a withdrawn delivery it says may have arrived; and so does the audit trail.
    let (status, records) = send(w.admin.get("/v1/deliveries?limit=1000")).await;
    assert_eq!(status, StatusCode::OK, "{records}");
    let record_of: BTreeMap<String, Value> = records
        .as_array()
        .unwrap()
        .iter()
        .cloned()
        .map(|d| (d["sheet_id"].as_str().unwrap().to_owned(), d))
        .collect();
    let mut disagreements = Vec::new();
    for (sheet, record) in &record_of {
        let at_receiver = received.get(sheet);
        let fine = match record["status"].as_str().unwrap() {
            "delivered" => at_receiver.is_some_and(|r| record["receipt_id"] == r.as_str()),
            "withdrawn" => at_receiver.is_none() || record["in_doubt_since"].is_string(),
            _ => false,
        };
        if !fine {
            disagreements.push(format!(
                "{sheet}: the gateway says {record}, the receiver holds {at_receiver:?}, the test knows {:?}",
                fates.get(sheet)
            ));
        }
    }
    for (sheet, outlook) in &told {
        let fine = match outlook.as_str() {
            "delivered" => received.contains_key(sheet),
            "not_sent" => !received.contains_key(sheet),
            "possibly_delivered" => true,
            _ => false,
        };
        if !fine {
            disagreements.push(format!(
                "{sheet}: the withdrawal was told {outlook}, the receiver holds {:?}",
                received.get(sheet)
            ));
        }
    }
    assert!(
        disagreements.is_empty(),
        "the gateway's word differs from the receiver's receipts:\n{}",
        disagreements.join("\n")
    );
    for id in received.keys() {
        assert!(
            record_of.contains_key(id),
            "{id} arrived without a delivery"
        );
    }
    let delivered = record_of
        .values()
        .filter(|d| d["status"] == "delivered")
        .count();
    let in_doubt = record_of
        .values()
        .filter(|d| d["status"] == "withdrawn" && d["in_doubt_since"].is_string())
        .count();
    // Each withdrawal told the sheet may have arrived is audited as such (a receipt may have
    // settled it since, with a record of its own).
    let told_possibly = told.values().filter(|o| *o == "possibly_delivered").count();
    for (outcome, count) in [("ok", delivered), ("unknown", told_possibly)] {
        let (status, audit) = send(w.admin.get(&format!(
            "/v1/audit?action=delivery.send&outcome={outcome}&limit=1000"
        )))
        .await;
        assert_eq!(status, StatusCode::OK, "{audit}");
        assert_eq!(
            audit.as_array().unwrap().len(),
            count,
            "delivery.send records with outcome {outcome}"
        );
    }
    let verified = kakehashi(&["audit", "verify"], w.gw.config());
    assert!(verified.contains("the chain is intact"), "{verified}");
    assert!(
        !w.gw.log().contains("panicked"),
        "the gateway logged a panic"
    );

    let stats = w.receiver.stats().await;
    let sent_after_withdrawal = received.keys().filter(|id| !expected.contains(id)).count();
    let withdrawals = told.len();
    let told_possibly = told.values().filter(|o| *o == "possibly_delivered").count();
    eprintln!(
        "reliability_delivery: {cycles} SIGKILL cycles ({kills_with_deliveries_outstanding} with deliveries outstanding), {} submissions, {} sheets delivered once ({sent_after_withdrawal} of them withdrawn after they were sent), {withdrawals} withdrawals ({told_possibly} told the sheet may have arrived, {in_doubt} left in doubt), {} deliveries sent again and answered from the receipt, {} sheets never sent for want of consent; {:.0?}",
        submissions.len(),
        received.len(),
        stats["replays"],
        fates
            .values()
            .filter(|f| f.confirmed && !f.ever_consented)
            .count(),
        started.elapsed()
    );
}

/// The gateway dies after the national DB stored a delivery but before the receipt reached
/// the gateway, and the national DB is out of reach when it comes back, so the outbox cannot
/// send it again; the patient withdraws consent meanwhile. The gateway must not say the sheet
/// was not sent: it may have arrived, and it says so; nothing more is sent.
#[tokio::test]
async fn a_withdrawal_after_a_crash_mid_delivery_says_the_sheet_may_have_arrived() {
    let dir = tempfile::tempdir().unwrap();
    let mut link = None;
    let mut w = world_reaching(dir.path(), "", |receiver| {
        let relay = Link::to(receiver);
        let endpoint = relay.endpoint();
        link = Some(relay);
        endpoint
    })
    .await;
    let exports = Exports::hospital_a();
    let (_, sheets) = submit(&w.doctor, exports.export(0, ROWS)).await.unwrap();
    let consented: Vec<&String> = sheets
        .iter()
        .enumerate()
        .filter(|(r, (_, errors))| !errors && exports.research_consent(0, *r) == Some(true))
        .map(|(_, (id, _))| id)
        .collect();
    let (first, second) = (consented[0], consented[1]);

    // A first delivery leaves a kept-alive connection (the handshake's answers must pass).
    assert!(confirm(&w.doctor, first).await);
    await_receipts(&w.receiver, 1, Duration::from_secs(30)).await;
    // The receiver stores the second, its answer is lost on the way, and the gateway dies
    // waiting for it.
    link.as_ref().unwrap().swallow_answers(true);
    assert!(confirm(&w.doctor, second).await);
    let received = await_receipts(&w.receiver, 2, Duration::from_secs(30)).await;
    assert_eq!(received, [first.clone(), second.clone()]);
    w.gw.kill();
    link.as_ref().unwrap().swallow_answers(false);

    // The national DB is out of reach when the gateway returns; the patient withdraws.
    w.receiver.stop();
    w.gw.restart();
    w.officer.reconnect(&w.gw);
    w.admin.reconnect(&w.gw);
    let (status, view) = record_consent(&w.officer, second, false).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["outlook"], "possibly_delivered", "{view}");
    assert_eq!(view["delivery"]["status"], "withdrawn", "{view}");
    assert!(view["delivery"]["in_doubt_since"].is_string(), "{view}");

    // Back online, nothing more is sent, and the delivery still says it may have arrived.
    w.receiver.start_again();
    let requests = w.receiver.stats().await["requests"].clone();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(w.receiver.stats().await["requests"], requests);
    let id = view["delivery"]["id"].as_str().unwrap();
    let (_, delivery) = send(w.admin.get(&format!("/v1/deliveries/{id}"))).await;
    assert_eq!(delivery["status"], "withdrawn", "{delivery}");
    assert!(delivery["in_doubt_since"].is_string(), "{delivery}");
    // The trail holds that possible transfer.
    let (_, audit) = send(w.admin.get(&format!(
        "/v1/audit?object_id={second}&action=delivery.send"
    )))
    .await;
    let records = audit.as_array().unwrap();
    assert_eq!(records.len(), 1, "{audit}");
    assert_eq!(records[0]["outcome"], "unknown", "{audit}");
    let detail = records[0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("may have reached the national DB"),
        "{audit}"
    );
}
