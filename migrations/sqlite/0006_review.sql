-- Version 6: the review queue of the scanned-paper path.
--
-- One task per value read by OCR that a person must check before its sheet can be registered:
-- its confidence was below the form's threshold, or the value failed a check (a wrong check
-- digit, an impossible date). The value as read, the field's label and location are sealed in
-- `body_json`, the cut-out of the box as scanned in `image_png` (personal data, both). A task
-- is resolved once, with the value the reviewer read off the image; its history is in the
-- audit chain.
CREATE TABLE review_tasks (
    id          TEXT PRIMARY KEY,
    sheet_id    TEXT NOT NULL REFERENCES sheets (id),
    seq         INTEGER NOT NULL,
    target      TEXT NOT NULL,
    confidence  REAL NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
    body_json   BLOB NOT NULL,
    image_png   BLOB NOT NULL,
    key_id      TEXT,
    created_at  TEXT NOT NULL,
    resolved_by TEXT,
    resolved_at TEXT,
    UNIQUE (sheet_id, target)
);

CREATE INDEX review_tasks_by_sheet ON review_tasks (sheet_id, status);
