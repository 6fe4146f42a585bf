using System.Globalization;
using System.Text;
using Dapper;
using Gravity.Usage.Sql;
using Npgsql;

namespace Gravity.Usage.PostgreSql;

/// <summary>Installs, upgrades and checks the PostgreSQL schema from the embedded <c>NNN_name.sql</c> scripts.</summary>
internal static class PostgreSqlSchema
{
    /// <summary>
    /// The transaction-level advisory lock every installer takes first, in this process or any other, so that
    /// concurrent installs run one after the other and each reads the version the previous one left.
    /// </summary>
    public const long InstallLockKey = 0x4756_5553_4147_4501; // "GVUSAGE" + 1

    public static readonly IReadOnlyList<SchemaScript> Scripts =
        SchemaScript.Load(typeof(PostgreSqlSchema).Assembly, "Gravity.Usage.PostgreSql.Scripts.");

    public static int LatestVersion => Scripts.Count;

    /// <summary>The whole schema as one script, for DBAs who apply it by hand (<c>psql -f install.sql</c>).</summary>
    public static string GetInstallScript(string schema)
    {
        var queries = new PostgreSqlQueries(schema);
        var script = new StringBuilder()
            .AppendLine("-- Gravity.Usage: PostgreSQL schema, version " + LatestVersion.ToString(CultureInfo.InvariantCulture) + ".")
            .AppendLine("-- Safe to run again: every statement is idempotent.")
            .AppendLine("BEGIN;")
            .AppendLine(CultureInfo.InvariantCulture, $"SELECT pg_advisory_xact_lock({InstallLockKey});")
            .AppendLine(queries.CreateSchema + ";")
            .AppendLine(queries.CreateSchemaVersionTable);
        foreach (var step in Scripts)
        {
            script.AppendLine(step.Render(schema + "."))
                .Append(CultureInfo.InvariantCulture, $"INSERT INTO {queries.SchemaVersionTable} (version, name, applied_at) ")
                .AppendLine(CultureInfo.InvariantCulture, $"VALUES ({step.Version}, '{step.Name}', now()) ON CONFLICT (version) DO NOTHING;");
        }

        return script.AppendLine("COMMIT;").ToString();
    }

    /// <summary>Applies the scripts the database lacks, in one transaction under the install lock.</summary>
    public static async Task InstallAsync(NpgsqlConnection connection, PostgreSqlQueries queries, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var transactionScope = transaction.ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@Key)", new { Key = InstallLockKey }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(queries.CreateSchema, transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(queries.CreateSchemaVersionTable, transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var current = await connection.ExecuteScalarAsync<int>(new CommandDefinition(queries.CurrentSchemaVersion, transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        ThrowIfNewer(current);
        foreach (var step in Scripts.Where(s => s.Version > current))
        {
            await connection.ExecuteAsync(new CommandDefinition(step.Render(queries.Schema + "."), transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                queries.RecordSchemaVersion,
                new { step.Version, step.Name, AppliedAt = timeProvider.GetUtcNow() },
                transaction,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Checks a schema that was applied by hand.</summary>
    public static async Task VerifyAsync(NpgsqlConnection connection, PostgreSqlQueries queries, CancellationToken cancellationToken)
    {
        var hasVersionTable = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            queries.SchemaVersionTableExists, new { Name = queries.SchemaVersionTable }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var current = hasVersionTable
            ? await connection.ExecuteScalarAsync<int>(new CommandDefinition(queries.CurrentSchemaVersion, cancellationToken: cancellationToken)).ConfigureAwait(false)
            : 0;
        ThrowIfNewer(current);
        if (current < LatestVersion)
        {
            throw new UsageSchemaException(string.Create(
                CultureInfo.InvariantCulture,
                $"The usage schema '{queries.Schema}' is at version {current} but version {LatestVersion} is required, and PrepareSchemaIfNecessary is off. Apply PostgreSqlUsageStore.GetInstallScript(\"{queries.Schema}\") to the database, or turn PrepareSchemaIfNecessary on."));
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
}
