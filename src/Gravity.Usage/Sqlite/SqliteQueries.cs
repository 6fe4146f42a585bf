using Gravity.Usage.Sql;
using Microsoft.Data.Sqlite;

namespace Gravity.Usage.Sqlite;

/// <summary>The SQL text of the SQLite store, built once per table prefix; every value is a parameter.</summary>
internal sealed class SqliteQueries : CounterSql
{
    public SqliteQueries(string prefix)
        : base(prefix)
    {
        var counter = prefix + "usage_counter";
        Gauges = new GaugeSql(prefix, postgreSql: false);
        Keys = new SqliteKeySql(prefix);

        // The WHERE guard refuses an addition that would take the counter past MaxCounterQuantity, the most Stripe takes
        // in one value; far below long.MaxValue, so SQLite never turns the sum into a floating-point number.
        Upsert = $"""
            INSERT INTO {counter} (account, bucket_start, meter, quantity) VALUES ($account, $bucket_start, $meter, $quantity)
            ON CONFLICT (account, bucket_start, meter) DO UPDATE SET quantity = {counter}.quantity + excluded.quantity
            WHERE {counter}.quantity <= {UsageBillingOptions.MaxCounterQuantity} - excluded.quantity
            """;
        // The same upsert for a whole batch's counters in one statement: one text parameter, a JSON array of
        // [account, bucket_start, meter, quantity] rows that SQLite unpacks itself, instead of four bound parameters and
        // one execution per counter. The guard is the same; the changes it reports tell whether it refused any row.
        UpsertMany = $"""
            INSERT INTO {counter} (account, bucket_start, meter, quantity)
            SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]')
            FROM jsonb_each($rows) WHERE true
            ON CONFLICT (account, bucket_start, meter) DO UPDATE SET quantity = {counter}.quantity + excluded.quantity
            WHERE {counter}.quantity <= {UsageBillingOptions.MaxCounterQuantity} - excluded.quantity
            """;

        // Takes back what a refused multi-meter call added earlier in the same transaction; a row it created goes again.
        Subtract = $"""
            UPDATE {counter} SET quantity = quantity - $quantity WHERE account = $account AND bucket_start = $bucket_start AND meter = $meter;
            DELETE FROM {counter} WHERE account = $account AND bucket_start = $bucket_start AND meter = $meter AND quantity = 0 AND reported_quantity = 0;
            """;
        // Plain sums are one cheap pass; SQLite's SUM fails past long.MaxValue, and only then are the totals summed
        // again in two parts (UsageReads.SplitSums), which no period, however long, overflows.
        Totals = TotalsOf(counter, "GROUP BY meter ORDER BY meter", meterFilter: string.Empty);

        // A statement of its own for one meter: without GROUP BY, SQLite needs no temporary sort.
        MeterTotals = TotalsOf(counter, "HAVING COUNT(*) > 0", meterFilter: "AND meter = @Meter");
        SchemaVersionTableExists = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = @Name";
        CreateSchemaVersionTable = $"""
            CREATE TABLE IF NOT EXISTS {SchemaVersionTable} (
                version    INTEGER PRIMARY KEY,
                name       TEXT    NOT NULL,
                applied_at TEXT    NOT NULL
            ) STRICT;
            """;
    }

    public string Upsert { get; }

    public string UpsertMany { get; }

    public GaugeSql Gauges { get; }

    public SqliteKeySql Keys { get; }

    public string Subtract { get; }

    public CounterTotalsSql Totals { get; }

    public CounterTotalsSql MeterTotals { get; }

    public string SchemaVersionTableExists { get; }

    public string CreateSchemaVersionTable { get; }

    private static CounterTotalsSql TotalsOf(string counter, string tail, string meterFilter)
    {
        var where = $"FROM {counter} WHERE account = @Account AND bucket_start >= @From AND bucket_start < @To {meterFilter}";
        return new CounterTotalsSql(
            $"SELECT meter, SUM(quantity), SUM(reported_quantity) {where} {tail}",
            $"SELECT meter, {UsageReads.SplitSums} {where} {tail}",
            static e => e is SqliteException { SqliteErrorCode: 1 } && e.Message.Contains("integer overflow", StringComparison.Ordinal));
    }
}
