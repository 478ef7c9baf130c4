-- Version 3: consent to research use and deliveries to the national DB.
--
-- 研究利用への同意 is one row per sheet, the latest answer winning (its history is in the audit
-- chain). A municipal officer's answer through the API outranks what the source data said.
CREATE TABLE consents (
    sheet_id    TEXT PRIMARY KEY REFERENCES sheets (id),
    consented   INTEGER NOT NULL CHECK (consented IN (0, 1)),
    source      TEXT NOT NULL CHECK (source IN ('api', 'source_data')),
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);

-- The outbox: one delivery per sheet and destination, enqueued in the transaction that made
-- it due (consent recorded on a confirmed sheet, or confirmation of a consented sheet). The id
-- is also the Idempotency-Key the receiver deduplicates on, so a retry after a crash can never
-- be stored twice. Version 1's `outbox` table was never written to.
DROP TABLE outbox;

CREATE TABLE deliveries (
    id                  TEXT PRIMARY KEY,
    sheet_id            TEXT NOT NULL REFERENCES sheets (id),
    destination         TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead', 'discarded', 'withdrawn')),
    consent_source      TEXT NOT NULL,
    consent_recorded_at TEXT NOT NULL,
    attempts            INTEGER NOT NULL DEFAULT 0,
    -- Unix milliseconds, so that the due query compares numbers.
    next_attempt_at     INTEGER NOT NULL,
    last_error          TEXT,
    receipt_id          TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    delivered_at        TEXT,
    UNIQUE (sheet_id, destination)
);

CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
