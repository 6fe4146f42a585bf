-- Gravity.Usage schema version 6: billing cycles of accounts, and the mapping a report was closed with.
-- New tables rather than new columns, so that the install script stays safe to run again.

-- An account's billing cycle (its Stripe subscription's anchor and price interval): usage is cut at its period
-- boundaries. No row: the account has no cycle.
CREATE TABLE IF NOT EXISTS {prefix}usage_account_cycle (
    account        TEXT    NOT NULL PRIMARY KEY,
    anchor         INTEGER NOT NULL,            -- Unix seconds
    interval       TEXT    NOT NULL CHECK (interval IN ('day', 'week', 'month', 'year')),
    interval_count INTEGER NOT NULL CHECK (interval_count BETWEEN 1 AND 1095)
) STRICT, WITHOUT ROWID;

-- The Stripe customer and legacy subscription item the account was mapped to when a report was closed: the report is
-- delivered with them even after the mapping changes. No row (or NULL): the mapping at delivery is used.
CREATE TABLE IF NOT EXISTS {prefix}usage_report_mapping (
    report_id            INTEGER NOT NULL PRIMARY KEY,
    stripe_customer_id   TEXT,
    subscription_item_id TEXT
) STRICT;
