-- Version 10: browser sessions of the web console (/console/).
--
-- Only the SHA-256 of the session id (the cookie) is kept, so a copy of the database cannot be
-- used to log in. A session is bound to the terminal (client certificate) and organisation it
-- was opened from; `csrf_secret` is the token every form of the session carries. Timeouts
-- (idle and absolute) are the gateway's configuration, checked against the two timestamps.
-- `scope` is `password_change` while a one-time initial password must be changed first.
CREATE TABLE console_sessions (
    id_sha256       TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id),
    organisation_id TEXT NOT NULL,
    terminal        TEXT,
    scope           TEXT NOT NULL CHECK (scope IN ('full', 'password_change')),
    csrf_secret     TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    last_seen_at    TEXT NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
CREATE INDEX console_sessions_last_seen ON console_sessions (last_seen_at);

-- The console's sheet list pages through an organisation's (or municipality's) sheets, newest
-- first, thousands of them.
CREATE INDEX sheets_organisation_created ON sheets (organisation_id, created_at);
CREATE INDEX sheets_municipality_created ON sheets (municipality_id, created_at);
