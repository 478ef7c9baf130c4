-- Version 17: applications from apps (the intake API, issue 22).
--
-- Application vendors (アプリ事業者) are organisations of kind `app`: their back ends reach the
-- gateway through terminals of their own (client certificates) and authenticate with a
-- machine credential an administrator issues, of which only the SHA-256 is kept. A
-- municipality says which apps may send to it (app_acceptances); an app's applications land in
-- `applications` beside Mynaportal's, with `channel` saying where each came from, and
-- `intake_requests` remembers each app's own idempotency key with the SHA-256 of the body it
-- came with, so a replay answers the same receipt and another body under the key is refused.
--
-- SQLite cannot change a CHECK constraint, so `organisations` is rebuilt; the references of
-- terminals and users are checked when the migration commits.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE organisations_new (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('hospital', 'municipality', 'operator', 'app')),
    code       TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (kind, code)
);
INSERT INTO organisations_new (id, kind, code, name, created_at)
SELECT id, kind, code, name, created_at FROM organisations;
DROP TABLE organisations;
ALTER TABLE organisations_new RENAME TO organisations;

-- Machine credentials of apps: `kka_` and 256 random bits, shown once; only the SHA-256 here.
CREATE TABLE app_credentials (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    token_sha256    TEXT NOT NULL UNIQUE,
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    revoked_at      TEXT
);
CREATE INDEX app_credentials_by_organisation ON app_credentials (organisation_id);

-- The allow-list: the apps a municipality accepts applications from.
CREATE TABLE app_acceptances (
    municipality_id TEXT NOT NULL REFERENCES organisations (id),
    app_id          TEXT NOT NULL REFERENCES organisations (id),
    accepted_by     TEXT NOT NULL,
    accepted_at     TEXT NOT NULL,
    PRIMARY KEY (municipality_id, app_id)
);

-- Where an application came from: `mynaportal` (a 申請管理 download) or `app:<code>`.
ALTER TABLE applications ADD COLUMN channel TEXT NOT NULL DEFAULT 'mynaportal';

-- An app's idempotency keys: one application per key and app.
CREATE TABLE intake_requests (
    app_id          TEXT NOT NULL REFERENCES organisations (id),
    idempotency_key TEXT NOT NULL,
    body_sha256     TEXT NOT NULL,
    application_id  TEXT NOT NULL REFERENCES applications (id),
    received_at     TEXT NOT NULL,
    PRIMARY KEY (app_id, idempotency_key)
);
CREATE INDEX intake_requests_by_application ON intake_requests (application_id);
