-- Gravity.Usage schema version 4: idempotency keys remember a fingerprint of the call that recorded them, so that the
-- same key with other content (quantity, meters, bucket) is told from a retry and refused as a conflict.
-- The table is renamed to usage_idempotency_key, as on SQLite (which must copy it to add the column safely); here the
-- column is added in place (no rewrite: NULL for every existing key) and the table, its key and index are renamed.
-- Safe to run again: on a second run, script 1 creates an empty usage_idempotency, which is dropped here.

DO $$
BEGIN
    IF to_regclass('{prefix}usage_idempotency_key') IS NULL THEN
        ALTER TABLE {prefix}usage_idempotency ADD COLUMN fingerprint bigint; -- NULL: stored before version 4, matches any retry
        ALTER TABLE {prefix}usage_idempotency RENAME TO usage_idempotency_key;
        ALTER TABLE {prefix}usage_idempotency_key RENAME CONSTRAINT usage_idempotency_pkey TO usage_idempotency_key_pkey;
        ALTER INDEX IF EXISTS {prefix}ix_usage_idempotency_recorded_at RENAME TO ix_usage_idempotency_key_recorded_at;
    ELSE
        DROP TABLE IF EXISTS {prefix}usage_idempotency;
    END IF;
END
$$;
