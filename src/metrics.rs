//! Prometheus metrics, served as text on `GET /metrics`. Counts only: no labels carry personal
//! data.

use std::sync::LazyLock;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

use crate::store::CheckedSheet;

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

struct Metrics {
    registry: Registry,
    submissions: Family<OutcomeLabels, Counter>,
    sheets: Counter,
    findings: Family<SeverityLabels, Counter>,
    responses: Family<StatusLabels, Counter>,
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
    Metrics {
        registry,
        submissions,
        sheets,
        findings,
        responses,
    }
});

pub fn record_accepted(sheets: &[CheckedSheet]) {
    let m = &*METRICS;
    m.submissions
        .get_or_create(&OutcomeLabels {
            outcome: "accepted",
        })
        .inc();
    m.sheets.inc_by(sheets.len() as u64);
    for finding in sheets.iter().flat_map(|s| &s.findings) {
        m.findings
            .get_or_create(&SeverityLabels {
                severity: finding.severity.as_str(),
            })
            .inc();
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

pub fn record_response(status: u16) {
    METRICS
        .responses
        .get_or_create(&StatusLabels { status })
        .inc();
}

/// The metrics in the Prometheus text format.
pub fn render() -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut out, &METRICS.registry);
    out
}
