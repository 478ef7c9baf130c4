-- Kakehashi store, version 11: the audit chain is keyed. Each record's link is an HMAC-SHA256
-- under an audit key kept in the key file with the data keys, and the record names that key, so
-- the chain cannot be recomputed from the database alone and verifies across key rotations.
-- Records written before carry no key id: their unkeyed SHA-256 links still verify up to the
-- record the key file names (`audit.unkeyed_until`, set when the first audit key is made); every
-- later record must be keyed.
ALTER TABLE audit_events ADD COLUMN key_id TEXT;
