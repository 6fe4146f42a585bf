-- Gravity.Usage schema version 3: a random id for this ledger, made once when the schema is installed or upgraded.

-- Report identifiers are derived from it, so two ledgers (a recreated database; staging and production, or two
-- services, on one Stripe account) never produce the same identifier, which Stripe would drop as a duplicate.
CREATE TABLE IF NOT EXISTS {prefix}usage_ledger (
    id         integer PRIMARY KEY CHECK (id = 1),
    ledger_id  text    NOT NULL CHECK (length(ledger_id) = 32),
    created_at bigint  NOT NULL                  -- Unix milliseconds
);

INSERT INTO {prefix}usage_ledger (id, ledger_id, created_at)
VALUES (1, replace(gen_random_uuid()::text, '-', ''), (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
ON CONFLICT (id) DO NOTHING;
