-- Version 12: a TOTP code is good once (RFC 6238 §5.2: a verifier must not accept the same code
-- twice). The time step of the last code a user logged in with is kept; a code of that step or
-- an earlier one is refused, so a code replayed within its 30 seconds does not open a session.
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
