-- Gravity.Usage schema version 1: usage counters and idempotency keys.
-- Tables are STRICT so that an integer can never silently turn into a floating-point value.

-- One row per (account, time bucket, meter). quantity is everything counted; reported_quantity is the part already
-- moved into usage reports. The key starts with the account so that one account's period is one contiguous range.
CREATE TABLE IF NOT EXISTS {prefix}usage_counter (
    account           TEXT    NOT NULL,
    bucket_start      INTEGER NOT NULL, -- Unix seconds, UTC, aligned to the bucket size
    meter             TEXT    NOT NULL,
    quantity          INTEGER NOT NULL CHECK (quantity >= 0),
    reported_quantity INTEGER NOT NULL DEFAULT 0 CHECK (reported_quantity >= 0 AND reported_quantity <= quantity),
    PRIMARY KEY (account, bucket_start, meter)
) STRICT, WITHOUT ROWID;

-- Idempotency keys already counted, written in the same transaction as the counter they guard.
CREATE TABLE IF NOT EXISTS {prefix}usage_idempotency (
    account         TEXT    NOT NULL,
    meter           TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL,
    recorded_at     INTEGER NOT NULL, -- Unix milliseconds, UTC; keys expire relative to it
    PRIMARY KEY (account, meter, idempotency_key)
) STRICT, WITHOUT ROWID;

CREATE INDEX IF NOT EXISTS {prefix}ix_usage_idempotency_recorded_at ON {prefix}usage_idempotency (recorded_at);
