using Gravity.Usage.PostgreSql;
using Gravity.Usage.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Gravity.Usage.Tool.Tests;

/// <summary>
/// A real ledger for the tool to read: a fresh SQLite file, or a fresh schema on the PostgreSQL of the test run
/// (<c>GRAVITY_USAGE_POSTGRES</c>, which ./test.sh sets; without it the PostgreSQL cases are ignored locally and fail
/// under CI=true). The test writes it through the store's own interfaces, as the library does.
/// </summary>
public sealed class ToolLedger : IAsyncDisposable
{
    public const string PostgresVariable = "GRAVITY_USAGE_POSTGRES";

    private readonly object _store;

    private ToolLedger(string provider, object store, string[] arguments, string? sqlitePath, string? schema)
    {
        Provider = provider;
        _store = store;
        Arguments = arguments;
        SqlitePath = sqlitePath;
        Schema = schema;
    }

    public string Provider { get; }

    /// <summary>Gets the tool's arguments that name this ledger.</summary>
    public string[] Arguments { get; }

    public string? SqlitePath { get; }

    public string? Schema { get; }

    public IUsageStore Usage => (IUsageStore)_store;

    public IUsageReportStore Reports => (IUsageReportStore)_store;

    public IUsageAccountStore Accounts => (IUsageAccountStore)_store;

    public static string PostgresConnectionString => Environment.GetEnvironmentVariable(PostgresVariable) ?? string.Empty;

    public static async Task<ToolLedger> CreateAsync(string provider, TimeProvider clock)
    {
        if (provider == "sqlite")
        {
            var path = Path.Combine(Path.GetTempPath(), $"gravity-usage-tool-{Guid.NewGuid():N}.db");
            var sqlite = new SqliteUsageStore(new SqliteUsageStoreOptions { ConnectionString = $"Data Source={path}" }, clock);
            await sqlite.EnsureSchemaAsync();
            return new ToolLedger(provider, sqlite, ["--sqlite", path], path, null);
        }

        await RequirePostgresAsync();
        var schema = "tool_" + Guid.NewGuid().ToString("N")[..12];
        var postgres = new PostgreSqlUsageStore(new PostgreSqlUsageStoreOptions { ConnectionString = PostgresConnectionString, SchemaName = schema }, clock);
        await postgres.EnsureSchemaAsync();
        return new ToolLedger(provider, postgres, ["--postgres", PostgresConnectionString, "--pg-schema", schema], null, schema);
    }

    public static async Task RequirePostgresAsync()
    {
        string? problem = null;
        if (string.IsNullOrWhiteSpace(PostgresConnectionString))
        {
            problem = $"{PostgresVariable} is not set.";
        }
        else
        {
            try
            {
                await using var connection = new NpgsqlConnection(PostgresConnectionString);
                await connection.OpenAsync();
            }
            catch (NpgsqlException ex)
            {
                problem = $"{PostgresVariable} names a server that cannot be reached ({ex.Message}).";
            }
        }

        if (problem is null)
        {
            return;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail("PostgreSQL is required under CI=true: " + problem);
        }

        Assert.Ignore("PostgreSQL tests skipped: " + problem);
    }

    public async ValueTask DisposeAsync()
    {
        await ((IAsyncDisposable)_store).DisposeAsync();
        if (SqlitePath is not null)
        {
            SqliteConnection.ClearAllPools();
            foreach (var file in new[] { SqlitePath, SqlitePath + "-wal", SqlitePath + "-shm" })
            {
                File.Delete(file);
            }
        }

        if (Schema is not null)
        {
            await using var connection = new NpgsqlConnection(PostgresConnectionString);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {Schema} CASCADE", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }
}
