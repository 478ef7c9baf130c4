-- Kakehashi store on PostgreSQL, version 5 (SQLite's 0018): an app's webhook (issue 22). One
-- HTTPS endpoint per app with its signing secret sealed, and the outbox of status-change
-- events written in the transaction of the change, claimed by workers with a lease.
CREATE TABLE app_webhooks (
    app_id  TEXT PRIMARY KEY REFERENCES organisations (id),
    url     TEXT NOT NULL,
    secret  BYTEA NOT NULL,
    key_id  TEXT NOT NULL,
    set_by  TEXT NOT NULL,
    set_at  TEXT NOT NULL
);

CREATE TABLE webhook_events (
    id               TEXT PRIMARY KEY,
    app_id           TEXT NOT NULL REFERENCES organisations (id),
    application_id   TEXT NOT NULL REFERENCES applications (id),
    status           TEXT NOT NULL,
    occurred_at      TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed', 'cancelled')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    last_error       TEXT,
    delivered_at     TEXT,
    updated_at       TEXT NOT NULL,
    lease_owner      TEXT,
    lease_expires_at BIGINT
);
CREATE INDEX webhook_events_due ON webhook_events (state, next_attempt_at);
CREATE INDEX webhook_events_by_app ON webhook_events (app_id, state);
