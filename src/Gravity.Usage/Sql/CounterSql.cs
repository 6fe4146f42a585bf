namespace Gravity.Usage.Sql;

/// <summary>
/// The SQL texts of the counters, idempotency keys and schema versions that both dialects write alike, built from the
/// table names; each store's subclass builds the rest in its own dialect. Every value is a parameter.
/// </summary>
internal abstract class CounterSql
{
    /// <summary>Initializes a new instance of the <see cref="CounterSql"/> class.</summary>
    /// <param name="tablePrefix">What goes before each table name: SQLite's table prefix, or PostgreSQL's schema and a dot.</param>
    protected CounterSql(string tablePrefix)
    {
        var counter = tablePrefix + "usage_counter";
        var keys = tablePrefix + IdempotencyKeyTable;
        SchemaVersionTable = tablePrefix + "usage_schema_version";

        Series = $"""
            SELECT bucket_start AS BucketStart, quantity AS Quantity, reported_quantity AS ReportedQuantity
            FROM {counter}
            WHERE account = @Account AND bucket_start >= @From AND bucket_start < @To AND meter = @Meter
            ORDER BY bucket_start
            """;
        PruneKeys = $"""
            DELETE FROM {keys} WHERE (account, meter, idempotency_key) IN (
                SELECT account, meter, idempotency_key FROM {keys} WHERE recorded_at < @RecordedBefore LIMIT @MaxKeys)
            """;
        CurrentSchemaVersion = $"SELECT COALESCE(MAX(version), 0) FROM {SchemaVersionTable}";
        RecordSchemaVersion = $"INSERT INTO {SchemaVersionTable} (version, name, applied_at) VALUES (@Version, @Name, @AppliedAt)";
    }

    /// <summary>
    /// The table of idempotency keys stored as text (schema versions 4 to 7): <c>usage_idempotency</c> with a fingerprint
    /// per key, under a new name so that the install script stays safe to run again (SQLite cannot add a column only if it
    /// is missing). From version 8 keys are stored hashed, and this table is only read and pruned until it is empty.
    /// </summary>
    public const string IdempotencyKeyTable = "usage_idempotency_key";

    /// <summary>Gets the full name of the schema version table.</summary>
    public string SchemaVersionTable { get; }

    /// <summary>Gets the query of one meter's buckets of an account in a period.</summary>
    public string Series { get; }

    /// <summary>Gets the statement that deletes text keys (from before schema version 8) recorded before an instant, at most so many.</summary>
    public string PruneKeys { get; }

    /// <summary>Gets the query of the schema version installed.</summary>
    public string CurrentSchemaVersion { get; }

    /// <summary>Gets the statement that records a schema version as installed.</summary>
    public string RecordSchemaVersion { get; }
}
