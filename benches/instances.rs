//! Submissions and deliveries per second with one, two and three gateway instances on one
//! PostgreSQL database, against one instance on SQLite, in one run on one machine — what a
//! deployment gains from more instances, and what PostgreSQL costs against the embedded store.
//!
//! Every setup runs in a child process of this bench, on release builds of the real binary
//! (the same harness as the end-to-end tests, `tests/common`): gateways sharing one database,
//! data key and PKI, and the reference receiver. For each setup:
//!
//! 1. **Submissions**: `CLIENTS` load-generating clients, over mutual TLS with keep-alive, post
//!    ten-row hospital exports for `SECONDS`, each to the next instance in turn; submissions per
//!    second and the p50 and p99 latency of the acknowledged ones.
//! 2. **Deliveries**: `DELIVERIES` of the sheets just submitted are given consent and
//!    confirmed while no instance has a national-DB endpoint, so that they wait in the outbox;
//!    then every instance restarts at once with the receiver's endpoint and the outbox drains.
//!    Deliveries per second run from the receiver's first receipt to its last (instance start-up
//!    is left out).
//!
//! Everything shares this machine's cores, so the bench also says how they were shared in each
//! phase: the gateways' CPU time, the load generator's (this process), and the rest (the
//! database server, the receiver, anything else), in cores, from `/proc`.
//!
//! Run: `cargo bench --bench instances` with PostgreSQL at `KAKEHASHI_TEST_DATABASE_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`; each setup makes and drops a
//! `kakehashi_test_…` database). `KAKEHASHI_BENCH_SECONDS` (15), `KAKEHASHI_BENCH_CLIENTS`
//! (16), `KAKEHASHI_BENCH_DELIVERIES` (400) and `KAKEHASHI_BENCH_SETUPS`
//! (`sqlite-1,postgres-1,postgres-2,postgres-3`) change the run.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::exports::Exports;
use common::instances::another_instance;
use common::push::{CONFIG, SUBMIT};
use common::{Gateway, HOSPITAL, Session, send};
use kakehashi::store::test_database::{self, TEST_DATABASE_URL};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Rows per submitted export.
const ROWS: usize = 10;
/// The variable that tells a child process which setup to run.
const SETUP: &str = "KAKEHASHI_BENCH_SETUP";
/// The line a child prints its figures on.
const RESULT: &str = "instances-bench-result ";
const DEFAULT_DATABASE: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    match std::env::var(SETUP) {
        Ok(setup) => child(&setup),
        Err(_) => parent(),
    }
}

/// A setup's store and number of instances, from its name (`sqlite-1`, `postgres-3`).
fn parse_setup(name: &str) -> (bool, usize) {
    let (store, count) = name
        .split_once('-')
        .unwrap_or_else(|| panic!("setup {name:?}: expected STORE-COUNT, e.g. postgres-2"));
    let count: usize = count
        .parse()
        .unwrap_or_else(|_| panic!("setup {name:?}: {count:?} is not a number of instances"));
    match store {
        "sqlite" if count == 1 => (false, 1),
        "sqlite" => panic!("setup {name:?}: SQLite is one process's file; one instance only"),
        "postgres" if count >= 1 => (true, count),
        _ => panic!("setup {name:?}: the store is sqlite or postgres"),
    }
}

/// Runs every setup in a child process of its own and prints one table.
fn parent() {
    let setups = std::env::var("KAKEHASHI_BENCH_SETUPS")
        .unwrap_or_else(|_| "sqlite-1,postgres-1,postgres-2,postgres-3".into());
    let database = std::env::var(TEST_DATABASE_URL).unwrap_or_else(|_| DEFAULT_DATABASE.into());
    let mut rows = Vec::new();
    for setup in setups.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (on_postgres, _) = parse_setup(setup);
        eprintln!("instances bench: {setup} …");
        let mut command = std::process::Command::new(std::env::current_exe().unwrap());
        command
            .env(SETUP, setup)
            .stderr(std::process::Stdio::inherit());
        if on_postgres {
            command.env(TEST_DATABASE_URL, &database);
        } else {
            command.env_remove(TEST_DATABASE_URL);
        }
        let output = command.output().expect("the bench runs itself");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let figures = stdout
            .lines()
            .find_map(|line| line.strip_prefix(RESULT))
            .and_then(|json| serde_json::from_str::<Value>(json).ok());
        match figures {
            Some(figures) if output.status.success() => rows.push((setup.to_owned(), figures)),
            _ => panic!("setup {setup} failed ({}); see above", output.status),
        }
    }
    print_table(&rows);
}

fn print_table(rows: &[(String, Value)]) {
    let clients = setting("KAKEHASHI_BENCH_CLIENTS", 16);
    println!(
        "\nsubmissions: {ROWS}-row exports from {clients} clients; deliveries: the outbox drained to the reference receiver"
    );
    println!(
        "CPU in cores (of {}): gateways / load generator / database, receiver and the rest",
        cores()
    );
    println!(
        "| setup | submissions/s | p50 ms | p99 ms | refused | CPU (submitting) | deliveries/s | CPU (delivering) |"
    );
    println!("|---|---:|---:|---:|---:|---|---:|---|");
    for (setup, f) in rows {
        println!(
            "| {setup} | {:.1} | {:.1} | {:.1} | {} | {} | {:.1} | {} |",
            f["submissions_per_second"].as_f64().unwrap_or_default(),
            f["p50_ms"].as_f64().unwrap_or_default(),
            f["p99_ms"].as_f64().unwrap_or_default(),
            f["refused"],
            f["cpu_submitting"].as_str().unwrap_or_default(),
            f["deliveries_per_second"].as_f64().unwrap_or_default(),
            f["cpu_delivering"].as_str().unwrap_or_default(),
        );
    }
}

/// Runs one setup and prints its figures on a [`RESULT`] line.
fn child(setup: &str) {
    let (_, count) = parse_setup(setup);
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let figures = runtime.block_on(run(dir.path(), count));
    runtime
        .block_on(test_database::discard(&dir.path().join("data0")))
        .expect("the bench's database is dropped");
    println!("{RESULT}{figures}");
}

async fn run(dir: &Path, count: usize) -> Value {
    let first = Gateway::start(&dir.join("data0"), CONFIG);
    let receiver = first.start_receiver(&dir.join("receiver"));
    let doctor = first.user("dr1", HOSPITAL, "doctor", "hospital").await;
    let officer = first.officer("officer1").await;
    let mut instances = vec![first];
    for i in 1..count {
        let next = another_instance(dir, &instances[0], i, CONFIG);
        instances.push(next);
    }
    let bases: Arc<Vec<String>> = Arc::new(instances.iter().map(|g| g.base.clone()).collect());

    let clients = setting("KAKEHASHI_BENCH_CLIENTS", 16);
    let seconds = setting("KAKEHASHI_BENCH_SECONDS", 15);
    let cpu = Cpu::start(&instances);
    let submitted = submit_for(
        &doctor,
        &bases,
        clients,
        Duration::from_secs(seconds as u64),
    )
    .await;
    let cpu_submitting = cpu.shares(&instances);

    let wanted = setting("KAKEHASHI_BENCH_DELIVERIES", 400);
    let due = consent_and_confirm(&doctor, &officer, &bases, &submitted.sheets, wanted).await;
    // Every instance at once, now with the endpoint: the outbox drains.
    let endpoint = format!("endpoint = \"{}\"\n", receiver.endpoint());
    std::thread::scope(|scope| {
        for gw in &mut instances {
            gw.configure(&endpoint);
            scope.spawn(|| gw.restart());
        }
    });
    let cpu = Cpu::start(&instances);
    let drained = drain(&receiver, due).await;
    let cpu_delivering = cpu.shares(&instances);
    for gw in &instances {
        assert!(!gw.log().contains("panicked"), "{}", gw.log());
    }
    drop(instances);

    let mut latencies = submitted.latencies;
    latencies.sort();
    let millis = |q: f64| {
        let at = ((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[at].as_secs_f64() * 1000.0
    };
    json!({
        "submissions_per_second": latencies.len() as f64 / submitted.elapsed.as_secs_f64(),
        "p50_ms": millis(0.5),
        "p99_ms": millis(0.99),
        "refused": submitted.refused,
        "cpu_submitting": cpu_submitting,
        "deliveries": due,
        "deliveries_per_second": drained,
        "cpu_delivering": cpu_delivering,
    })
}

/// What the submission phase produced.
#[derive(Default)]
struct Submitted {
    /// The acknowledged submissions' latencies.
    latencies: Vec<Duration>,
    /// Submissions answered with anything but 202 (rate limits, a busy decoder).
    refused: usize,
    /// The ids of the sheets submitted without errors.
    sheets: Vec<String>,
    elapsed: Duration,
}

/// `clients` clients post exports for `length`, each to the next instance in turn.
async fn submit_for(
    doctor: &Session,
    bases: &Arc<Vec<String>>,
    clients: usize,
    length: Duration,
) -> Submitted {
    let exports = Arc::new(Exports::hospital_a());
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let (doctor, bases, exports, next) =
            (doctor.clone(), bases.clone(), exports.clone(), next.clone());
        tasks.spawn(async move {
            let mut mine = Submitted::default();
            while started.elapsed() < length {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let at = doctor.at(&bases[n % bases.len()]);
                let sent = Instant::now();
                let (status, body) = send(
                    at.post(SUBMIT)
                        .header("content-type", "text/csv")
                        .body(exports.export(n, ROWS)),
                )
                .await;
                if status != StatusCode::ACCEPTED {
                    mine.refused += 1;
                    continue;
                }
                mine.latencies.push(sent.elapsed());
                mine.sheets.extend(
                    body["sheets"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|sheet| sheet["has_errors"] == false)
                        .filter_map(|sheet| sheet["id"].as_str().map(str::to_owned)),
                );
            }
            mine
        });
    }
    let mut all = Submitted::default();
    while let Some(mine) = tasks.join_next().await {
        let mine = mine.expect("a load client");
        all.latencies.extend(mine.latencies);
        all.refused += mine.refused;
        all.sheets.extend(mine.sheets);
    }
    all.elapsed = started.elapsed();
    assert!(!all.latencies.is_empty(), "no submission was acknowledged");
    all
}

/// The officer records consent on up to `wanted` sheets and the doctor confirms them, 16 at a
/// time across the instances; how many are due for delivery.
async fn consent_and_confirm(
    doctor: &Session,
    officer: &Session,
    bases: &Arc<Vec<String>>,
    sheets: &[String],
    wanted: usize,
) -> usize {
    let due: Vec<String> = sheets.iter().take(wanted).cloned().collect();
    let next = Arc::new(AtomicUsize::new(0));
    let due = Arc::new(due);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (doctor, officer, bases, due, next) = (
            doctor.clone(),
            officer.clone(),
            bases.clone(),
            due.clone(),
            next.clone(),
        );
        tasks.spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let Some(id) = due.get(n) else { break };
                let base = &bases[n % bases.len()];
                let (status, body) = send(
                    officer
                        .at(base)
                        .post(&format!("/v1/sheets/{id}/consent"))
                        .json(&json!({ "consented": true })),
                )
                .await;
                assert_eq!(status, StatusCode::OK, "consent: {body}");
                let (status, body) =
                    send(doctor.at(base).post(&format!("/v1/sheets/{id}/confirm"))).await;
                assert!(status.is_success(), "confirm: {status} {body}");
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("a consent client");
    }
    due.len()
}

/// Waits for `due` receipts; deliveries per second from the first receipt to the last.
async fn drain(receiver: &common::Receiver, due: usize) -> f64 {
    let limit = Instant::now() + Duration::from_secs(600);
    let mut first = None;
    loop {
        let receipts = receiver.stats().await["receipts"].as_u64().unwrap_or(0) as usize;
        let now = Instant::now();
        if receipts > 0 && first.is_none() {
            first = Some((now, receipts));
        }
        if receipts >= due {
            let (since, already) = first.expect("a receipt was seen");
            let span = now.duration_since(since).as_secs_f64();
            return if span > 0.0 {
                (receipts - already) as f64 / span
            } else {
                f64::INFINITY
            };
        }
        assert!(now < limit, "{receipts} of {due} deliveries in 10 minutes");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// CPU time from `/proc` at the start of a phase: the machine's, the gateways', this process's.
struct Cpu {
    machine: (u64, u64),
    gateways: u64,
    load: u64,
}

impl Cpu {
    fn start(gateways: &[Gateway]) -> Self {
        Self {
            machine: machine_ticks(),
            gateways: gateways.iter().map(|g| process_ticks(g.pid())).sum(),
            load: process_ticks(std::process::id()),
        }
    }

    /// How the cores were shared since the start: gateways / load generator / the rest, in
    /// cores.
    fn shares(&self, gateways: &[Gateway]) -> String {
        let (busy, total) = machine_ticks();
        let elapsed = (total - self.machine.1) as f64 / cores() as f64;
        let gateways = gateways.iter().map(|g| process_ticks(g.pid())).sum::<u64>() - self.gateways;
        let load = process_ticks(std::process::id()) - self.load;
        let rest = (busy - self.machine.0).saturating_sub(gateways + load);
        let in_cores = |ticks: u64| ticks as f64 / elapsed;
        format!(
            "{:.2} / {:.2} / {:.2}",
            in_cores(gateways),
            in_cores(load),
            in_cores(rest)
        )
    }
}

/// The number of cores `/proc/stat` counts.
fn cores() -> usize {
    std::fs::read_to_string("/proc/stat")
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .count()
        .max(1)
}

/// The whole machine's busy and total clock ticks (all cores).
fn machine_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").expect("/proc/stat");
    let fields: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal …
    let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
    let total: u64 = fields.iter().take(8).sum();
    (total - idle, total)
}

/// A process's user and system clock ticks (0 once it has gone).
fn process_ticks(pid: u32) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    // Fields after the command name, which ends with the last ')': utime and stime are the
    // 12th and 13th of them.
    stat.rsplit_once(')')
        .map(|(_, rest)| {
            rest.split_whitespace()
                .skip(11)
                .take(2)
                .filter_map(|f| f.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0)
}
