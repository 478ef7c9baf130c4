-- Version 4: access keys (アクセスキー). Confirming a sheet issues a key the patient takes to
-- their municipality; the officer's lookup binds the sheet to that municipality.
--
-- Only the SHA-256 of the key is kept (95 random bits: no dictionary to precompute). A sheet
-- has at most one live key: issuing again revokes the one before. Times are RFC 3339 UTC with
-- milliseconds, one fixed format, so `expires_at > now` compares as text.
CREATE TABLE access_keys (
    digest     TEXT PRIMARY KEY,
    sheet_id   TEXT NOT NULL REFERENCES sheets (id),
    issued_by  TEXT NOT NULL,
    issued_at  TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE UNIQUE INDEX access_keys_one_live ON access_keys (sheet_id) WHERE revoked_at IS NULL;
