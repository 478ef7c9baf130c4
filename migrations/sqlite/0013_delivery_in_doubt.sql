-- Version 13: a delivery remembers an attempt whose outcome it does not know.
--
-- `in_doubt_since` is written before the document is sent and cleared by the receipt; it stays
-- when the gateway stopped before the answer came (a crash) or the answer was lost (a timeout,
-- a dropped connection). While it is set the national DB may hold the sheet: a withdrawal of
-- consent then stops any further sending but says the sheet may have arrived, instead of
-- saying it was never sent. (Version 12 is left to the TOTP work under way.)
ALTER TABLE deliveries ADD COLUMN in_doubt_since TEXT;
