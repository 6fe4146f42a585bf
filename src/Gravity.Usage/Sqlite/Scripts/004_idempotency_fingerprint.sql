-- Gravity.Usage schema version 4: idempotency keys remember a fingerprint of the call that recorded them, so that the
-- same key with other content (quantity, meters, bucket) is told from a retry and refused as a conflict.
-- The keys move to a table of a new name: SQLite cannot add a column only if it is missing, and this script must stay
-- safe to run again (on a second run, script 1 creates an empty usage_idempotency, which is copied and dropped here).

CREATE TABLE IF NOT EXISTS {prefix}usage_idempotency_key (
    account         TEXT    NOT NULL,
    meter           TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL,
    recorded_at     INTEGER NOT NULL, -- Unix milliseconds, UTC; keys expire relative to it
    fingerprint     INTEGER,          -- 8 bytes of the recording call; NULL for keys stored before version 4 (match any retry)
    PRIMARY KEY (account, meter, idempotency_key)
) STRICT, WITHOUT ROWID;

INSERT OR IGNORE INTO {prefix}usage_idempotency_key (account, meter, idempotency_key, recorded_at)
SELECT account, meter, idempotency_key, recorded_at FROM {prefix}usage_idempotency;

DROP TABLE IF EXISTS {prefix}usage_idempotency;

CREATE INDEX IF NOT EXISTS {prefix}ix_usage_idempotency_key_recorded_at ON {prefix}usage_idempotency_key (recorded_at);
