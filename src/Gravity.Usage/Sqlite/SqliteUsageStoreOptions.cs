using System.Reflection;

namespace Gravity.Usage.Sqlite;

/// <summary>Where and how <see cref="SqliteUsageStore"/> keeps the ledger.</summary>
public sealed class SqliteUsageStoreOptions
{
    /// <summary>The file name used when no connection string is given.</summary>
    public const string DefaultFileName = "gravity-usage.db";

    /// <summary>
    /// Gets the directory of the ledger file when no connection string is given: <c>Gravity.Usage/&lt;application&gt;</c>
    /// under the user's local application data (<c>~/.local/share</c> on Linux, <c>%LOCALAPPDATA%</c> on Windows), as
    /// ASP.NET Core keeps its data-protection keys. Not next to the binaries, where a clean build or a redeploy would
    /// delete the ledger. In a container, mount a volume and set <see cref="ConnectionString"/> to a file on it.
    /// </summary>
    public static string DefaultDirectory { get; } = GetDefaultDirectory();

    /// <summary>Gets or sets the Microsoft.Data.Sqlite connection string, such as <c>Data Source=/var/lib/myapp/usage.db</c>.</summary>
    /// <value>
    /// The default value is <see cref="DefaultFileName"/> in <see cref="DefaultDirectory"/>, which is created when the
    /// schema is prepared. In-memory databases are refused: the ledger must survive the process.
    /// </value>
    public string ConnectionString { get; set; } = "Data Source=" + Path.Combine(DefaultDirectory, DefaultFileName);

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

    private static string GetDefaultDirectory()
    {
        var application = Assembly.GetEntryAssembly()?.GetName().Name ?? "default";
        var data = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);

        // Service accounts without a home directory have no such folder; the application's directory is then the only
        // writable place known, and the store logs where the ledger lives.
        return string.IsNullOrEmpty(data) ? AppContext.BaseDirectory : Path.Combine(data, "Gravity.Usage", application);
    }
}
