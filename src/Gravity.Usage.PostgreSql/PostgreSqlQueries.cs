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

    public CounterTotalsSql Totals { get; }

    public CounterTotalsSql MeterTotals { get; }

    public string CreateSchema { get; }

    public string SchemaVersionTableExists { get; }

    public string CreateSchemaVersionTable { get; }
}
