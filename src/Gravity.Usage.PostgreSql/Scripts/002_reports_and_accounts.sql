-- Gravity.Usage schema version 2: the usage-report outbox and the built-in account mapping.

-- Reports are the outbox and the audit trail: one row per delivery of a counter's growth, never rewritten.
-- identifier is derived from (account, meter, bucket_start, quantity reported before), so one close can never
-- produce two identifiers for the same usage; it is sent as Stripe's identifier and Idempotency-Key.
CREATE TABLE IF NOT EXISTS {prefix}usage_report (
    id               bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    identifier       text    NOT NULL UNIQUE,
    account          text    NOT NULL,
    meter            text    NOT NULL,
    bucket_start     bigint  NOT NULL,           -- Unix seconds, UTC
    quantity         bigint  NOT NULL CHECK (quantity > 0),
    status           text    NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'skipped', 'unknown')),
    attempts         integer NOT NULL DEFAULT 0,
    redrive_count    integer NOT NULL DEFAULT 0, -- suffixes the Idempotency-Key after a re-drive
    next_attempt_at  bigint  NOT NULL,           -- Unix milliseconds
    first_attempt_at bigint,                     -- Unix milliseconds
    last_error       text,
    last_request_id  text,
    created_at       bigint  NOT NULL,           -- Unix milliseconds
    sent_at          bigint,                     -- Unix milliseconds
    lease_owner      text,
    lease_expires_at bigint                      -- Unix milliseconds
);

CREATE INDEX IF NOT EXISTS ix_usage_report_due ON {prefix}usage_report (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS ix_usage_report_account ON {prefix}usage_report (account, status);

-- Counters with usage not yet moved into a report, found without scanning the whole ledger.
CREATE INDEX IF NOT EXISTS ix_usage_counter_unreported ON {prefix}usage_counter (bucket_start)
    WHERE quantity > reported_quantity;

-- The built-in account mapping; hosts may resolve accounts from their own table instead.
CREATE TABLE IF NOT EXISTS {prefix}usage_account (
    account            text    NOT NULL PRIMARY KEY,
    stripe_customer_id text,
    billable           boolean NOT NULL DEFAULT true,
    billable_since     bigint,                   -- Unix seconds
    updated_at         bigint  NOT NULL          -- Unix milliseconds
);

-- Legacy usage records: the Stripe subscription item per account and meter.
CREATE TABLE IF NOT EXISTS {prefix}usage_account_item (
    account              text NOT NULL,
    meter                text NOT NULL,
    subscription_item_id text NOT NULL,
    PRIMARY KEY (account, meter)
);
