-- Gravity.Usage schema version 6: audited corrections.

-- One row per correction: what (account, meter, bucket, signed delta), why (reason), when, and under which key.
-- The key is unique per account, so a retried correction is found instead of applied twice; corrections are the audit
-- trail and are never pruned. from_unreported is the signed part applied to usage not yet reported; from_unsent the
-- part taken from reports never sent. What was taken from reports the back end may have lives in usage_report rows
-- ('cancelling', then 'cancelled' or 'needs_credit') linked to the correction by usage_report_correction.
CREATE TABLE IF NOT EXISTS {prefix}usage_correction (
    id              bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account         text    NOT NULL,
    meter           text    NOT NULL,
    bucket_start    bigint  NOT NULL,            -- Unix seconds, UTC
    delta           bigint  NOT NULL CHECK (delta <> 0),
    reason          text    NOT NULL,
    idempotency_key text    NOT NULL,
    created_at      bigint  NOT NULL,            -- Unix milliseconds
    from_unreported bigint  NOT NULL,
    from_unsent     bigint  NOT NULL DEFAULT 0 CHECK (from_unsent >= 0),
    UNIQUE (account, idempotency_key)
);

-- Report identifiers count a counter's corrections (a correction may lower its reported quantity).
CREATE INDEX IF NOT EXISTS ix_usage_correction_counter ON {prefix}usage_correction (account, bucket_start, meter);

-- Which report a report replaces (the rest of a cancelled report) or takes an amount from (a correction's
-- 'cancelling' or 'needs_credit' report, which also names its correction).
CREATE TABLE IF NOT EXISTS {prefix}usage_report_correction (
    report_id     bigint NOT NULL PRIMARY KEY,
    replaces_id   bigint NOT NULL,
    correction_id bigint
);

CREATE INDEX IF NOT EXISTS ix_usage_report_correction_replaces ON {prefix}usage_report_correction (replaces_id);
CREATE INDEX IF NOT EXISTS ix_usage_report_correction_correction ON {prefix}usage_report_correction (correction_id);

-- Reports gain three statuses.
ALTER TABLE {prefix}usage_report DROP CONSTRAINT IF EXISTS usage_report_status_check;
ALTER TABLE {prefix}usage_report ADD CONSTRAINT usage_report_status_check
    CHECK (status IN ('pending', 'sent', 'failed', 'skipped', 'unknown', 'cancelled', 'cancelling', 'needs_credit'));

-- A correction reads the reports of one counter.
CREATE INDEX IF NOT EXISTS ix_usage_report_counter ON {prefix}usage_report (account, bucket_start, meter);
