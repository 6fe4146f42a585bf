-- Gravity.Usage schema version 8: idempotency keys are stored as a 16-byte hash of (account, meter, key) instead of
-- the three texts: about 40 bytes a key on disk instead of ~140 (see IdempotencyKeyHash for the hash and its odds).
-- The table is keyed by the hash alone and has no index on recorded_at, which would cost as much again: expired keys
-- are found by sweeping the table in hash order, a bounded step at a time (SqliteExpiredKeySweep).
-- Keys stored before version 8 stay in usage_idempotency_key and keep protecting retries until they expire: SQL
-- cannot compute SHA-256 here, so they are read (never written) beside this table, and pruned, until it is empty.

CREATE TABLE IF NOT EXISTS {prefix}usage_idempotency_hash (
    key_hash    BLOB    NOT NULL PRIMARY KEY CHECK (length(key_hash) = 16),
    recorded_at INTEGER NOT NULL, -- Unix seconds, UTC, rounded up; keys expire relative to it
    fingerprint INTEGER           -- 8 bytes of the recording call, as in usage_idempotency_key; NULL: none
) STRICT, WITHOUT ROWID;
