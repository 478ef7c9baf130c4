-- Version 16: a long submission's sheets staged in chunks while it is read.
--
-- A submission's sheets become visible all at once, when it is completed, in the transaction
-- that marks it accepted. Holding every sheet of a long export in memory until then cost 59
-- times the input; instead the pipeline writes each full chunk here as it is read (sealed, as
-- the real rows are) and the completion copies them into `sheets`, `findings`, `review_tasks`
-- and `consents` with INSERT … SELECT and deletes them. Nothing here is visible through the
-- API. A chunk written again (a resumed submission) replaces the rows of its record indexes;
-- a rejected or already completed submission's staged rows are deleted.
CREATE TABLE staged_sheets (
    submission_id    TEXT NOT NULL REFERENCES submissions (id),
    record_index     INTEGER NOT NULL,
    id               TEXT NOT NULL,
    kind             TEXT NOT NULL,
    disease_group    INTEGER,
    disease_number   INTEGER,
    has_errors       INTEGER NOT NULL CHECK (has_errors IN (0, 1)),
    body_json        BLOB NOT NULL,
    key_id           TEXT NOT NULL,
    patient_ref      TEXT,
    -- The research consent the source data states (NULL: it states none).
    research_consent INTEGER CHECK (research_consent IN (0, 1)),
    PRIMARY KEY (submission_id, record_index)
);

CREATE TABLE staged_findings (
    submission_id TEXT NOT NULL,
    sheet_id      TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    severity      TEXT NOT NULL,
    code          TEXT NOT NULL,
    item          TEXT,
    body_json     BLOB NOT NULL,
    key_id        TEXT NOT NULL,
    PRIMARY KEY (sheet_id, seq)
);
CREATE INDEX staged_findings_by_submission ON staged_findings (submission_id);

CREATE TABLE staged_reviews (
    id            TEXT PRIMARY KEY,
    submission_id TEXT NOT NULL,
    sheet_id      TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    target        TEXT NOT NULL,
    confidence    REAL NOT NULL,
    body_json     BLOB NOT NULL,
    image_png     BLOB NOT NULL,
    key_id        TEXT NOT NULL
);
CREATE INDEX staged_reviews_by_submission ON staged_reviews (submission_id);
