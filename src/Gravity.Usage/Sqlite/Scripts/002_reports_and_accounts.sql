-- Gravity.Usage schema version 2: the usage-report outbox and the built-in account mapping.

-- Reports are the outbox and the audit trail: one row per delivery of a counter's growth, never rewritten.
-- identifier is derived from (account, meter, bucket_start, quantity reported before), so one close can never
-- produce two identifiers for the same usage; it is sent as Stripe's identifier and Idempotency-Key.
CREATE TABLE IF NOT EXISTS {prefix}usage_report (
    id               INTEGER PRIMARY KEY,
    identifier       TEXT    NOT NULL UNIQUE,
    account          TEXT    NOT NULL,
    meter            TEXT    NOT NULL,
    bucket_start     INTEGER NOT NULL,          -- Unix seconds, UTC
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'skipped', 'unknown')),
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

CREATE INDEX IF NOT EXISTS {prefix}ix_usage_report_due ON {prefix}usage_report (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS {prefix}ix_usage_report_account ON {prefix}usage_report (account, status);

-- Counters with usage not yet moved into a report, found without scanning the whole ledger.
CREATE INDEX IF NOT EXISTS {prefix}ix_usage_counter_unreported ON {prefix}usage_counter (bucket_start)
    WHERE quantity > reported_quantity;

-- The built-in account mapping; hosts may resolve accounts from their own table instead.
CREATE TABLE IF NOT EXISTS {prefix}usage_account (
    account            TEXT    NOT NULL PRIMARY KEY,
    stripe_customer_id TEXT,
    billable           INTEGER NOT NULL DEFAULT 1 CHECK (billable IN (0, 1)),
    billable_since     INTEGER,                 -- Unix seconds
    updated_at         INTEGER NOT NULL         -- Unix milliseconds
) STRICT, WITHOUT ROWID;

-- Legacy usage records: the Stripe subscription item per account and meter.
CREATE TABLE IF NOT EXISTS {prefix}usage_account_item (
    account              TEXT NOT NULL,
    meter                TEXT NOT NULL,
    subscription_item_id TEXT NOT NULL,
    PRIMARY KEY (account, meter)
) STRICT, WITHOUT ROWID;
