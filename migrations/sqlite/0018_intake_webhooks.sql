-- Version 18: an app's webhook (issue 22): the app learns that one of its applications changed
-- status without polling.
--
-- `app_webhooks` holds each app's one HTTPS endpoint and its signing secret, sealed like other
-- secrets (`key_id` names the data key). `webhook_events` is the outbox: a row is written in
-- the transaction that changes an app's application's status, so no change goes unannounced
-- and none is announced that rolled back. It carries no personal data: the app reads the
-- application with GET. Workers claim due rows with a lease, as the national-DB outbox does.
CREATE TABLE app_webhooks (
    app_id  TEXT PRIMARY KEY REFERENCES organisations (id),
    url     TEXT NOT NULL,
    secret  BLOB NOT NULL,
    key_id  TEXT NOT NULL,
    set_by  TEXT NOT NULL,
    set_at  TEXT NOT NULL
);

CREATE TABLE webhook_events (
    id               TEXT PRIMARY KEY,
    app_id           TEXT NOT NULL REFERENCES organisations (id),
    application_id   TEXT NOT NULL REFERENCES applications (id),
    -- The application's status after the change (`ApplicationStatus`).
    status           TEXT NOT NULL,
    occurred_at      TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed', 'cancelled')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    -- Unix milliseconds, so that the due query compares numbers.
    next_attempt_at  INTEGER NOT NULL,
    last_error       TEXT,
    delivered_at     TEXT,
    updated_at       TEXT NOT NULL,
    lease_owner      TEXT,
    lease_expires_at INTEGER
);
CREATE INDEX webhook_events_due ON webhook_events (state, next_attempt_at);
CREATE INDEX webhook_events_by_app ON webhook_events (app_id, state);
