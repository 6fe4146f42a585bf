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
        Keys = new PostgreSqlIdempotencyKeys(schema);
        Marks = new PostgreSqlCommitMarks(schema);
        Gauges = new GaugeSql(schema + ".", postgreSql: true);


        // Takes back what a refused multi-meter call added earlier in the same transaction; a row it created goes again.
        Subtract = $"""
            UPDATE {counter} c SET quantity = c.quantity - s.quantity
            FROM unnest(@accounts::text[], @bucket_starts::bigint[], @meters::text[], @quantities::bigint[]) AS s(account, bucket_start, meter, quantity)
            WHERE c.account = s.account AND c.bucket_start = s.bucket_start AND c.meter = s.meter;
            DELETE FROM {counter} c
            WHERE (c.account, c.bucket_start, c.meter) IN (SELECT * FROM unnest(@accounts::text[], @bucket_starts::bigint[], @meters::text[]))
                AND c.quantity = 0 AND c.reported_quantity = 0;
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

        // The keys and the counters of a batch in one statement (one round trip): the keys first, in the order given,
        // then, only when every key was new, the counters in the order given. The InitPlan that counts the new keys
        // makes the keys' insert finish before the first counter is locked, so every writer locks keys, then counters,
        // each in one fixed order.
        KeysThenCounters = KeysThenCountersSql(Keys.Insert, counter, Returning);
        KeysBesideLegacyThenCounters = KeysThenCountersSql(Keys.InsertBesideLegacy, counter, Returning);

        // The same statement for a batch sent with its COMMIT in one round trip: it returns nothing, and fails the
        // transaction when a key was not new or a counter was refused, so that the batch is judged statement by statement.
        var holds = $"""
            SELECT {Marks.OneRoundTripHolds}(
                (SELECT COUNT(*) FROM new_keys) = cardinality(@key_hashes::uuid[])
                AND (SELECT COUNT(*) FROM applied) = cardinality(@counter_accounts::text[]))
            """;
        KeysThenCountersInOneRoundTrip = KeysThenCountersSql(Keys.Insert, counter, holds);

        // A batch without keys: its counters alone, so that the server plans no keys' insert for nothing.
        CountersInOneRoundTrip = $"""
            WITH applied AS (
                INSERT INTO {counter} AS c (account, bucket_start, meter, quantity)
                SELECT * FROM unnest(@counter_accounts::text[], @counter_bucket_starts::bigint[], @counter_meters::text[], @counter_quantities::bigint[])
                ON CONFLICT (account, bucket_start, meter) DO UPDATE SET quantity = c.quantity + excluded.quantity
                WHERE c.quantity <= {UsageBillingOptions.MaxCounterQuantity} - excluded.quantity
                RETURNING 1
            )
            SELECT {Marks.OneRoundTripHolds}((SELECT COUNT(*) FROM applied) = cardinality(@counter_accounts::text[]))
            """;
        KeysBesideLegacyThenCountersInOneRoundTrip = KeysThenCountersSql(Keys.InsertBesideLegacy, counter, holds);

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

    public PostgreSqlIdempotencyKeys Keys { get; }

    public string Subtract { get; }

    public string Upsert { get; }

    public GaugeSql Gauges { get; }

    /// <summary>Gets the keys' insert and the counters' upsert in one statement (see the constructor).</summary>
    public string KeysThenCounters { get; }

    /// <summary>Gets <see cref="KeysThenCounters"/> where keys stored as text before schema version 8 also count as stored.</summary>
    public string KeysBesideLegacyThenCounters { get; }

    /// <summary>Gets <see cref="KeysThenCounters"/> for a batch sent with its COMMIT: it fails the transaction unless every key was new and every counter applied.</summary>
    public string KeysThenCountersInOneRoundTrip { get; }

    /// <summary>Gets <see cref="KeysThenCountersInOneRoundTrip"/> for a batch without keys: its counters alone.</summary>
    public string CountersInOneRoundTrip { get; }

    /// <summary>Gets <see cref="KeysThenCountersInOneRoundTrip"/> beside keys stored as text before schema version 8.</summary>
    public string KeysBesideLegacyThenCountersInOneRoundTrip { get; }

    public PostgreSqlCommitMarks Marks { get; }

    public CounterTotalsSql Totals { get; }

    public CounterTotalsSql MeterTotals { get; }

    public string CreateSchema { get; }

    public string SchemaVersionTableExists { get; }

    public string CreateSchemaVersionTable { get; }

    /// <summary>
    /// The combined statement. Its counter parameters are named counter_*, because the keys' insert beside legacy keys
    /// already takes accounts and meters.
    /// </summary>
    private static string KeysThenCountersSql(string insertKeys, string counter, string finalSelect) => $"""
        WITH new_keys AS (
        {insertKeys}
        ), applied AS (
            INSERT INTO {counter} AS c (account, bucket_start, meter, quantity)
            SELECT * FROM unnest(@counter_accounts::text[], @counter_bucket_starts::bigint[], @counter_meters::text[], @counter_quantities::bigint[])
            WHERE (SELECT COUNT(*) FROM new_keys) = cardinality(@key_hashes::uuid[])
            ON CONFLICT (account, bucket_start, meter) DO UPDATE SET quantity = c.quantity + excluded.quantity
            WHERE c.quantity <= {UsageBillingOptions.MaxCounterQuantity} - excluded.quantity
            RETURNING account, bucket_start, meter
        )
        {finalSelect}
        """;

    /// <summary>What the combined statement returns: rows with a key_hash are the new keys; the others the counters applied.</summary>
    private const string Returning = """
        SELECT key_hash, NULL::text, NULL::bigint, NULL::text FROM new_keys
        UNION ALL
        SELECT NULL::uuid, account, bucket_start, meter FROM applied
        """;
}
