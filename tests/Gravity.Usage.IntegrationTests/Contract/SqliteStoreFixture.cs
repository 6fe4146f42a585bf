using Dapper;
using Gravity.Usage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Gravity.Usage.IntegrationTests.Contract;

/// <summary>The contract on SQLite: a fresh file per test, deleted afterwards.</summary>
public sealed class SqliteStoreFixture : IStoreFixture
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"gu-contract-{Guid.NewGuid():N}.db");
    private readonly List<PersistentStore> _stores = [];

    private string ConnectionString => $"Data Source={_path}";

    public string InstallScript => SqliteUsageStore.GetInstallScript();

    public Task InitializeAsync() => Task.CompletedTask;

    public PersistentStore CreateStore(TimeProvider clock, bool prepareSchema = true)
    {
        var store = new PersistentStore(new SqliteUsageStore(new SqliteUsageStoreOptions { ConnectionString = ConnectionString, PrepareSchemaIfNecessary = prepareSchema }, clock));
        _stores.Add(store);
        return store;
    }

    public void UseStore(UsageBillingBuilder builder) => builder.UseSqlite(ConnectionString);

    public string Table(string name) => name;

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection(ConnectionString);
        await connection.ExecuteAsync(sql);
    }

    public async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new SqliteConnection(ConnectionString);
        return await connection.ExecuteScalarAsync<long>(sql);
    }

    public async Task<string> TextAsync(string sql)
    {
        await using var connection = new SqliteConnection(ConnectionString);
        return await connection.ExecuteScalarAsync<string>(sql) ?? throw new InvalidOperationException("No text from: " + sql);
    }

    public async Task<IReadOnlyList<long>> ColumnAsync(string sql)
    {
        await using var connection = new SqliteConnection(ConnectionString);
        return (await connection.QueryAsync<long>(sql)).AsList();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }

        SqliteConnection.ClearAllPools();
        foreach (var file in new[] { _path, _path + "-wal", _path + "-shm" })
        {
            File.Delete(file);
        }
    }
}
