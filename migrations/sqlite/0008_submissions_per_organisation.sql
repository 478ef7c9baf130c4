-- A submission is unique per sending organisation, not per content: version 1's
-- UNIQUE (sha256, adapter, mapping) made a second organisation sending byte-identical content
-- collide with the first (the id, a UUIDv5 of the organisation, hash, adapter and mapping,
-- differed, the unique key did not), which failed every retry and told the second sender that
-- someone else had sent those bytes. SQLite cannot drop a table constraint, so the table is
-- rebuilt; the sheets' references are checked when the migration commits.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE submissions_new (
    id              TEXT PRIMARY KEY,
    sha256          TEXT NOT NULL REFERENCES raw_inputs (sha256),
    adapter         TEXT NOT NULL,
    mapping         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('received', 'accepted', 'rejected')),
    error_json      TEXT,
    received_at     TEXT NOT NULL,
    completed_at    TEXT,
    organisation_id TEXT,
    municipality_id TEXT,
    key_id          TEXT,
    UNIQUE (organisation_id, sha256, adapter, mapping)
);

INSERT INTO submissions_new (id, sha256, adapter, mapping, status, error_json, received_at,
                             completed_at, organisation_id, municipality_id, key_id)
SELECT id, sha256, adapter, mapping, status, error_json, received_at, completed_at,
       organisation_id, municipality_id, key_id
FROM submissions;

DROP TABLE submissions;
ALTER TABLE submissions_new RENAME TO submissions;
CREATE INDEX submissions_pending ON submissions (status) WHERE status = 'received';
