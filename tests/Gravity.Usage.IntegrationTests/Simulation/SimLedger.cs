using Gravity.Usage.IntegrationTests.Contract;
using Gravity.Usage.IntegrationTests.Infrastructure;
using Gravity.Usage.PostgreSql;
using Gravity.Usage.Sqlite;
using Npgsql;

namespace Gravity.Usage.IntegrationTests.Simulation;

/// <summary>
/// The real ledger one seed runs on: a fresh SQLite file, or a fresh schema on the PostgreSQL server of the test run.
/// Every simulated process (and every restart) opens its own store on it, as a restarted application would.
/// </summary>
public abstract class SimLedger : IAsyncDisposable
{
    public abstract string Description { get; }

    /// <summary>Gets the proxy that drops connections around COMMIT (PostgreSQL only).</summary>
    public virtual PostgresCommitFaultProxy? Proxy => null;

    public static SimLedger Create(SimBackend backend, int seed, string directory) => backend switch
    {
        SimBackend.PostgreSql => new PostgreSqlLedger($"gu_sim_{seed}_{Guid.NewGuid().ToString("N")[..12]}"),
        _ => new SqliteLedger(Path.Combine(directory, $"sim-{seed}-{Guid.NewGuid():N}.db")),
    };

    /// <summary>Opens a new store on the ledger: the ledger, outbox and account mapping of one process.</summary>
    public abstract object OpenStore(TimeProvider clock, TimeSpan bucketSize);

    public abstract ValueTask DisposeAsync();

    private sealed class SqliteLedger(string path) : SimLedger
    {
        public override string Description => $"SQLite file {path}";

        public override object OpenStore(TimeProvider clock, TimeSpan bucketSize) =>
            new SqliteUsageStore(new SqliteUsageStoreOptions { ConnectionString = $"Data Source={path}" }, clock, bucketSize);

        public override ValueTask DisposeAsync()
        {
            // Pooled connections of disposed stores may still hold the file open; unlinking it is fine on every OS the
            // suite runs on, and a leftover file in the temp folder is harmless where it is not.
            foreach (var suffix in new[] { string.Empty, "-wal", "-shm", "-journal" })
            {
                try
                {
                    File.Delete(path + suffix);
                }
                catch (IOException)
                {
                }
            }

            return ValueTask.CompletedTask;
        }
    }

    private sealed class PostgreSqlLedger(string schema) : SimLedger
    {
        private readonly PostgresCommitFaultProxy _proxy = new(PostgreSqlServer.ConnectionString);

        public override string Description => $"PostgreSQL schema {schema}";

        public override PostgresCommitFaultProxy Proxy => _proxy;

        /// <summary>Every store connects through the proxy, so that any of its commits can lose its connection.</summary>
        public override object OpenStore(TimeProvider clock, TimeSpan bucketSize) =>
            new PostgreSqlUsageStore(
                new PostgreSqlUsageStoreOptions { ConnectionString = _proxy.ConnectionString, SchemaName = schema },
                clock,
                bucketSize);

        public override async ValueTask DisposeAsync()
        {
            await _proxy.DisposeAsync();
            await using var admin = NpgsqlDataSource.Create(PostgreSqlServer.ConnectionString);
            await using var drop = admin.CreateCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE");
            await drop.ExecuteNonQueryAsync();
        }
    }
}
