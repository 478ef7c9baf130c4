-- Kakehashi store on PostgreSQL, version 4 (SQLite's 0017): applications from apps (the intake
-- API, issue 22). Application vendors are organisations of kind `app` with terminals of their
-- own and machine credentials (only their SHA-256 kept); a municipality's allow-list says
-- which apps may send to it; `applications.channel` says where an application came from; and
-- `intake_requests` keeps each app's idempotency keys with the SHA-256 of the body sent.
ALTER TABLE organisations DROP CONSTRAINT organisations_kind_check;
ALTER TABLE organisations ADD CONSTRAINT organisations_kind_check
    CHECK (kind IN ('hospital', 'municipality', 'operator', 'app'));

CREATE TABLE app_credentials (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    token_sha256    TEXT NOT NULL UNIQUE,
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    revoked_at      TEXT
);
CREATE INDEX app_credentials_by_organisation ON app_credentials (organisation_id);

CREATE TABLE app_acceptances (
    municipality_id TEXT NOT NULL REFERENCES organisations (id),
    app_id          TEXT NOT NULL REFERENCES organisations (id),
    accepted_by     TEXT NOT NULL,
    accepted_at     TEXT NOT NULL,
    PRIMARY KEY (municipality_id, app_id)
);

ALTER TABLE applications ADD COLUMN channel TEXT NOT NULL DEFAULT 'mynaportal';

CREATE TABLE intake_requests (
    app_id          TEXT NOT NULL REFERENCES organisations (id),
    idempotency_key TEXT NOT NULL,
    body_sha256     TEXT NOT NULL,
    application_id  TEXT NOT NULL REFERENCES applications (id),
    received_at     TEXT NOT NULL,
    PRIMARY KEY (app_id, idempotency_key)
);
CREATE INDEX intake_requests_by_application ON intake_requests (application_id);
