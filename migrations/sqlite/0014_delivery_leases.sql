-- Kakehashi store, version 14: an outbox worker claims the deliveries it attempts with a lease
-- (its name and when the lease ends, in Unix milliseconds), so that several gateway instances
-- on one database never have one delivery in flight twice, and the deliveries of an instance
-- that died are taken over when its leases run out.
ALTER TABLE deliveries ADD COLUMN lease_owner TEXT;
ALTER TABLE deliveries ADD COLUMN lease_expires_at INTEGER;
