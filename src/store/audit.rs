//! The audit trail: every read or write of personal data, every login and failure, every
//! refusal. Records are chained by hash — each carries the SHA-256 of the one before it and its
//! own hash covers its fields and that link — so that editing, deleting or inserting a record
//! anywhere breaks the chain at that point, and [`verify_chain`] says where. The SQLite table
//! also refuses `UPDATE` and `DELETE`; the chain is what catches someone who goes around that.
//!
//! The chain proves the log is internally consistent; someone able to rewrite the whole file
//! could rebuild it. Writing the head hash ([`ChainReport::head`]) somewhere they cannot reach
//! (a ticket, a second system) closes that gap.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::StoreError;

/// The `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened, by whom, from where, to what. Never carries personal data itself: the
/// patient is referred to by a keyed pseudonym.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AuditEvent {
    /// The user id, or `system:<task>` for the gateway's own work.
    pub actor: String,
    /// The client-certificate terminal the request came through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal: Option<String>,
    /// The actor's organisation (`hospital:<医療機関コード>`, `municipality:<code>`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    /// The network address the request came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Dotted action name, e.g. `sheet.read`, `auth.login`.
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_id: Option<String>,
    /// Pseudonymous patient reference (keyed hash), never the patient's data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_ref: Option<String>,
    /// `ok`, `denied`, `not_found`, `failed`, `alert`, …
    pub outcome: String,
    /// A short, non-personal explanation (an error code, a count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl AuditEvent {
    /// An event about one object.
    pub fn on(mut self, object_type: &str, object_id: &str) -> Self {
        self.object_type = Some(object_type.to_owned());
        self.object_id = Some(object_id.to_owned());
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_patient(mut self, patient_ref: Option<String>) -> Self {
        self.patient_ref = patient_ref;
        self
    }

    pub fn outcome(mut self, outcome: &str) -> Self {
        self.outcome = outcome.to_owned();
        self
    }
}

/// A stored audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AuditRecord {
    pub seq: i64,
    /// UTC, RFC 3339.
    pub at: String,
    #[serde(flatten)]
    pub event: AuditEvent,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of a record: SHA-256 over the previous hash and the record's fields, each field
/// length-prefixed so that no two different records hash alike.
pub fn record_hash(prev_hash: &str, seq: i64, at: &str, event: &AuditEvent) -> String {
    let mut hasher = Sha256::new();
    let mut field = |value: Option<&str>| match value {
        None => hasher.update(b"-"),
        Some(v) => {
            hasher.update((v.len() as u64).to_be_bytes());
            hasher.update(v.as_bytes());
        }
    };
    field(Some(prev_hash));
    field(Some(&seq.to_string()));
    field(Some(at));
    field(Some(&event.actor));
    field(event.terminal.as_deref());
    field(event.organisation.as_deref());
    field(event.source.as_deref());
    field(Some(&event.action));
    field(event.object_type.as_deref());
    field(event.object_id.as_deref());
    field(event.patient_ref.as_deref());
    field(Some(&event.outcome));
    field(event.detail.as_deref());
    hex::encode(hasher.finalize())
}

/// Filters for reading the audit trail.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub organisation: Option<String>,
    pub object_id: Option<String>,
    pub patient_ref: Option<String>,
    pub outcome: Option<String>,
    /// From this time on (RFC 3339, inclusive).
    pub since: Option<String>,
    /// Before this time (RFC 3339, exclusive).
    pub until: Option<String>,
    /// Records after this sequence number (for paging).
    pub after_seq: Option<i64>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<u32>,
}

/// A break in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum ChainBreak {
    /// The record's content no longer matches its hash.
    Edited { seq: i64 },
    /// One or more records between two others are gone.
    Deleted { after_seq: i64, missing: i64 },
    /// The record does not link to the one before it: it was inserted, or the one before it
    /// was replaced.
    Inserted { seq: i64 },
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainBreak::Edited { seq } => write!(f, "record {seq} was edited"),
            ChainBreak::Deleted { after_seq, missing } => {
                write!(
                    f,
                    "{missing} record(s) after record {after_seq} were deleted"
                )
            }
            ChainBreak::Inserted { seq } => {
                write!(
                    f,
                    "record {seq} does not follow the record before it (inserted or replaced)"
                )
            }
        }
    }
}

/// The result of checking the whole chain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    pub records: u64,
    /// The last record's hash: write it down somewhere else to detect a rebuilt chain later.
    pub head: Option<String>,
    pub breaks: Vec<ChainBreak>,
}

/// Checks records handed over in `seq` order, batch by batch.
#[derive(Debug, Default)]
pub struct ChainVerifier {
    report: ChainReport,
    last: Option<(i64, String)>,
}

impl ChainVerifier {
    pub fn push(&mut self, record: &AuditRecord) {
        self.report.records += 1;
        let computed = record_hash(&record.prev_hash, record.seq, &record.at, &record.event);
        if computed != record.hash {
            self.report
                .breaks
                .push(ChainBreak::Edited { seq: record.seq });
        }
        let (expected_seq, expected_prev) = match &self.last {
            None => (1, GENESIS.to_owned()),
            Some((seq, hash)) => (seq + 1, hash.clone()),
        };
        if record.seq > expected_seq {
            self.report.breaks.push(ChainBreak::Deleted {
                after_seq: expected_seq - 1,
                missing: record.seq - expected_seq,
            });
        } else if record.prev_hash != expected_prev {
            self.report
                .breaks
                .push(ChainBreak::Inserted { seq: record.seq });
        }
        self.last = Some((record.seq, record.hash.clone()));
    }

    pub fn finish(mut self) -> ChainReport {
        self.report.head = self.last.map(|(_, hash)| hash);
        self.report
    }
}

/// Storage of the audit trail.
#[async_trait::async_trait]
pub trait AuditTrail: Send + Sync {
    /// Appends one event to the chain (its own transaction).
    async fn append_audit(&self, event: &AuditEvent) -> Result<AuditRecord, StoreError>;

    /// Records matching the query, oldest first.
    async fn audit_query(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>, StoreError>;

    /// Verifies the whole chain.
    async fn audit_verify(&self) -> Result<ChainReport, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditRecord> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let event = AuditEvent {
                    actor: format!("user{seq}"),
                    action: "sheet.read".into(),
                    outcome: "ok".into(),
                    ..AuditEvent::default()
                };
                let at = format!("2026-11-21T00:00:{seq:02}.000Z");
                let hash = record_hash(&prev, seq, &at, &event);
                let record = AuditRecord {
                    seq,
                    at,
                    event,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                record
            })
            .collect()
    }

    fn verify(records: &[AuditRecord]) -> ChainReport {
        let mut v = ChainVerifier::default();
        records.iter().for_each(|r| v.push(r));
        v.finish()
    }

    #[test]
    fn an_intact_chain_verifies() {
        let records = chain(5);
        let report = verify(&records);
        assert_eq!(report.records, 5);
        assert!(report.breaks.is_empty());
        assert_eq!(report.head.as_deref(), Some(records[4].hash.as_str()));
    }

    #[test]
    fn edits_deletions_and_insertions_are_named() {
        let mut edited = chain(5);
        edited[2].event.outcome = "denied".into();
        assert_eq!(verify(&edited).breaks, [ChainBreak::Edited { seq: 3 }]);

        let mut deleted = chain(5);
        deleted.remove(2);
        assert_eq!(
            verify(&deleted).breaks,
            [ChainBreak::Deleted {
                after_seq: 2,
                missing: 1
            }]
        );

        // A forged record with a correct own hash but no link to its predecessor.
        let mut inserted = chain(5);
        let forged_event = AuditEvent {
            actor: "intruder".into(),
            action: "sheet.read".into(),
            outcome: "ok".into(),
            ..AuditEvent::default()
        };
        let prev = "f".repeat(64);
        inserted[3] = AuditRecord {
            seq: 4,
            at: inserted[3].at.clone(),
            hash: record_hash(&prev, 4, &inserted[3].at, &forged_event),
            event: forged_event,
            prev_hash: prev,
        };
        let breaks = verify(&inserted).breaks;
        assert_eq!(
            breaks,
            [
                ChainBreak::Inserted { seq: 4 },
                ChainBreak::Inserted { seq: 5 }
            ]
        );
    }

    #[test]
    fn the_hash_covers_every_field() {
        let base = AuditEvent {
            actor: "a".into(),
            action: "x".into(),
            outcome: "ok".into(),
            ..AuditEvent::default()
        };
        let h = record_hash(GENESIS, 1, "t", &base);
        let variants = [
            base.clone().on("sheet", "1"),
            base.clone().with_detail("d"),
            base.clone().with_patient(Some("p".into())),
            base.clone().outcome("denied"),
            AuditEvent {
                terminal: Some("t".into()),
                ..base.clone()
            },
            AuditEvent {
                organisation: Some("o".into()),
                ..base.clone()
            },
            AuditEvent {
                source: Some("s".into()),
                ..base.clone()
            },
        ];
        for v in variants {
            assert_ne!(record_hash(GENESIS, 1, "t", &v), h, "{v:?}");
        }
        // Moving text between fields changes the hash too.
        let a = AuditEvent {
            terminal: Some("ab".into()),
            organisation: Some("c".into()),
            ..base.clone()
        };
        let b = AuditEvent {
            terminal: Some("a".into()),
            organisation: Some("bc".into()),
            ..base
        };
        assert_ne!(
            record_hash(GENESIS, 1, "t", &a),
            record_hash(GENESIS, 1, "t", &b)
        );
    }
}
