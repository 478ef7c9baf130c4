-- Kakehashi store on PostgreSQL, version 2 (SQLite's 0015): the intrusion counters, shared
-- through the database so that they hold across gateway instances and restarts (they were in
-- each process's memory).
--
-- `failure_windows`: failures counted against a subject — an address ('address', its text),
-- a person or a terminal presenting wrong access keys ('access_key_user', 'access_key_terminal')
-- — within a window from the first of them; the failure that reaches the limit blocks the
-- subject until `blocked_until_ms`. `sheet_reads`: sheets read by a user within an hour from
-- the first read. Times are Unix milliseconds; `expires_at_ms` is when a row stops mattering
-- (its window or its block over), after which the next count starts afresh and a sweep
-- deletes it.
CREATE TABLE failure_windows (
    kind             TEXT NOT NULL CHECK (kind IN ('address', 'access_key_user', 'access_key_terminal')),
    subject          TEXT NOT NULL,
    failures         BIGINT NOT NULL,
    blocked_until_ms BIGINT,
    expires_at_ms    BIGINT NOT NULL,
    PRIMARY KEY (kind, subject)
);
CREATE INDEX failure_windows_expires ON failure_windows (expires_at_ms);

CREATE TABLE sheet_reads (
    user_id       TEXT PRIMARY KEY,
    reads         BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL
);
CREATE INDEX sheet_reads_expires ON sheet_reads (expires_at_ms);
