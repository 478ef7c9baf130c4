-- Version 19: why an application was returned (要再申請) or refused (却下), as the officer wrote
-- it, so that the applicant's app can show it (issue 22).
--
-- One row per application: the reason given with its latest status change, and the status it
-- was given for — a later change without a reason removes it, and a reason is shown only while
-- the application is still in that status. Free text an officer writes may name the patient,
-- so it is sealed like the application itself, with its own key id for re-sealing.
CREATE TABLE application_status_reasons (
    application_id TEXT PRIMARY KEY REFERENCES applications (id),
    status         TEXT NOT NULL,
    reason         BLOB NOT NULL,
    key_id         TEXT,
    given_by       TEXT NOT NULL,
    given_at       TEXT NOT NULL
);
