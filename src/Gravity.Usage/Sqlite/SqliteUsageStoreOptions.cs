namespace Gravity.Usage.Sqlite;

/// <summary>Where and how <see cref="SqliteUsageStore"/> keeps the ledger.</summary>
public sealed class SqliteUsageStoreOptions
{
    /// <summary>The file name used when no connection string is given; it is created next to the application.</summary>
    public const string DefaultFileName = "gravity-usage.db";

    /// <summary>Gets or sets the Microsoft.Data.Sqlite connection string, such as <c>Data Source=usage.db</c>.</summary>
    /// <value>
    /// The default value is <c>Data Source=gravity-usage.db</c> in the application's base directory. In-memory
    /// databases are refused: the ledger must survive the process.
    /// </value>
    public string ConnectionString { get; set; } = "Data Source=" + Path.Combine(AppContext.BaseDirectory, DefaultFileName);

    /// <summary>Gets or sets a prefix for every table and index name, so that several ledgers can share one file.</summary>
    /// <value>The default value is empty. Letters, digits and underscores only, starting with a letter or underscore.</value>
    public string TablePrefix { get; set; } = string.Empty;

    /// <summary>Gets or sets whether the store creates and upgrades its schema on first use.</summary>
    /// <value>
    /// The default value is <see langword="true"/>. When <see langword="false"/>, the schema must have been applied by
    /// hand (<see cref="SqliteUsageStore.GetInstallScript"/>) and the store only checks it.
    /// </value>
    public bool PrepareSchemaIfNecessary { get; set; } = true;

    /// <summary>Gets or sets how long a statement waits for a lock held by another connection or process.</summary>
    /// <value>The default value is 30 seconds. It must be at least one second.</value>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
