-- Version 7: municipal decisions (認定 / 不認定) imported from back-office decision files.
--
-- One row per application: the latest decision wins, a changed one replaces it (its history is
-- in the audit chain), and importing the same file again changes nothing. The decision is kept
-- beside the sheet instead of inside it: a confirmed sheet's canonical JSON is what the
-- designated doctor confirmed and stays as it was, and reads merge the decision into the
-- sheet's 行政記載欄. The certification (受給者番号, patient fields of the file) is sealed;
-- the columns beside it carry no personal data. The decision file itself is a raw input,
-- content-addressed and sealed.
CREATE TABLE certifications (
    application_id  TEXT PRIMARY KEY REFERENCES applications (id),
    municipality_id TEXT NOT NULL,
    receipt_number  TEXT NOT NULL CHECK (length(receipt_number) = 15),
    sheet_id        TEXT NOT NULL REFERENCES sheets (id),
    decision        TEXT NOT NULL CHECK (decision IN ('certified', 'not_certified')),
    source_sha256   TEXT NOT NULL REFERENCES raw_inputs (sha256),
    body_json       BLOB NOT NULL,
    key_id          TEXT,
    recorded_by     TEXT NOT NULL,
    recorded_at     TEXT NOT NULL,
    UNIQUE (municipality_id, receipt_number)
);
CREATE INDEX certifications_by_sheet ON certifications (sheet_id);
CREATE INDEX certifications_by_decision ON certifications (municipality_id, decision);
