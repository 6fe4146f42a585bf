-- Gravity.Usage schema version 3: a random id for this ledger, made once when the schema is installed or upgraded.

-- Report identifiers are derived from it, so two ledgers (a recreated database; staging and production, or two
-- services, on one Stripe account) never produce the same identifier, which Stripe would drop as a duplicate.
CREATE TABLE IF NOT EXISTS {prefix}usage_ledger (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    ledger_id  TEXT    NOT NULL CHECK (length(ledger_id) = 32),
    created_at INTEGER NOT NULL                 -- Unix milliseconds
) STRICT;

INSERT OR IGNORE INTO {prefix}usage_ledger (id, ledger_id, created_at)
VALUES (1, lower(hex(randomblob(16))), CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
