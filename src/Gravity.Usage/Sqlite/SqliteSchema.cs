using System.Globalization;
using System.Text;
using Dapper;
using Gravity.Usage.Sql;
using Microsoft.Data.Sqlite;

namespace Gravity.Usage.Sqlite;

/// <summary>Installs, upgrades and checks the SQLite schema from the embedded <c>NNN_name.sql</c> scripts.</summary>
internal static class SqliteSchema
{
    public static readonly IReadOnlyList<SchemaScript> Scripts =
        SchemaScript.Load(typeof(SqliteSchema).Assembly, "Gravity.Usage.Sqlite.Scripts.");

    public static int LatestVersion => Scripts.Count;

    /// <summary>The whole schema as one script, for DBAs who apply it by hand (<c>sqlite3 usage.db &lt; install.sql</c>).</summary>
    public static string GetInstallScript(string prefix)
    {
        var queries = new SqliteQueries(prefix);
        var script = new StringBuilder()
            .AppendLine("-- Gravity.Usage: SQLite schema, version " + LatestVersion.ToString(CultureInfo.InvariantCulture) + ".")
            .AppendLine("-- Safe to run again: every statement is idempotent.")
            .AppendLine("PRAGMA journal_mode = WAL;")
            .AppendLine("BEGIN IMMEDIATE;")
            .AppendLine(queries.CreateSchemaVersionTable);
        foreach (var step in Scripts)
        {
            script.AppendLine(step.Render(prefix))
                .Append(CultureInfo.InvariantCulture, $"INSERT OR IGNORE INTO {queries.SchemaVersionTable} (version, name, applied_at) ")
                .AppendLine(CultureInfo.InvariantCulture, $"VALUES ({step.Version}, '{step.Name}', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));");
        }

        return script.AppendLine("COMMIT;").ToString();
    }

    /// <summary>
    /// Applies the scripts the database lacks, in one write transaction: BEGIN IMMEDIATE makes concurrent installers,
    /// in this process or others, wait for each other, and the version is read again inside it.
    /// </summary>
    public static void Install(SqliteConnection connection, SqliteQueries queries, string prefix, TimeProvider timeProvider)
    {
        EnableWriteAheadLog(connection);
        using var transaction = connection.BeginTransaction(deferred: false);
        connection.Execute(queries.CreateSchemaVersionTable, transaction: transaction);
        var current = connection.ExecuteScalar<int>(queries.CurrentSchemaVersion, transaction: transaction);
        ThrowIfNewer(current);
        foreach (var step in Scripts.Where(s => s.Version > current))
        {
            connection.Execute(step.Render(prefix), transaction: transaction);
            connection.Execute(
                queries.RecordSchemaVersion,
                new { step.Version, step.Name, AppliedAt = timeProvider.GetUtcNow().ToString("O", CultureInfo.InvariantCulture) },
                transaction);
        }

        transaction.Commit();
    }

    /// <summary>Checks a schema that was applied by hand.</summary>
    public static void Verify(SqliteConnection connection, SqliteQueries queries)
    {
        EnableWriteAheadLog(connection);
        var hasVersionTable = connection.ExecuteScalar<long>(queries.SchemaVersionTableExists, new { Name = queries.SchemaVersionTable }) > 0;
        var current = hasVersionTable ? connection.ExecuteScalar<int>(queries.CurrentSchemaVersion) : 0;
        ThrowIfNewer(current);
        if (current < LatestVersion)
        {
            throw new UsageSchemaException(string.Create(
                CultureInfo.InvariantCulture,
                $"The usage schema is at version {current} but version {LatestVersion} is required, and PrepareSchemaIfNecessary is off. Apply SqliteUsageStore.GetInstallScript() to the database, or turn PrepareSchemaIfNecessary on."));
        }
    }

    private static void ThrowIfNewer(int current)
    {
        if (current > LatestVersion)
        {
            throw new UsageSchemaException(string.Create(
                CultureInfo.InvariantCulture,
                $"The usage schema is at version {current}, newer than the version {LatestVersion} this Gravity.Usage understands. Upgrade Gravity.Usage; the database was left untouched."));
        }
    }

    /// <summary>WAL lets readers run beside the single writer; the setting is kept in the file.</summary>
    private static void EnableWriteAheadLog(SqliteConnection connection)
    {
        var mode = connection.ExecuteScalar<string>("PRAGMA journal_mode = WAL");
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            throw new UsageSchemaException($"SQLite could not switch the usage database to write-ahead logging (journal_mode is '{mode}'); use a local file system.");
        }
    }
}
