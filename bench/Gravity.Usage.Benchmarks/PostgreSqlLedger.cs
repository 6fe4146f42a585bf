using System.Globalization;
using Gravity.Usage.PostgreSql;
using Npgsql;

namespace Gravity.Usage.Benchmarks;

/// <summary>A fresh schema on the server of GRAVITY_USAGE_POSTGRES (or --postgres) for one round; dropped on disposal.</summary>
internal sealed class PostgreSqlLedger : IAsyncDisposable
{
    private readonly bool _owned;

    private PostgreSqlLedger(string connectionString, string schema, bool owned)
    {
        _owned = owned;
        ConnectionString = connectionString;
        Schema = schema;
        DataSource = NpgsqlDataSource.Create(connectionString);
    }

    public string ConnectionString { get; }

    public string Schema { get; }

    /// <summary>A pooled data source for the naive baseline and the checks.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>Creates the schema with the library's own script (<see cref="PostgreSqlUsageStore.EnsureSchemaAsync"/>).</summary>
    public static async Task<PostgreSqlLedger> CreateAsync(string connectionString)
    {
        var ledger = new PostgreSqlLedger(connectionString, $"gub_{Guid.NewGuid():N}", owned: true);
        await using var store = ledger.CreateStore();
        await store.EnsureSchemaAsync();
        return ledger;
    }

    /// <summary>Opens a ledger another process created, and leaves its schema in place on disposal.</summary>
    public static PostgreSqlLedger Open(string connectionString, string schema) => new(connectionString, schema, owned: false);

    /// <summary>
    /// GRAVITY_BENCH_PG_BATCHES sets <see cref="PostgreSqlUsageStoreOptions.MaxConcurrentBatches"/> (to compare 1, 2, 4,
    /// 8); an environment variable, so that the two-process workers inherit it. Unset: the library's default.
    /// </summary>
    public static int MaxConcurrentBatches { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("GRAVITY_BENCH_PG_BATCHES"), NumberStyles.None, CultureInfo.InvariantCulture, out var batches)
            ? batches
            : PostgreSqlUsageStoreOptions.DefaultMaxConcurrentBatches;

    public PostgreSqlUsageStore CreateStore() =>
        new(new PostgreSqlUsageStoreOptions { ConnectionString = ConnectionString, SchemaName = Schema, MaxConcurrentBatches = MaxConcurrentBatches });

    public async Task<long> ScalarAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql.Replace("{schema}", Schema, StringComparison.Ordinal));
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        if (_owned)
        {
            await using var drop = DataSource.CreateCommand($"DROP SCHEMA IF EXISTS {Schema} CASCADE");
            await drop.ExecuteNonQueryAsync();
        }

        await DataSource.DisposeAsync();
    }

    /// <summary>The server's version and the settings that decide what a commit costs.</summary>
    public static async Task<string> DescribeServerAsync(string connectionString)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand(
            "SELECT current_setting('server_version') || ', fsync=' || current_setting('fsync') || ', synchronous_commit=' || current_setting('synchronous_commit')" +
            " || ', wal_sync_method=' || current_setting('wal_sync_method') || ', shared_buffers=' || current_setting('shared_buffers') || ', max_connections=' || current_setting('max_connections')");
        return (string)(await command.ExecuteScalarAsync())!;
    }
}

/// <summary>
/// Case (a) on PostgreSQL: one durable transaction per increment. A pooled connection, BEGIN, the counter upsert on
/// the library's table (same unique key and ON CONFLICT shape as the library's batch upsert, for one row), COMMIT.
/// </summary>
internal sealed class PostgreSqlNaiveBaseline(PostgreSqlLedger ledger, TimeProvider timeProvider)
{
    private readonly string _upsert = $"""
        INSERT INTO {ledger.Schema}.usage_counter AS c (account, bucket_start, meter, quantity) VALUES ($1, $2, $3, 1)
        ON CONFLICT (account, bucket_start, meter) DO UPDATE SET quantity = c.quantity + excluded.quantity
        """;

    private readonly long _bucketTicks = new UsageBillingOptions().BucketSize.Ticks;

    public async Task<IncrementOutcome> IncrementAsync(string account)
    {
        var now = timeProvider.GetUtcNow();
        var bucketStart = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % _bucketTicks), TimeSpan.Zero).ToUnixTimeSeconds();
        await using var connection = await ledger.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand(_upsert, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = account });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = bucketStart });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = UsageBillingOptions.DefaultMeterName });
        if (await command.ExecuteNonQueryAsync() != 1)
        {
            throw new InvalidOperationException("The naive upsert changed no row.");
        }

        await transaction.CommitAsync();
        return IncrementOutcome.Recorded;
    }
}
