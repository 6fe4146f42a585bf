-- Gravity.Usage schema version 5: audited corrections.

-- One row per correction: what (account, meter, bucket, signed delta), why (reason), when, and under which key.
-- The key is unique per account, so a retried correction is found instead of applied twice; corrections are the audit
-- trail and are never pruned. from_unreported is the signed part applied to usage not yet reported; from_unsent the
-- part taken from reports never sent. What was taken from reports the back end may have lives in usage_report rows
-- ('cancelling', then 'cancelled' or 'needs_credit') linked to the correction by usage_report_correction.
CREATE TABLE IF NOT EXISTS {prefix}usage_correction (
    id              INTEGER PRIMARY KEY,
    account         TEXT    NOT NULL,
    meter           TEXT    NOT NULL,
    bucket_start    INTEGER NOT NULL,           -- Unix seconds, UTC
    delta           INTEGER NOT NULL CHECK (delta <> 0),
    reason          TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,           -- Unix milliseconds
    from_unreported INTEGER NOT NULL,
    from_unsent     INTEGER NOT NULL DEFAULT 0 CHECK (from_unsent >= 0),
    UNIQUE (account, idempotency_key)
) STRICT;

-- Report identifiers count a counter's corrections (a correction may lower its reported quantity).
CREATE INDEX IF NOT EXISTS {prefix}ix_usage_correction_counter ON {prefix}usage_correction (account, bucket_start, meter);

-- Which report a report replaces (the rest of a cancelled report) or takes an amount from (a correction's
-- 'cancelling' or 'needs_credit' report, which also names its correction). A table of its own, so that the install
-- script stays safe to run again and usage_report keeps its columns.
CREATE TABLE IF NOT EXISTS {prefix}usage_report_correction (
    report_id     INTEGER NOT NULL PRIMARY KEY,
    replaces_id   INTEGER NOT NULL,
    correction_id INTEGER
) STRICT;

CREATE INDEX IF NOT EXISTS {prefix}ix_usage_report_correction_replaces ON {prefix}usage_report_correction (replaces_id);
CREATE INDEX IF NOT EXISTS {prefix}ix_usage_report_correction_correction ON {prefix}usage_report_correction (correction_id);

-- Reports gain three statuses. SQLite cannot change a CHECK constraint in place, so the table is rebuilt as SQLite
-- documents it (create, copy, drop, rename) with the same columns; run again, it copies the same rows again.
-- NOTE for merges: a change that adds columns to usage_report must add them here too.
CREATE TABLE IF NOT EXISTS {prefix}usage_report_v6 (
    id               INTEGER PRIMARY KEY,
    identifier       TEXT    NOT NULL UNIQUE,
    account          TEXT    NOT NULL,
    meter            TEXT    NOT NULL,
    bucket_start     INTEGER NOT NULL,          -- Unix seconds, UTC
    quantity         INTEGER NOT NULL CHECK (quantity >= 0), -- as version 7 allows (a gauge may report 0): running the whole install script again must copy every row
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'skipped', 'unknown', 'cancelled', 'cancelling', 'needs_credit')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    redrive_count    INTEGER NOT NULL DEFAULT 0,  -- suffixes the Idempotency-Key after a re-drive
    next_attempt_at  INTEGER NOT NULL,          -- Unix milliseconds
    first_attempt_at INTEGER,                   -- Unix milliseconds
    last_error       TEXT,
    last_request_id  TEXT,
    created_at       INTEGER NOT NULL,          -- Unix milliseconds
    sent_at          INTEGER,                   -- Unix milliseconds
    lease_owner      TEXT,
    lease_expires_at INTEGER                    -- Unix milliseconds
) STRICT;

INSERT INTO {prefix}usage_report_v6 (id, identifier, account, meter, bucket_start, quantity, status, attempts, redrive_count,
    next_attempt_at, first_attempt_at, last_error, last_request_id, created_at, sent_at, lease_owner, lease_expires_at)
SELECT id, identifier, account, meter, bucket_start, quantity, status, attempts, redrive_count,
    next_attempt_at, first_attempt_at, last_error, last_request_id, created_at, sent_at, lease_owner, lease_expires_at
FROM {prefix}usage_report;

DROP TABLE {prefix}usage_report;
ALTER TABLE {prefix}usage_report_v6 RENAME TO {prefix}usage_report;

CREATE INDEX IF NOT EXISTS {prefix}ix_usage_report_due ON {prefix}usage_report (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS {prefix}ix_usage_report_account ON {prefix}usage_report (account, status);
-- A correction reads the reports of one counter.
CREATE INDEX IF NOT EXISTS {prefix}ix_usage_report_counter ON {prefix}usage_report (account, bucket_start, meter);
