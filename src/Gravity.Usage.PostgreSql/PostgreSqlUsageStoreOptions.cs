using Npgsql;

namespace Gravity.Usage.PostgreSql;

/// <summary>Where and how <see cref="PostgreSqlUsageStore"/> keeps the ledger.</summary>
public sealed class PostgreSqlUsageStoreOptions
{
    /// <summary>The schema used when none is given.</summary>
    public const string DefaultSchemaName = "gravity_usage";

    /// <summary>Gets or sets the Npgsql connection string, such as <c>Host=db;Database=app;Username=app</c>.</summary>
    /// <value>The default value is <see langword="null"/>. Either this or <see cref="DataSource"/> is required, not both.</value>
    public string? ConnectionString { get; set; }

    /// <summary>Gets or sets a data source owned by the host, which the store uses and never disposes.</summary>
    /// <value>The default value is <see langword="null"/>: the store builds its own from <see cref="ConnectionString"/>.</value>
    public NpgsqlDataSource? DataSource { get; set; }

    /// <summary>Gets or sets the schema that holds the ledger's tables, so that several ledgers can share one database.</summary>
    /// <value>The default value is <c>gravity_usage</c>. Letters, digits and underscores only, starting with a letter or underscore.</value>
    public string SchemaName { get; set; } = DefaultSchemaName;

    /// <summary>Gets or sets whether the store creates and upgrades its schema on first use.</summary>
    /// <value>
    /// The default value is <see langword="true"/>. When <see langword="false"/>, the schema must have been applied by
    /// hand (<see cref="PostgreSqlUsageStore.GetInstallScript"/>) and the store only checks it.
    /// </value>
    public bool PrepareSchemaIfNecessary { get; set; } = true;

    /// <summary>
    /// Gets or sets how long the store tries to find out whether a batch committed when the connection failed during
    /// its COMMIT, before it gives up and faults the batch's callers with <see cref="UsageCommitOutcomeUnknownException"/>.
    /// </summary>
    /// <value>
    /// The default value is 30 seconds, enough for a server restart. Zero to 10 minutes; the group-commit writer waits
    /// meanwhile, so later increments queue behind it.
    /// </value>
    public TimeSpan CommitOutcomeTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets how many batches of increments the meter commits at once, each in its own transaction on its own
    /// pooled connection. A batch in flight waits on round trips and its log flush, which another batch can use; but
    /// every batch in flight also makes the others smaller, and small batches cost more CPU per increment. On a
    /// 2-core machine running the database too, 1 and 2 measured alike and 4 or 8 lower; raise it when the database
    /// is remote (longer round trips) and has cores to spare, and measure.
    /// </summary>
    /// <value>
    /// The default value is <see cref="DefaultMaxConcurrentBatches"/>. 1 to 64, and at most the connection pool's
    /// Maximum Pool Size: each batch in flight holds a connection until it commits. 1 commits one batch at a time.
    /// </value>
    public int MaxConcurrentBatches { get; set; } = DefaultMaxConcurrentBatches;

    /// <summary>The number of batches in flight when <see cref="MaxConcurrentBatches"/> is not set.</summary>
    public const int DefaultMaxConcurrentBatches = 2;
}
