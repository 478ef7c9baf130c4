-- Kakehashi store, version 2: who may connect and what they may do, a hash-chained audit trail,
-- and encryption at rest.

-- Organisations: hospitals (医療機関コード), municipalities (地方公共団体コード) and the operator of
-- the gateway. `id` is `<kind>:<code>`.
CREATE TABLE organisations (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('hospital', 'municipality', 'operator')),
    code       TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (kind, code)
);

-- Permitted terminals: the name in a client certificate (SAN URI urn:kakehashi:terminal:NAME or
-- the subject CN), bound to the organisation it belongs to.
CREATE TABLE terminals (
    name            TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    created_at      TEXT NOT NULL,
    disabled_at     TEXT
);

-- People. Passwords are argon2id PHC strings; the TOTP secret and a not-yet-changed initial
-- password are sealed with the data key.
CREATE TABLE users (
    id                       TEXT PRIMARY KEY,
    organisation_id          TEXT NOT NULL REFERENCES organisations (id),
    role                     TEXT NOT NULL CHECK (role IN ('doctor', 'clerk', 'municipal_officer', 'administrator', 'integrator')),
    display_name             TEXT NOT NULL,
    profile                  BLOB,
    password_hash            TEXT NOT NULL,
    must_change_password     INTEGER NOT NULL,
    initial_password         BLOB,
    totp_secret              BLOB,
    failed_logins            INTEGER NOT NULL DEFAULT 0,
    locked_until             TEXT,
    registration_batch       TEXT,
    key_id                   TEXT,
    created_at               TEXT NOT NULL,
    created_by               TEXT NOT NULL
);
CREATE INDEX users_batch ON users (registration_batch) WHERE registration_batch IS NOT NULL;

-- Login sessions: only the SHA-256 of the bearer token is kept.
CREATE TABLE sessions (
    token_sha256 TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    scope        TEXT NOT NULL CHECK (scope IN ('full', 'password_change')),
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Ownership: the organisation that registered a submission and the municipality it is for.
ALTER TABLE submissions ADD COLUMN organisation_id TEXT;
ALTER TABLE submissions ADD COLUMN municipality_id TEXT;
ALTER TABLE sheets ADD COLUMN organisation_id TEXT;
ALTER TABLE sheets ADD COLUMN municipality_id TEXT;
ALTER TABLE sheets ADD COLUMN patient_ref TEXT;
-- 仮登録 (draft, written by a clerk or doctor) until a designated doctor confirms it.
ALTER TABLE sheets ADD COLUMN status TEXT NOT NULL DEFAULT 'draft';
ALTER TABLE sheets ADD COLUMN confirmed_by TEXT;
ALTER TABLE sheets ADD COLUMN confirmed_at TEXT;
ALTER TABLE sheets ADD COLUMN updated_at TEXT;
CREATE INDEX sheets_organisation ON sheets (organisation_id);
CREATE INDEX sheets_municipality ON sheets (municipality_id);

-- Encryption at rest: which data key sealed each row's personal data (NULL: written in clear
-- by version 1, sealed at the next start).
ALTER TABLE raw_inputs ADD COLUMN key_id TEXT;
ALTER TABLE submissions ADD COLUMN key_id TEXT;
ALTER TABLE sheets ADD COLUMN key_id TEXT;
ALTER TABLE findings ADD COLUMN key_id TEXT;

-- The audit trail, chained by hash: each record carries the hash of the one before it, so an
-- edited, deleted or inserted record breaks the chain (`kakehashi audit verify`). Version 1's
-- `audit_log` rows are moved into it, in order, at the first start.
CREATE TABLE audit_events (
    seq          INTEGER PRIMARY KEY,
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
    hash         TEXT NOT NULL UNIQUE
);
CREATE INDEX audit_events_actor ON audit_events (actor, at);
CREATE INDEX audit_events_object ON audit_events (object_id);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
