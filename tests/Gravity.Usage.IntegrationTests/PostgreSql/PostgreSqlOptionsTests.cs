using Gravity.Usage.IntegrationTests.Contract;
using Gravity.Usage.PostgreSql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Gravity.Usage.IntegrationTests.PostgreSql;

/// <summary>What is particular to the PostgreSQL store: its options, its install script and who owns the data source.</summary>
public sealed class PostgreSqlOptionsTests
{
    [Test]
    public void Constructor_InvalidOptions_ListsEveryFailure()
    {
        var options = new PostgreSqlUsageStoreOptions { SchemaName = "bad-name; DROP" };

        var ex = Assert.Throws<OptionsValidationException>(() => _ = new PostgreSqlUsageStore(options));

        Assert.That(ex!.Failures, Has.Exactly(1).Contains("ConnectionString or DataSource is required")
            .And.Exactly(1).Contains("SchemaName must be ASCII letters"));
    }

    [Test]
    public async Task Constructor_BothConnectionStringAndDataSource_IsRefused()
    {
        await using var dataSource = NpgsqlDataSource.Create("Host=127.0.0.1");

        var ex = Assert.Throws<OptionsValidationException>(() => _ = new PostgreSqlUsageStore(new() { ConnectionString = "Host=127.0.0.1", DataSource = dataSource }));

        Assert.That(ex!.Message, Does.Contain("not both"));
    }

    [Test]
    public void GetInstallScript_UnsafeSchemaName_IsRefused_AndASafeOneIsQualifiedEverywhere()
    {
        var script = PostgreSqlUsageStore.GetInstallScript("billing");

        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentException>(() => PostgreSqlUsageStore.GetInstallScript("x; DROP SCHEMA public"));
            Assert.That(script, Does.Contain("CREATE SCHEMA IF NOT EXISTS billing").And.Contain("billing.usage_counter").And.Contain("pg_advisory_xact_lock"));
            Assert.That(script, Does.Not.Contain("{prefix}"));
            Assert.That(PostgreSqlUsageStore.SchemaVersion, Is.EqualTo(6));
        });
    }

    [Test]
    public void AddUsageBilling_UsePostgreSqlWithInvalidOptions_FailsWhenTheOptionsAreRead()
    {
        using var provider = new ServiceCollection()
            .AddUsageBilling(u => u.UsePostgreSql(o => o.SchemaName = string.Empty))
            .BuildServiceProvider();

        Assert.Throws<OptionsValidationException>(() => _ = provider.GetRequiredService<IOptions<PostgreSqlUsageStoreOptions>>().Value);
    }

    [Test]
    public async Task DisposeAsync_DataSourceGivenByTheHost_IsLeftOpen()
    {
        await PostgreSqlServer.RequireAsync();
        var schema = $"gu_test_{Guid.NewGuid():N}";
        await using var dataSource = NpgsqlDataSource.Create(PostgreSqlServer.ConnectionString);
        try
        {
            var store = new PostgreSqlUsageStore(new() { DataSource = dataSource, SchemaName = schema });
            await store.WriteAsync([new UsageIncrement("acct", "usage", DateTimeOffset.UnixEpoch, 1, null, DateTimeOffset.UnixEpoch)]);
            await store.DisposeAsync();

            await using var connection = await dataSource.OpenConnectionAsync();
            await using var command = new NpgsqlCommand($"SELECT quantity FROM {schema}.usage_counter", connection);
            Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo(1L));
        }
        finally
        {
            await using var cleanup = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE");
            await cleanup.ExecuteNonQueryAsync();
        }
    }
}
