-- Version 5: subsidy applications (申請) downloaded from Mynaportal's 申請管理.
--
-- One row per 受付番号 and municipality, so importing the same download again changes nothing.
-- The canonical application (applicant, patient, access key, attachment names) and its findings
-- are sealed; the columns beside them carry no personal data and serve lists and filters. The
-- XML and the attachments themselves are raw inputs, content-addressed and sealed.
CREATE TABLE applications (
    id              TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL,
    receipt_number  TEXT NOT NULL CHECK (length(receipt_number) = 15),
    kind            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('submitted', 'processing', 'resubmission_required', 'completed', 'rejected', 'withdrawal_accepted')),
    applied_on      TEXT,
    disease_group   INTEGER,
    disease_number  INTEGER,
    has_access_key  INTEGER NOT NULL,
    source_sha256   TEXT NOT NULL REFERENCES raw_inputs (sha256),
    body_json       BLOB NOT NULL,
    findings_json   BLOB NOT NULL,
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

-- Attached files by role, so that a scan adapter finds the paper sheets (臨床調査個人票 as PDF)
-- without opening every application.
CREATE TABLE application_attachments (
    application_id TEXT NOT NULL REFERENCES applications (id),
    seq            INTEGER NOT NULL,
    sha256         TEXT NOT NULL REFERENCES raw_inputs (sha256),
    role           TEXT NOT NULL CHECK (role IN ('paper_sheet', 'other')),
    PRIMARY KEY (application_id, seq)
);
CREATE INDEX application_attachments_by_role ON application_attachments (role, sha256);
