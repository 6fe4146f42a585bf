using Gravity.Usage.Sql;

namespace Gravity.Usage.PostgreSql;

/// <summary>The SQL text of the PostgreSQL ledger, built once per schema; every value is a parameter.</summary>
internal sealed class PostgreSqlQueries : CounterSql
{
    public PostgreSqlQueries(string schema)
        : base(schema + ".")
    {
        Schema = schema;
        var counter = schema + ".usage_counter";
        var keys = schema + "." + IdempotencyKeyTable;
        Gauges = new GaugeSql(schema + ".", postgreSql: true);

        // One statement for the whole batch's keys: the rows it returns are the keys that were new.
        InsertKeys = $"""
            INSERT INTO {keys} (account, meter, idempotency_key, recorded_at, fingerprint)
            SELECT * FROM unnest(@accounts::text[], @meters::text[], @keys::text[], @recorded_at::bigint[], @fingerprints::bigint[])
            ON CONFLICT (account, meter, idempotency_key) DO NOTHING
            RETURNING account, meter, idempotency_key
            """;

        // The fingerprints stored with keys that were already there: a retry or a conflict. Read only when a batch has such keys.
        ReadFingerprints = $"""
            SELECT k.account, k.meter, k.idempotency_key, k.fingerprint
            FROM {keys} k JOIN unnest(@accounts::text[], @meters::text[], @keys::text[]) AS w(account, meter, idempotency_key)
                ON k.account = w.account AND k.meter = w.meter AND k.idempotency_key = w.idempotency_key
            """;
        ReadFingerprint = $"SELECT fingerprint FROM {keys} WHERE account = @Account AND meter = @Meter AND idempotency_key = @Key";
        DeleteKeys = $"""
            DELETE FROM {keys} WHERE (account, meter, idempotency_key) IN (SELECT * FROM unnest(@accounts::text[], @meters::text[], @keys::text[]))
            """;

        // Takes back what a refused multi-meter call added earlier in the same transaction; a row it created goes again.
        Subtract = $"""
            UPDATE {counter} c SET quantity = c.quantity - s.quantity
            FROM unnest(@accounts::text[], @bucket_starts::bigint[], @meters::text[], @quantities::bigint[]) AS s(account, bucket_start, meter, quantity)
            WHERE c.account = s.account AND c.bucket_start = s.bucket_start AND c.meter = s.meter;
            DELETE FROM {counter} c
            WHERE (c.account, c.bucket_start, c.meter) IN (SELECT * FROM unnest(@accounts::text[], @bucket_starts::bigint[], @meters::text[]))
                AND c.quantity = 0 AND c.reported_quantity = 0;
            """;
        DeleteKey = $"DELETE FROM {keys} WHERE account = @account AND meter = @meter AND idempotency_key = @key";

        // How many of the given keys are stored: the evidence that a batch committed when its transaction id cannot tell.
        CountKeys = $"""
            SELECT COUNT(*) FROM {keys}
            WHERE (account, meter, idempotency_key) IN (SELECT * FROM unnest(@Accounts::text[], @Meters::text[], @Keys::text[]))
            """;

        // One statement for the whole batch's counters. The WHERE guard refuses an addition that would take the counter
        // past MaxCounterQuantity (the most Stripe takes in one value); the rows it returns were applied.
        Upsert = $"""
            INSERT INTO {counter} AS c (account, bucket_start, meter, quantity)
            SELECT * FROM unnest(@accounts::text[], @bucket_starts::bigint[], @meters::text[], @quantities::bigint[])
            ON CONFLICT (account, bucket_start, meter) DO UPDATE SET quantity = c.quantity + excluded.quantity
            WHERE c.quantity <= {UsageBillingOptions.MaxCounterQuantity} - excluded.quantity
            RETURNING account, bucket_start, meter
            """;

        // SUM of bigint is numeric here: it cannot overflow, and the total is checked against long.MaxValue on reading.
        // Meters are ordered byte-wise, as on SQLite, whatever the database's collation.
        Totals = new CounterTotalsSql($"""
            SELECT meter, SUM(quantity), SUM(reported_quantity)
            FROM {counter}
            WHERE account = @Account AND bucket_start >= @From AND bucket_start < @To
            GROUP BY meter ORDER BY meter COLLATE "C"
            """);
        MeterTotals = new CounterTotalsSql($"""
            SELECT MIN(meter), SUM(quantity), SUM(reported_quantity)
            FROM {counter}
            WHERE account = @Account AND bucket_start >= @From AND bucket_start < @To AND meter = @Meter
            HAVING COUNT(*) > 0
            """);
        CreateSchema = $"CREATE SCHEMA IF NOT EXISTS {schema}";
        SchemaVersionTableExists = "SELECT to_regclass(@Name) IS NOT NULL";
        CreateSchemaVersionTable = $"""
            CREATE TABLE IF NOT EXISTS {SchemaVersionTable} (
                version    integer     PRIMARY KEY,
                name       text        NOT NULL,
                applied_at timestamptz NOT NULL
            );
            """;
    }

    public string Schema { get; }

    public string InsertKeys { get; }

    public string DeleteKey { get; }

    public string ReadFingerprints { get; }

    public string ReadFingerprint { get; }

    public string DeleteKeys { get; }

    public string Subtract { get; }

    public string CountKeys { get; }

    public string Upsert { get; }

    public GaugeSql Gauges { get; }

    public CounterTotalsSql Totals { get; }

    public CounterTotalsSql MeterTotals { get; }

    public string CreateSchema { get; }

    public string SchemaVersionTableExists { get; }

    public string CreateSchemaVersionTable { get; }
}
