using Dapper;
using Gravity.Usage.PostgreSql;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Gravity.Usage.IntegrationTests.Contract;

/// <summary>The contract on PostgreSQL: a fresh schema per test on the server of GRAVITY_USAGE_POSTGRES, dropped afterwards.</summary>
public sealed class PostgreSqlStoreFixture : IStoreFixture
{
    private readonly string _schema = $"gu_test_{Guid.NewGuid():N}";
    private readonly List<PersistentStore> _stores = [];
    private NpgsqlDataSource? _admin;

    public string InstallScript => PostgreSqlUsageStore.GetInstallScript(_schema);

    private NpgsqlDataSource Admin => _admin ?? throw new InvalidOperationException("InitializeAsync was not called.");

    public async Task InitializeAsync()
    {
        await PostgreSqlServer.RequireAsync();
        _admin = NpgsqlDataSource.Create(PostgreSqlServer.ConnectionString);
    }

    public PersistentStore CreateStore(TimeProvider clock, bool prepareSchema = true)
    {
        var store = new PersistentStore(new PostgreSqlUsageStore(
            new PostgreSqlUsageStoreOptions { ConnectionString = PostgreSqlServer.ConnectionString, SchemaName = _schema, PrepareSchemaIfNecessary = prepareSchema },
            clock));
        _stores.Add(store);
        return store;
    }

    public void UseStore(UsageBillingBuilder builder) => builder.UsePostgreSql(o =>
    {
        o.ConnectionString = PostgreSqlServer.ConnectionString;
        o.SchemaName = _schema;
    });

    public string Table(string name) => $"{_schema}.{name}";

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = await Admin.OpenConnectionAsync();
        await connection.ExecuteAsync(sql);
    }

    public async Task<long> ScalarAsync(string sql)
    {
        await using var connection = await Admin.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(sql);
    }

    public async Task<string> TextAsync(string sql)
    {
        await using var connection = await Admin.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<string>(sql) ?? throw new InvalidOperationException("No text from: " + sql);
    }

    public async Task<IReadOnlyList<long>> ColumnAsync(string sql)
    {
        await using var connection = await Admin.OpenConnectionAsync();
        return (await connection.QueryAsync<long>(sql)).AsList();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }

        if (_admin is not null)
        {
            await ExecuteAsync($"DROP SCHEMA IF EXISTS {_schema} CASCADE");
            await _admin.DisposeAsync();
        }
    }
}
