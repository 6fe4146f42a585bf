-- Gravity.Usage schema version 7: gauge meters (Last, Max, LastEver) beside the sums of usage_counter.

-- One row per (account, time bucket, meter) of a gauge: the bucket's latest reading (kind 1 Last, 3 LastEver; of two
-- readings with the same observed_at, the one written later) or its highest (kind 2 Max). A table of its own, so the
-- increment path's statements and cost stay as they were. reported is false while the row holds a reading that no
-- report of its billing period has taken into account yet.
CREATE TABLE IF NOT EXISTS {prefix}usage_gauge (
    account      text     NOT NULL,
    bucket_start bigint   NOT NULL, -- Unix seconds, UTC, aligned to the bucket size
    meter        text     NOT NULL,
    kind         smallint NOT NULL CHECK (kind IN (1, 2, 3)),
    value        bigint   NOT NULL CHECK (value >= 0),
    observed_at  bigint   NOT NULL, -- Unix milliseconds, UTC: when the value was read
    reported     boolean  NOT NULL DEFAULT false,
    PRIMARY KEY (account, bucket_start, meter)
);

-- A meter's readings in time order (the period's latest or highest; LastEver's latest before a period ends).
CREATE INDEX IF NOT EXISTS ix_usage_gauge_meter ON {prefix}usage_gauge (account, meter, observed_at);

-- Gauge buckets with readings not yet reported, found without scanning the whole table.
CREATE INDEX IF NOT EXISTS ix_usage_gauge_unreported ON {prefix}usage_gauge (bucket_start) WHERE NOT reported;

-- A gauge report carries the value of its billing period, and 0 is a value (no seats left): quantity >= 0.
ALTER TABLE {prefix}usage_report DROP CONSTRAINT IF EXISTS usage_report_quantity_check;
ALTER TABLE {prefix}usage_report ADD CONSTRAINT usage_report_quantity_check CHECK (quantity >= 0);

-- A meter's reports in time order: the latest report of a gauge's billing period.
CREATE INDEX IF NOT EXISTS ix_usage_report_meter ON {prefix}usage_report (account, meter, bucket_start);
