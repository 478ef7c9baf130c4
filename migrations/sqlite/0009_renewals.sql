-- Version 9: renewals (前回値踏襲).
--
-- A renewal draft is stored like any sheet (its source, the previous sheet's canonical JSON, is
-- journaled as the raw input of an accepted `renewal` submission). Finding the patient's last
-- confirmed sheet at a hospital needs the pseudonym by organisation.
CREATE INDEX sheets_by_patient ON sheets (organisation_id, patient_ref, status);

-- The patient's consent that another hospital may renew from a sheet: recorded by the sheet's
-- hospital or its municipality, one row per sheet and receiving hospital. No personal data.
CREATE TABLE carryover_consents (
    sheet_id        TEXT NOT NULL REFERENCES sheets (id),
    organisation_id TEXT NOT NULL,
    recorded_by     TEXT NOT NULL,
    recorded_at     TEXT NOT NULL,
    PRIMARY KEY (sheet_id, organisation_id)
);
