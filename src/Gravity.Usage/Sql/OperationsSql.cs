namespace Gravity.Usage.Sql;

/// <summary>
/// The SQL of the operations reads (report counts, accounts of a Stripe customer), written alike in both dialects.
/// Built from the table prefix a store already uses; every value is a parameter.
/// </summary>
internal sealed class OperationsSql
{
    private const string SchemaVersionTableName = "usage_schema_version";

    /// <summary>Initializes a new instance of the <see cref="OperationsSql"/> class.</summary>
    /// <param name="counterSql">The store's counter SQL, whose schema version table tells the table prefix.</param>
    public OperationsSql(CounterSql counterSql)
    {
        // Every table shares the prefix of the schema version table (SQLite's table prefix, or PostgreSQL's schema and a
        // dot), so the store's existing SQL tells it without a change to the store's constructor.
        var table = counterSql.SchemaVersionTable;
        if (!table.EndsWith(SchemaVersionTableName, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Unexpected schema version table name '{table}'.");
        }

        var prefix = table[..^SchemaVersionTableName.Length];
        CountReports = $"""
            SELECT status AS Status, COUNT(*) AS Count,
                   MIN(CASE WHEN status = 'pending' THEN created_at END) AS OldestCreatedAt
            FROM {prefix}usage_report GROUP BY status
            """;
        AccountsOfCustomer = $"SELECT account FROM {prefix}usage_account WHERE stripe_customer_id = @Customer ORDER BY account";
    }

    /// <summary>Gets the count of reports per status, with the oldest pending report's creation (Unix milliseconds).</summary>
    public string CountReports { get; }

    /// <summary>Gets the accounts mapped to one Stripe customer (parameter <c>@Customer</c>).</summary>
    public string AccountsOfCustomer { get; }
}
