//! The audit trail (監査証跡): every read or write of personal data, every login and failure,
//! every refusal. Records are chained — each carries the link of the one before it and its own
//! link covers its fields and that link — so that editing, deleting or inserting a record
//! anywhere breaks the chain at that point, and [`ChainVerifier`] says where. The SQLite table
//! also refuses `UPDATE` and `DELETE`; the chain is what catches someone who goes around that.
//!
//! A link is an HMAC-SHA256 under an audit key kept in the key file with the data keys, and the
//! record names its key, so that someone with write access to the database alone cannot
//! recompute the chain, and a rotated key still verifies the records made under it. A chain
//! carried over from before keeps its unkeyed SHA-256 links up to the record the key file names
//! ([`KeyRing::audit_unkeyed_until`]); an unkeyed link after it is a rewrite.
//!
//! Cutting off the newest records leaves a chain that is consistent; an [`Anchor`] — the head
//! (sequence, link, time), signed with the audit key and kept outside the database — shows it,
//! and shows a chain rewritten since the anchor was made.

use kakehashi_vault::{KeyRing, VaultError};
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
    /// The record's link: HMAC-SHA256 under the audit key `key_id`, or SHA-256 for a record
    /// carried over from before the chain was keyed.
    pub hash: String,
    /// The audit key the link was made with; none for an unkeyed link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
}

impl AuditRecord {
    /// The link this record's fields call for, under its own key id.
    fn expected_link(&self, keys: &KeyRing) -> Result<String, VaultError> {
        match &self.key_id {
            None => Ok(record_hash(
                &self.prev_hash,
                self.seq,
                &self.at,
                &self.event,
            )),
            Some(key_id) => keyed_link(
                keys,
                key_id,
                &self.prev_hash,
                self.seq,
                &self.at,
                &self.event,
            ),
        }
    }
}

/// What a link covers: the previous link, the record's fields and the key id of a keyed link,
/// each field length-prefixed so that no two different records encode alike.
fn link_input(
    prev_hash: &str,
    seq: i64,
    at: &str,
    event: &AuditEvent,
    key_id: Option<&str>,
) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(512);
    let mut field = |value: Option<&str>| match value {
        None => bytes.push(b'-'),
        Some(v) => {
            bytes.extend_from_slice(&(v.len() as u64).to_be_bytes());
            bytes.extend_from_slice(v.as_bytes());
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
    if key_id.is_some() {
        field(key_id);
    }
    bytes
}

/// An unkeyed link, as records were linked before the chain was keyed: SHA-256 of
/// [`link_input`]. Anyone can recompute it; it verifies records carried over.
pub fn record_hash(prev_hash: &str, seq: i64, at: &str, event: &AuditEvent) -> String {
    hex::encode(Sha256::digest(link_input(prev_hash, seq, at, event, None)))
}

/// A keyed link: HMAC-SHA256 of the record under the audit key `key_id`.
pub fn keyed_link(
    keys: &KeyRing,
    key_id: &str,
    prev_hash: &str,
    seq: i64,
    at: &str,
    event: &AuditEvent,
) -> Result<String, VaultError> {
    keys.audit_mac(key_id, &link_input(prev_hash, seq, at, event, Some(key_id)))
}

/// The head of the chain — sequence, link, time — signed with the audit key (HMAC-SHA256), to
/// be kept outside the database (`kakehashi audit anchor`, and the gateway every few minutes).
/// Verifying the chain against it later shows records cut off or rewritten since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Anchor {
    pub seq: i64,
    pub link: String,
    /// When the anchor was made: UTC, RFC 3339.
    pub anchored_at: String,
    /// The audit key of the signature.
    pub key_id: String,
    pub signature: String,
}

impl Anchor {
    fn signed_input(seq: i64, link: &str, anchored_at: &str) -> Vec<u8> {
        format!("kakehashi audit anchor\n{seq}\n{link}\n{anchored_at}").into_bytes()
    }

    /// The anchor of the record `seq` with `link`, signed with the audit key `key_id`.
    pub fn sign(
        keys: &KeyRing,
        key_id: &str,
        seq: i64,
        link: &str,
        anchored_at: &str,
    ) -> Result<Anchor, VaultError> {
        Ok(Anchor {
            seq,
            link: link.to_owned(),
            anchored_at: anchored_at.to_owned(),
            key_id: key_id.to_owned(),
            signature: keys.audit_mac(key_id, &Self::signed_input(seq, link, anchored_at))?,
        })
    }

    /// Whether the signature was made with an audit key of `keys` over these fields.
    pub fn is_signed_by(&self, keys: &KeyRing) -> bool {
        keys.audit_mac(
            &self.key_id,
            &Self::signed_input(self.seq, &self.link, &self.anchored_at),
        )
        .is_ok_and(|signature| signature == self.signature)
    }
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
    /// The record's content no longer matches its link.
    Edited { seq: i64 },
    /// One or more records between two others are gone.
    Deleted { after_seq: i64, missing: i64 },
    /// The record does not link to the one before it: it was inserted, or the one before it
    /// was replaced.
    Inserted { seq: i64 },
    /// The record's link is unkeyed where the chain is keyed: it was rewritten by someone
    /// without the audit key.
    Unkeyed { seq: i64 },
    /// The record names an audit key the key file does not hold.
    UnknownKey { seq: i64, key_id: String },
    /// The chain ends before the record the anchor names: newer records were cut off.
    Truncated { head_seq: i64, anchor_seq: i64 },
    /// The record at the anchor's sequence is not the one anchored: the chain was rewritten.
    Rewritten { seq: i64 },
    /// The anchor's signature does not verify with this key file: it is forged or altered.
    ForgedAnchor,
    /// A guard of the store that refuses changes to the trail is gone or altered: someone
    /// with write access to the database went around it (the chain says whether they changed
    /// anything).
    Unguarded { guard: String },
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
            ChainBreak::Unkeyed { seq } => write!(
                f,
                "record {seq} has an unkeyed link where the chain is keyed: it was rewritten without the audit key"
            ),
            ChainBreak::UnknownKey { seq, key_id } => write!(
                f,
                "record {seq} is linked under audit key `{key_id}`, which the key file does not hold"
            ),
            ChainBreak::Truncated {
                head_seq,
                anchor_seq,
            } => write!(
                f,
                "the chain ends at record {head_seq} but the anchor names record {anchor_seq}: newer records were cut off"
            ),
            ChainBreak::Rewritten { seq } => write!(
                f,
                "record {seq} is not the record the anchor names (its link differs): the chain was rewritten"
            ),
            ChainBreak::ForgedAnchor => write!(
                f,
                "the anchor's signature does not verify with this key file: it is forged or altered"
            ),
            ChainBreak::Unguarded { guard } => write!(
                f,
                "the append-only guard {guard} is missing or altered: someone with write access to the database went around it"
            ),
        }
    }
}

/// The result of checking the whole chain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    pub records: u64,
    /// The last record's link.
    pub head: Option<String>,
    pub breaks: Vec<ChainBreak>,
}

/// Checks records handed over in `seq` order, batch by batch, with the audit keys of `keys`
/// and against an anchor when given.
#[derive(Debug)]
pub struct ChainVerifier<'a> {
    keys: &'a KeyRing,
    /// The last record that may have an unkeyed link.
    unkeyed_until: i64,
    anchor: Option<&'a Anchor>,
    report: ChainReport,
    last: Option<(i64, String)>,
}

impl<'a> ChainVerifier<'a> {
    pub fn new(keys: &'a KeyRing, anchor: Option<&'a Anchor>) -> Self {
        let mut report = ChainReport::default();
        let anchor = anchor.filter(|anchor| {
            let signed = anchor.is_signed_by(keys);
            if !signed {
                report.breaks.push(ChainBreak::ForgedAnchor);
            }
            signed
        });
        let unkeyed_until = keys
            .audit_unkeyed_until()
            .map_or(i64::MAX, |seq| i64::try_from(seq).unwrap_or(i64::MAX));
        Self {
            keys,
            unkeyed_until,
            anchor,
            report,
            last: None,
        }
    }

    pub fn push(&mut self, record: &AuditRecord) {
        self.report.records += 1;
        let seq = record.seq;
        if record.key_id.is_none() && seq > self.unkeyed_until {
            self.report.breaks.push(ChainBreak::Unkeyed { seq });
        } else {
            match record.expected_link(self.keys) {
                Ok(link) if link == record.hash => {}
                Ok(_) => self.report.breaks.push(ChainBreak::Edited { seq }),
                Err(_) => self.report.breaks.push(ChainBreak::UnknownKey {
                    seq,
                    key_id: record.key_id.clone().unwrap_or_default(),
                }),
            }
        }
        let (expected_seq, expected_prev) = match &self.last {
            None => (1, GENESIS.to_owned()),
            Some((seq, hash)) => (seq + 1, hash.clone()),
        };
        if seq > expected_seq {
            self.report.breaks.push(ChainBreak::Deleted {
                after_seq: expected_seq - 1,
                missing: seq - expected_seq,
            });
        } else if record.prev_hash != expected_prev {
            self.report.breaks.push(ChainBreak::Inserted { seq });
        }
        if self
            .anchor
            .is_some_and(|anchor| anchor.seq == seq && anchor.link != record.hash)
        {
            self.report.breaks.push(ChainBreak::Rewritten { seq });
        }
        self.last = Some((seq, record.hash.clone()));
    }

    pub fn finish(mut self) -> ChainReport {
        let head_seq = self.last.as_ref().map_or(0, |(seq, _)| *seq);
        if let Some(anchor) = self.anchor.filter(|anchor| anchor.seq > head_seq) {
            self.report.breaks.push(ChainBreak::Truncated {
                head_seq,
                anchor_seq: anchor.seq,
            });
        }
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

    /// Verifies the whole chain, and against `anchor` when given.
    async fn audit_verify(&self, anchor: Option<&Anchor>) -> Result<ChainReport, StoreError>;

    /// The head of the chain as a signed anchor; `None` while the chain is empty.
    async fn audit_anchor(&self) -> Result<Option<Anchor>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key ring with an audit key `a1` and a chain keyed after record `unkeyed_until`.
    fn keys(unkeyed_until: u64) -> (tempfile::TempDir, KeyRing) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        std::fs::write(
            &path,
            format!(
                r#"{{"version":1,"primary":"k1","keys":[{{"id":"k1","created_at":"2026-01-05T09:00:00Z","key":"{0}"}}],"pseudonym_key":"{0}"}}"#,
                "ab".repeat(32)
            ),
        )
        .unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        let ring = KeyRing::start_audit_chain(&path, unkeyed_until).unwrap();
        (dir, ring)
    }

    /// Links `records` anew from the first, each under its own key id, as someone holding
    /// the audit key could.
    fn relink(keys: &KeyRing, records: &mut [AuditRecord]) {
        let mut prev = GENESIS.to_owned();
        for record in records {
            record.prev_hash = prev;
            record.hash = record.expected_link(keys).unwrap();
            prev = record.hash.clone();
        }
    }

    /// `n` records, the first `unkeyed` of them with unkeyed links.
    fn chain(keys: &KeyRing, n: i64, unkeyed: i64) -> Vec<AuditRecord> {
        let mut records: Vec<AuditRecord> = (1..=n)
            .map(|seq| AuditRecord {
                seq,
                at: format!("2026-11-21T00:00:{seq:02}.000Z"),
                event: AuditEvent {
                    actor: format!("user{seq}"),
                    action: "sheet.read".into(),
                    outcome: "ok".into(),
                    ..AuditEvent::default()
                },
                prev_hash: String::new(),
                hash: String::new(),
                key_id: (seq > unkeyed).then(|| "a1".to_owned()),
            })
            .collect();
        relink(keys, &mut records);
        records
    }

    fn verify(keys: &KeyRing, records: &[AuditRecord], anchor: Option<&Anchor>) -> ChainReport {
        let mut v = ChainVerifier::new(keys, anchor);
        records.iter().for_each(|r| v.push(r));
        v.finish()
    }

    #[test]
    fn an_intact_chain_verifies() {
        let (_dir, keys) = keys(0);
        let records = chain(&keys, 5, 0);
        let report = verify(&keys, &records, None);
        assert_eq!(report.records, 5);
        assert!(report.breaks.is_empty());
        assert_eq!(report.head.as_deref(), Some(records[4].hash.as_str()));
    }

    #[test]
    fn a_carried_over_chain_is_unkeyed_up_to_the_switch_and_keyed_after() {
        let (_dir, keys) = keys(3);
        let records = chain(&keys, 5, 3);
        assert!(verify(&keys, &records, None).breaks.is_empty());
        // Record 4 rewritten with an unkeyed link, as anyone could recompute it.
        let mut rewritten = records.clone();
        rewritten[3].key_id = None;
        rewritten[3].hash = record_hash(
            &rewritten[3].prev_hash,
            4,
            &rewritten[3].at,
            &rewritten[3].event,
        );
        rewritten[4].prev_hash = rewritten[3].hash.clone();
        assert_eq!(
            verify(&keys, &rewritten, None).breaks,
            [
                ChainBreak::Unkeyed { seq: 4 },
                ChainBreak::Edited { seq: 5 }
            ]
        );
        let mut unknown = records;
        unknown[4].key_id = Some("a9".into());
        assert_eq!(
            verify(&keys, &unknown, None).breaks,
            [ChainBreak::UnknownKey {
                seq: 5,
                key_id: "a9".into()
            }]
        );
    }

    #[test]
    fn an_anchor_catches_truncation_rewriting_and_its_own_forgery() {
        let (_dir, keys) = keys(0);
        let records = chain(&keys, 5, 0);
        let anchor =
            Anchor::sign(&keys, "a1", 4, &records[3].hash, "2026-11-21T01:00:00Z").unwrap();
        assert!(verify(&keys, &records, Some(&anchor)).breaks.is_empty());
        assert_eq!(
            verify(&keys, &records[..2], Some(&anchor)).breaks,
            [ChainBreak::Truncated {
                head_seq: 2,
                anchor_seq: 4
            }]
        );
        // Rebuilt from record 3 on, even by someone holding the audit key.
        let mut rebuilt = records.clone();
        rebuilt[2].event.detail = Some("rebuilt".into());
        relink(&keys, &mut rebuilt);
        assert_eq!(
            verify(&keys, &rebuilt, Some(&anchor)).breaks,
            [ChainBreak::Rewritten { seq: 4 }]
        );
        let forged = Anchor { seq: 2, ..anchor };
        assert_eq!(
            verify(&keys, &records, Some(&forged)).breaks,
            [ChainBreak::ForgedAnchor]
        );
    }

    #[test]
    fn edits_deletions_and_insertions_are_named() {
        let (_dir, keys) = keys(0);
        let keys = &keys;
        let mut edited = chain(keys, 5, 0);
        edited[2].event.outcome = "denied".into();
        assert_eq!(
            verify(keys, &edited, None).breaks,
            [ChainBreak::Edited { seq: 3 }]
        );

        let mut deleted = chain(keys, 5, 0);
        deleted.remove(2);
        assert_eq!(
            verify(keys, &deleted, None).breaks,
            [ChainBreak::Deleted {
                after_seq: 2,
                missing: 1
            }]
        );

        // A forged record with a correct own link but no link to its predecessor.
        let mut inserted = chain(keys, 5, 0);
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
            hash: keyed_link(keys, "a1", &prev, 4, &inserted[3].at, &forged_event).unwrap(),
            event: forged_event,
            prev_hash: prev,
            key_id: Some("a1".into()),
        };
        let breaks = verify(keys, &inserted, None).breaks;
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
