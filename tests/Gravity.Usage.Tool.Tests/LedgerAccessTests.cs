using Gravity.Usage.PostgreSql;
using Gravity.Usage.Sqlite;
using Npgsql;

namespace Gravity.Usage.Tool.Tests;

/// <summary>Which ledger the tool opens, what it never does to it, and how it fails when it cannot.</summary>
public sealed class LedgerAccessTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    [Test]
    public async Task MissingSqliteFile_Exits2_AndIsNotCreated()
    {
        var path = Path.Combine(Path.GetTempPath(), $"gravity-usage-missing-{Guid.NewGuid():N}.db");

        var run = await ToolRun.RunAsync(s_now, null, "status", "--sqlite", path);

        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
            Assert.That(run.Error, Does.Contain("No SQLite ledger"));
            Assert.That(File.Exists(path), Is.False, "the tool never creates a ledger");
        });
    }

    [Test]
    public async Task SqliteFileWithoutTheSchema_Exits2_AndTheSchemaIsNotInstalled()
    {
        var path = Path.Combine(Path.GetTempPath(), $"gravity-usage-empty-{Guid.NewGuid():N}.db");
        await File.WriteAllBytesAsync(path, []);
        try
        {
            var run = await ToolRun.RunAsync(s_now, null, "status", "--sqlite", path);

            Assert.Multiple(() =>
            {
                Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
                Assert.That(TableCount(path), Is.Zero, "the tool never installs or upgrades a schema");
            });
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            File.Delete(path);
        }
    }

    private static long TableCount(string path)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'";
        return (long)command.ExecuteScalar()!;
    }

    [Test]
    public async Task Run_NoLedgerNamed_IsAUsageError()
    {
        var run = await ToolRun.RunAsync(s_now, null, "status");

        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
            Assert.That(run.Error, Does.Contain("--sqlite").And.Contain("GRAVITY_USAGE_POSTGRES"));
        });
    }

    [Test]
    public async Task Run_BothLedgersNamed_IsAUsageError()
    {
        var run = await ToolRun.RunAsync(s_now, null, "status", "--sqlite", "a.db", "--postgres", "Host=localhost");

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
    }

    [TestCase("status", "--bogus")]
    [TestCase("no-such-command")]
    [TestCase("status", "--max-pending-age", "soon")]
    [TestCase("reports", "list", "--status", "lost")]
    public async Task Run_BadCommandLine_IsAUsageError(params string[] args)
    {
        var run = await ToolRun.RunAsync(s_now, null, args);

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
    }

    [Test]
    public async Task UnreachablePostgres_Exits2_AndNeverPrintsThePassword()
    {
        const string password = "pw-do-not-print-4711";

        var run = await ToolRun.RunAsync(s_now, null, "status", "--postgres", $"Host=127.0.0.1;Port=1;Username=ops;Password={password};Timeout=2");

        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
            Assert.That(run.Out + run.Error, Does.Not.Contain(password));
        });
    }

    [Test]
    public async Task PostgresWithoutTheSchema_Exits2_AndTheSchemaIsNotInstalled()
    {
        await ToolLedger.RequirePostgresAsync();
        var schema = "tool_missing_" + Guid.NewGuid().ToString("N")[..8];

        var run = await ToolRun.RunAsync(s_now, null, "status", "--postgres", ToolLedger.PostgresConnectionString, "--pg-schema", schema);

        await using var connection = new NpgsqlConnection(ToolLedger.PostgresConnectionString);
        await connection.OpenAsync();
        await using var exists = new NpgsqlCommand("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = @s", connection);
        exists.Parameters.AddWithValue("s", schema);
        Assert.Multiple(async () =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
            Assert.That(await exists.ExecuteScalarAsync(), Is.Zero);
        });
    }

    [Test]
    public async Task PostgresFromTheEnvironment_IsUsed_AndItsPasswordNeverPrinted()
    {
        await ToolLedger.RequirePostgresAsync();
        await using var ledger = await ToolLedger.CreateAsync("postgresql", TimeProvider.System);
        const string password = "env-pw-do-not-print-0815";
        var connectionString = new NpgsqlConnectionStringBuilder(ToolLedger.PostgresConnectionString);
        connectionString.Password ??= password;
        var variables = new Dictionary<string, string> { ["GRAVITY_USAGE_POSTGRES"] = connectionString.ConnectionString };

        var run = await ToolRun.RunAsync(s_now, variables, "status", "--pg-schema", ledger.Schema!);

        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
            Assert.That(run.Out, Does.Contain("postgresql").And.Contain(ledger.Schema));
            Assert.That(run.Out + run.Error, Does.Not.Contain(connectionString.Password));
        });
    }

    [Test]
    public async Task SchemaScript_Sqlite_IsTheLibrarysInstallScript()
    {
        var run = await ToolRun.RunAsync(s_now, null, "schema", "script", "--table-prefix", "app_");

        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
            Assert.That(run.Out.TrimEnd(), Is.EqualTo(SqliteUsageStore.GetInstallScript("app_").TrimEnd()));
        });
    }

    [Test]
    public async Task SchemaScript_Postgres_FollowsTheLedgerNamed_WithoutConnecting()
    {
        var run = await ToolRun.RunAsync(s_now, null, "schema", "script", "--postgres", "Host=127.0.0.1;Port=1", "--pg-schema", "billing");

        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
            Assert.That(run.Out.TrimEnd(), Is.EqualTo(PostgreSqlUsageStore.GetInstallScript("billing").TrimEnd()));
        });
    }

    [Test]
    public async Task SchemaScript_UnsafeSchemaName_IsAUsageError()
    {
        var run = await ToolRun.RunAsync(s_now, null, "schema", "script", "--provider", "postgresql", "--pg-schema", "x; DROP TABLE y");

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
    }

    [Test]
    public async Task SchemaScript_Json_NamesProviderAndVersion()
    {
        var run = await ToolRun.RunAsync(s_now, null, "schema", "script", "--provider", "postgresql", "--json");

        using var json = System.Text.Json.JsonDocument.Parse(run.Out);
        Assert.Multiple(() =>
        {
            Assert.That(json.RootElement.GetProperty("provider").GetString(), Is.EqualTo("postgresql"));
            Assert.That(json.RootElement.GetProperty("version").GetInt32(), Is.EqualTo(PostgreSqlUsageStore.SchemaVersion));
            Assert.That(json.RootElement.GetProperty("script").GetString(), Does.Contain("CREATE TABLE"));
        });
    }
}
