-- Kakehashi store on PostgreSQL, version 1: the schema SQLite reaches after its migrations
-- 0001–0014, in PostgreSQL's types. The same SQL serves both (src/store/sql), so:
-- integers are BIGINT (SQLite's INTEGER is 64-bit), yes/no columns are 0 or 1, times are
-- RFC 3339 UTC text of one format (they compare as text), and sealed values are BYTEA.
-- Version 1's audit_log never existed here: the chain starts keyed.

CREATE TABLE raw_inputs (
    sha256       TEXT PRIMARY KEY,
    size         BIGINT NOT NULL,
    content_type TEXT,
    body         BYTEA NOT NULL,
    received_at  TEXT NOT NULL,
    key_id       TEXT
);

CREATE TABLE submissions (
    id              TEXT PRIMARY KEY,
    sha256          TEXT NOT NULL REFERENCES raw_inputs (sha256),
    adapter         TEXT NOT NULL,
    mapping         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('received', 'accepted', 'rejected')),
    error_json      BYTEA,
    received_at     TEXT NOT NULL,
    completed_at    TEXT,
    organisation_id TEXT,
    municipality_id TEXT,
    key_id          TEXT,
    UNIQUE (organisation_id, sha256, adapter, mapping)
);
CREATE INDEX submissions_pending ON submissions (status) WHERE status = 'received';

CREATE TABLE sheets (
    id              TEXT PRIMARY KEY,
    submission_id   TEXT NOT NULL REFERENCES submissions (id),
    record_index    BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    disease_group   BIGINT,
    disease_number  BIGINT,
    has_errors      BIGINT NOT NULL CHECK (has_errors IN (0, 1)),
    body_json       BYTEA NOT NULL,
    created_at      TEXT NOT NULL,
    organisation_id TEXT,
    municipality_id TEXT,
    patient_ref     TEXT,
    status          TEXT NOT NULL DEFAULT 'draft',
    confirmed_by    TEXT,
    confirmed_at    TEXT,
    updated_at      TEXT,
    key_id          TEXT,
    UNIQUE (submission_id, record_index)
);
CREATE INDEX sheets_organisation ON sheets (organisation_id);
CREATE INDEX sheets_municipality ON sheets (municipality_id);
CREATE INDEX sheets_by_patient ON sheets (organisation_id, patient_ref, status);
CREATE INDEX sheets_organisation_created ON sheets (organisation_id, created_at);
CREATE INDEX sheets_municipality_created ON sheets (municipality_id, created_at);

CREATE TABLE findings (
    sheet_id  TEXT NOT NULL REFERENCES sheets (id),
    seq       BIGINT NOT NULL,
    severity  TEXT NOT NULL CHECK (severity IN ('error', 'warning', 'info')),
    code      TEXT NOT NULL,
    item      TEXT,
    body_json BYTEA NOT NULL,
    key_id    TEXT,
    PRIMARY KEY (sheet_id, seq)
);

CREATE TABLE organisations (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('hospital', 'municipality', 'operator')),
    code       TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (kind, code)
);

CREATE TABLE terminals (
    name            TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    created_at      TEXT NOT NULL,
    disabled_at     TEXT
);

CREATE TABLE users (
    id                   TEXT PRIMARY KEY,
    organisation_id      TEXT NOT NULL REFERENCES organisations (id),
    role                 TEXT NOT NULL CHECK (role IN ('doctor', 'clerk', 'municipal_officer', 'administrator', 'integrator')),
    display_name         TEXT NOT NULL,
    profile              BYTEA,
    password_hash        TEXT NOT NULL,
    must_change_password BIGINT NOT NULL CHECK (must_change_password IN (0, 1)),
    initial_password     BYTEA,
    totp_secret          BYTEA,
    failed_logins        BIGINT NOT NULL DEFAULT 0,
    locked_until         TEXT,
    registration_batch   TEXT,
    key_id               TEXT,
    created_at           TEXT NOT NULL,
    created_by           TEXT NOT NULL,
    totp_last_step       BIGINT
);
CREATE INDEX users_batch ON users (registration_batch) WHERE registration_batch IS NOT NULL;

CREATE TABLE sessions (
    token_sha256 TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    scope        TEXT NOT NULL CHECK (scope IN ('full', 'password_change')),
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- The audit trail, chained by keyed hash (see migrations/sqlite/0002 and 0011), append-only.
CREATE TABLE audit_events (
    seq          BIGINT PRIMARY KEY,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    terminal     TEXT,
    organisation TEXT,
    source       TEXT,
    action       TEXT NOT NULL,
    object_type  TEXT,
    object_id    TEXT,
    patient_ref  TEXT,
    outcome      TEXT NOT NULL,
    detail       TEXT,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    key_id       TEXT
);
CREATE INDEX audit_events_actor ON audit_events (actor, at);
CREATE INDEX audit_events_object ON audit_events (object_id);
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_events is append-only'; END
$$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

CREATE TABLE consents (
    sheet_id    TEXT PRIMARY KEY REFERENCES sheets (id),
    consented   BIGINT NOT NULL CHECK (consented IN (0, 1)),
    source      TEXT NOT NULL CHECK (source IN ('api', 'source_data')),
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);

CREATE TABLE deliveries (
    id                  TEXT PRIMARY KEY,
    sheet_id            TEXT NOT NULL REFERENCES sheets (id),
    destination         TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead', 'discarded', 'withdrawn')),
    consent_source      TEXT NOT NULL,
    consent_recorded_at TEXT NOT NULL,
    attempts            BIGINT NOT NULL DEFAULT 0,
    -- Unix milliseconds, so that the due query compares numbers.
    next_attempt_at     BIGINT NOT NULL,
    last_error          TEXT,
    receipt_id          TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    delivered_at        TEXT,
    in_doubt_since      TEXT,
    -- The outbox worker that claimed it and until when (Unix milliseconds; sqlite/0014).
    lease_owner         TEXT,
    lease_expires_at    BIGINT,
    UNIQUE (sheet_id, destination)
);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);

CREATE TABLE access_keys (
    digest     TEXT PRIMARY KEY,
    sheet_id   TEXT NOT NULL REFERENCES sheets (id),
    issued_by  TEXT NOT NULL,
    issued_at  TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE UNIQUE INDEX access_keys_one_live ON access_keys (sheet_id) WHERE revoked_at IS NULL;

CREATE TABLE applications (
    id              TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL,
    receipt_number  TEXT NOT NULL CHECK (length(receipt_number) = 15),
    kind            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('submitted', 'processing', 'resubmission_required', 'completed', 'rejected', 'withdrawal_accepted')),
    applied_on      TEXT,
    disease_group   BIGINT,
    disease_number  BIGINT,
    has_access_key  BIGINT NOT NULL CHECK (has_access_key IN (0, 1)),
    source_sha256   TEXT NOT NULL REFERENCES raw_inputs (sha256),
    body_json       BYTEA NOT NULL,
    findings_json   BYTEA NOT NULL,
    key_id          TEXT,
    patient_ref     TEXT,
    -- The sheet the access key found; NULL until linked.
    linked_sheet_id TEXT REFERENCES sheets (id),
    imported_by     TEXT NOT NULL,
    imported_at     TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (municipality_id, receipt_number)
);
CREATE INDEX applications_by_status ON applications (municipality_id, status);

CREATE TABLE application_attachments (
    application_id TEXT NOT NULL REFERENCES applications (id),
    seq            BIGINT NOT NULL,
    sha256         TEXT NOT NULL REFERENCES raw_inputs (sha256),
    role           TEXT NOT NULL CHECK (role IN ('paper_sheet', 'other')),
    PRIMARY KEY (application_id, seq)
);
CREATE INDEX application_attachments_by_role ON application_attachments (role, sha256);

CREATE TABLE review_tasks (
    id          TEXT PRIMARY KEY,
    sheet_id    TEXT NOT NULL REFERENCES sheets (id),
    seq         BIGINT NOT NULL,
    target      TEXT NOT NULL,
    confidence  DOUBLE PRECISION NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
    body_json   BYTEA NOT NULL,
    image_png   BYTEA NOT NULL,
    key_id      TEXT,
    created_at  TEXT NOT NULL,
    resolved_by TEXT,
    resolved_at TEXT,
    UNIQUE (sheet_id, target)
);
CREATE INDEX review_tasks_by_sheet ON review_tasks (sheet_id, status);

CREATE TABLE certifications (
    application_id  TEXT PRIMARY KEY REFERENCES applications (id),
    municipality_id TEXT NOT NULL,
    receipt_number  TEXT NOT NULL CHECK (length(receipt_number) = 15),
    sheet_id        TEXT NOT NULL REFERENCES sheets (id),
    decision        TEXT NOT NULL CHECK (decision IN ('certified', 'not_certified')),
    source_sha256   TEXT NOT NULL REFERENCES raw_inputs (sha256),
    body_json       BYTEA NOT NULL,
    key_id          TEXT,
    recorded_by     TEXT NOT NULL,
    recorded_at     TEXT NOT NULL,
    UNIQUE (municipality_id, receipt_number)
);
CREATE INDEX certifications_by_sheet ON certifications (sheet_id);
CREATE INDEX certifications_by_decision ON certifications (municipality_id, decision);

CREATE TABLE carryover_consents (
    sheet_id        TEXT NOT NULL REFERENCES sheets (id),
    organisation_id TEXT NOT NULL,
    recorded_by     TEXT NOT NULL,
    recorded_at     TEXT NOT NULL,
    PRIMARY KEY (sheet_id, organisation_id)
);

CREATE TABLE console_sessions (
    id_sha256       TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id),
    organisation_id TEXT NOT NULL,
    terminal        TEXT,
    scope           TEXT NOT NULL CHECK (scope IN ('full', 'password_change')),
    csrf_secret     TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    last_seen_at    TEXT NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
CREATE INDEX console_sessions_last_seen ON console_sessions (last_seen_at);
