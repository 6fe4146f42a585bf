-- Gravity.Usage schema version 7: gauge meters (Last, Max, LastEver) beside the sums of usage_counter.

-- One row per (account, time bucket, meter) of a gauge: the bucket's latest reading (kind 1 Last, 3 LastEver; of two
-- readings with the same observed_at, the one written later) or its highest (kind 2 Max). A table of its own, so the
-- increment path's statements and cost stay as they were. reported is 0 while the row holds a reading that no report
-- of its billing period has taken into account yet.
CREATE TABLE IF NOT EXISTS {prefix}usage_gauge (
    account      TEXT    NOT NULL,
    bucket_start INTEGER NOT NULL, -- Unix seconds, UTC, aligned to the bucket size
    meter        TEXT    NOT NULL,
    kind         INTEGER NOT NULL CHECK (kind IN (1, 2, 3)),
    value        INTEGER NOT NULL CHECK (value >= 0),
    observed_at  INTEGER NOT NULL, -- Unix milliseconds, UTC: when the value was read
    reported     INTEGER NOT NULL DEFAULT 0 CHECK (reported IN (0, 1)),
    PRIMARY KEY (account, bucket_start, meter)
) STRICT, WITHOUT ROWID;

-- A meter's readings in time order (the period's latest or highest; LastEver's latest before a period ends).
CREATE INDEX IF NOT EXISTS {prefix}ix_usage_gauge_meter ON {prefix}usage_gauge (account, meter, observed_at);

-- Gauge buckets with readings not yet reported, found without scanning the whole table.
CREATE INDEX IF NOT EXISTS {prefix}ix_usage_gauge_unreported ON {prefix}usage_gauge (bucket_start) WHERE reported = 0;

-- A gauge report carries the value of its billing period, and 0 is a value (no seats left): quantity >= 0. SQLite
-- cannot change a CHECK in place, so the table is rebuilt with the same columns, statuses (version 5's) and indexes
-- (safe to run again: it copies them all). A later change to usage_report must carry these over too.
CREATE TABLE IF NOT EXISTS {prefix}usage_report_v8 (
    id               INTEGER PRIMARY KEY,
    identifier       TEXT    NOT NULL UNIQUE,
    account          TEXT    NOT NULL,
    meter            TEXT    NOT NULL,
    bucket_start     INTEGER NOT NULL,          -- Unix seconds, UTC; a gauge report's event timestamp
    quantity         INTEGER NOT NULL CHECK (quantity >= 0),
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'skipped', 'unknown', 'cancelled', 'cancelling', 'needs_credit')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    redrive_count    INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    first_attempt_at INTEGER,
    last_error       TEXT,
    last_request_id  TEXT,
    created_at       INTEGER NOT NULL,
    sent_at          INTEGER,
    lease_owner      TEXT,
    lease_expires_at INTEGER
) STRICT;

INSERT INTO {prefix}usage_report_v8 (id, identifier, account, meter, bucket_start, quantity, status, attempts, redrive_count,
    next_attempt_at, first_attempt_at, last_error, last_request_id, created_at, sent_at, lease_owner, lease_expires_at)
SELECT id, identifier, account, meter, bucket_start, quantity, status, attempts, redrive_count,
    next_attempt_at, first_attempt_at, last_error, last_request_id, created_at, sent_at, lease_owner, lease_expires_at
FROM {prefix}usage_report;

DROP TABLE {prefix}usage_report;

ALTER TABLE {prefix}usage_report_v8 RENAME TO {prefix}usage_report;

CREATE INDEX IF NOT EXISTS {prefix}ix_usage_report_due ON {prefix}usage_report (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS {prefix}ix_usage_report_account ON {prefix}usage_report (account, status);
CREATE INDEX IF NOT EXISTS {prefix}ix_usage_report_counter ON {prefix}usage_report (account, bucket_start, meter);

-- A meter's reports in time order: the latest report of a gauge's billing period.
CREATE INDEX IF NOT EXISTS {prefix}ix_usage_report_meter ON {prefix}usage_report (account, meter, bucket_start);
