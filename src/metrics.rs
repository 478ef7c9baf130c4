//! Prometheus metrics, served as text on `GET /metrics`. Counts only: no labels carry personal
//! data.

use std::sync::LazyLock;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use kakehashi_sdk::Severity;

use crate::store::{CheckedSheet, DeliveryCounts};

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SeverityLabels {
    severity: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryStatusLabels {
    status: &'static str,
}

struct Metrics {
    registry: Registry,
    deliveries: Family<DeliveryStatusLabels, Gauge>,
    delivered: Counter,
    retried: Counter,
    dead: Counter,
    attempt_seconds: Histogram,
    delivery_latency_seconds: Histogram,
    submissions: Family<OutcomeLabels, Counter>,
    sheets: Counter,
    findings: Family<SeverityLabels, Counter>,
    responses: Family<StatusLabels, Counter>,
    panics: Counter,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let mut registry = Registry::with_prefix("kakehashi");
    let submissions = Family::default();
    let sheets = Counter::default();
    let findings = Family::default();
    let responses = Family::default();
    registry.register(
        "submissions",
        "Submissions processed, by outcome",
        submissions.clone(),
    );
    registry.register("sheets", "Canonical sheets stored", sheets.clone());
    registry.register(
        "findings",
        "Check findings on stored sheets, by severity",
        findings.clone(),
    );
    registry.register(
        "http_responses",
        "HTTP responses, by status code",
        responses.clone(),
    );
    let deliveries = Family::default();
    let delivered = Counter::default();
    let retried = Counter::default();
    let dead = Counter::default();
    // 5 ms … ~2.6 min per attempt; 50 ms … ~7 days from enqueue to receipt.
    let attempt_seconds = Histogram::new(exponential_buckets(0.005, 2.0, 16));
    let delivery_latency_seconds = Histogram::new(exponential_buckets(0.05, 2.0, 24));
    registry.register(
        "deliveries",
        "Deliveries to the national DB in the outbox, by status (pending, delivered, dead, discarded, withdrawn)",
        deliveries.clone(),
    );
    registry.register(
        "deliveries_delivered",
        "Deliveries the national DB acknowledged with a receipt",
        delivered.clone(),
    );
    registry.register(
        "delivery_retries",
        "Delivery attempts that failed transiently and were scheduled again",
        retried.clone(),
    );
    registry.register(
        "deliveries_dead",
        "Deliveries that became dead letters",
        dead.clone(),
    );
    registry.register(
        "delivery_attempt_seconds",
        "Duration of one delivery attempt (seal, send, receipt)",
        attempt_seconds.clone(),
    );
    registry.register(
        "delivery_latency_seconds",
        "Time from enqueueing a delivery to its receipt",
        delivery_latency_seconds.clone(),
    );
    let panics = Counter::default();
    registry.register(
        "panics",
        "Panics caught in request handlers, submission processing and adapters (each one a bug, logged with its request or submission id)",
        panics.clone(),
    );
    Metrics {
        registry,
        panics,
        deliveries,
        delivered,
        retried,
        dead,
        attempt_seconds,
        delivery_latency_seconds,
        submissions,
        sheets,
        findings,
        responses,
    }
});

/// What an accepted submission's sheets came to, counted a chunk at a time as they are stored.
#[derive(Debug, Default, Clone, Copy)]
pub struct SheetCounts {
    sheets: u64,
    /// Findings by severity, in [`Severity`]'s order: info, warning, error.
    findings: [u64; 3],
}

impl SheetCounts {
    pub fn add(&mut self, sheets: &[CheckedSheet]) {
        self.sheets += sheets.len() as u64;
        for finding in sheets.iter().flat_map(|s| &s.findings) {
            self.findings[finding.severity as usize] += 1;
        }
    }

    pub fn sheets(&self) -> u64 {
        self.sheets
    }
}

pub fn record_accepted(counts: &SheetCounts) {
    let m = &*METRICS;
    m.submissions
        .get_or_create(&OutcomeLabels {
            outcome: "accepted",
        })
        .inc();
    m.sheets.inc_by(counts.sheets);
    for (severity, count) in [Severity::Info, Severity::Warning, Severity::Error]
        .into_iter()
        .zip(counts.findings)
    {
        m.findings
            .get_or_create(&SeverityLabels {
                severity: severity.as_str(),
            })
            .inc_by(count);
    }
}

pub fn record_rejected() {
    METRICS
        .submissions
        .get_or_create(&OutcomeLabels {
            outcome: "rejected",
        })
        .inc();
}

/// A panic that was caught (and answered or recorded) instead of tearing down a connection.
pub fn record_panic() {
    METRICS.panics.inc();
}

pub fn record_response(status: u16) {
    METRICS
        .responses
        .get_or_create(&StatusLabels { status })
        .inc();
}

/// The outbox's current counts by status.
pub fn set_delivery_counts(counts: &DeliveryCounts) {
    for (status, n) in counts {
        METRICS
            .deliveries
            .get_or_create(&DeliveryStatusLabels {
                status: status.as_str(),
            })
            .set(i64::try_from(*n).unwrap_or(i64::MAX));
    }
}

pub fn record_delivery_attempt(duration: std::time::Duration) {
    METRICS.attempt_seconds.observe(duration.as_secs_f64());
}

/// A receipt for a delivery enqueued at `created_at` (RFC 3339).
pub fn record_delivered(created_at: &str) {
    METRICS.delivered.inc();
    if let Ok(created) = chrono::DateTime::parse_from_rfc3339(created_at) {
        let latency = chrono::Utc::now().signed_duration_since(created);
        METRICS
            .delivery_latency_seconds
            .observe(latency.num_milliseconds().max(0) as f64 / 1000.0);
    }
}

pub fn record_retry() {
    METRICS.retried.inc();
}

pub fn record_dead() {
    METRICS.dead.inc();
}

/// The metrics in the Prometheus text format.
pub fn render() -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut out, &METRICS.registry);
    out
}
