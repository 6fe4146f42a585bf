-- Gravity.Usage schema version 8: idempotency keys are stored as a 16-byte hash of (account, meter, key) instead of
-- the three texts (see IdempotencyKeyHash for the hash and its odds). The columns are ordered so that no byte is
-- padding: a 24-byte tuple header, the uuid, then two 8-byte integers.
-- Keys stored before version 8 stay in usage_idempotency_key and keep protecting retries until they expire: they are
-- read (never written) beside this table, and pruned, until it is empty; as on SQLite, where SQL cannot hash them.
-- Safe to run again.

CREATE TABLE IF NOT EXISTS {prefix}usage_idempotency_hash (
    key_hash    uuid   NOT NULL PRIMARY KEY, -- first 16 bytes of SHA-256 over length-prefixed UTF-8 account, meter, key
    fingerprint bigint,                      -- 8 bytes of the recording call, as in usage_idempotency_key; NULL: none
    recorded_at bigint NOT NULL              -- Unix seconds, UTC, rounded up; keys expire relative to it
);

-- Pruning takes the oldest keys first. Many keys share a second, so B-tree deduplication keeps this index small.
CREATE INDEX IF NOT EXISTS ix_usage_idempotency_hash_recorded_at ON {prefix}usage_idempotency_hash (recorded_at);
