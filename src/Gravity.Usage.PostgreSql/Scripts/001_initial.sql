-- Gravity.Usage schema version 1: usage counters and idempotency keys.
-- {prefix} is the schema followed by a dot; index names take the schema of their table.

-- One row per (account, time bucket, meter). quantity is everything counted; reported_quantity is the part already
-- moved into usage reports. The key starts with the account so that one account's period is one contiguous range.
CREATE TABLE IF NOT EXISTS {prefix}usage_counter (
    account           text   NOT NULL,
    bucket_start      bigint NOT NULL, -- Unix seconds, UTC, aligned to the bucket size
    meter             text   NOT NULL,
    quantity          bigint NOT NULL CHECK (quantity >= 0),
    reported_quantity bigint NOT NULL DEFAULT 0 CHECK (reported_quantity >= 0 AND reported_quantity <= quantity),
    PRIMARY KEY (account, bucket_start, meter)
);

-- Idempotency keys already counted, written in the same transaction as the counter they guard.
CREATE TABLE IF NOT EXISTS {prefix}usage_idempotency (
    account         text   NOT NULL,
    meter           text   NOT NULL,
    idempotency_key text   NOT NULL,
    recorded_at     bigint NOT NULL, -- Unix milliseconds, UTC; keys expire relative to it
    PRIMARY KEY (account, meter, idempotency_key)
);

CREATE INDEX IF NOT EXISTS ix_usage_idempotency_recorded_at ON {prefix}usage_idempotency (recorded_at);
