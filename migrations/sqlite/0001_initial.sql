-- Kakehashi store, version 1. Times are RFC 3339 in UTC.

-- The journal: every input exactly as received, content-addressed, written before the request
-- is acknowledged.
CREATE TABLE raw_inputs (
    sha256       TEXT PRIMARY KEY,
    size         INTEGER NOT NULL,
    content_type TEXT,
    body         BLOB NOT NULL,
    received_at  TEXT NOT NULL
);

-- One submission per (input, adapter, mapping): sending the same bytes again finds it.
CREATE TABLE submissions (
    id           TEXT PRIMARY KEY,
    sha256       TEXT NOT NULL REFERENCES raw_inputs (sha256),
    adapter      TEXT NOT NULL,
    mapping      TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('received', 'accepted', 'rejected')),
    error_json   TEXT,
    received_at  TEXT NOT NULL,
    completed_at TEXT,
    UNIQUE (sha256, adapter, mapping)
);
CREATE INDEX submissions_pending ON submissions (status) WHERE status = 'received';

-- Canonical sheets (JSON), one row per record of a submission.
CREATE TABLE sheets (
    id             TEXT PRIMARY KEY,
    submission_id  TEXT NOT NULL REFERENCES submissions (id),
    record_index   INTEGER NOT NULL,
    kind           TEXT NOT NULL,
    disease_group  INTEGER,
    disease_number INTEGER,
    has_errors     INTEGER NOT NULL,
    body_json      TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    UNIQUE (submission_id, record_index)
);

CREATE TABLE findings (
    sheet_id  TEXT NOT NULL REFERENCES sheets (id),
    seq       INTEGER NOT NULL,
    severity  TEXT NOT NULL CHECK (severity IN ('error', 'warning', 'info')),
    code      TEXT NOT NULL,
    item      TEXT,
    body_json TEXT NOT NULL,
    PRIMARY KEY (sheet_id, seq)
);

-- Deliveries to the national DB, written in the same transaction as what they deliver.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    sheet_id        TEXT NOT NULL REFERENCES sheets (id),
    destination     TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'in_flight', 'delivered', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    delivered_at    TEXT
);

-- Who did what to which record, when, with what outcome. Append-only.
CREATE TABLE audit_log (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    at            TEXT NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    submission_id TEXT,
    sheet_id      TEXT,
    outcome       TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
