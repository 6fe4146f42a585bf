using Gravity.Usage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Gravity.Usage.Testing.Tests.Contract;

/// <summary>
/// The shipped contract's fixture as an author writes one, on the core's SQLite store in temporary files, with every
/// store passed through <paramref name="wrap"/>: a fault to see which cases catch it.
/// </summary>
internal sealed class SqliteContractFixture(Func<IUsageStore, IUsageStore> wrap) : UsageStoreContractFixture
{
    public SqliteContractFixture()
        : this(store => store)
    {
    }

    public override Task<UsageStoreContractLedger> CreateLedgerAsync(CancellationToken cancellationToken) =>
        Task.FromResult<UsageStoreContractLedger>(new Ledger(Path.Combine(Path.GetTempPath(), $"gu-contract-{Guid.NewGuid():N}.db"), wrap));

    private sealed class Ledger(string path, Func<IUsageStore, IUsageStore> wrap) : UsageStoreContractLedger
    {
        private string ConnectionString => $"Data Source={path}";

        public override IUsageStore OpenStore(TimeProvider timeProvider) =>
            wrap(new SqliteUsageStore(new SqliteUsageStoreOptions { ConnectionString = ConnectionString }, timeProvider));

        public override async Task<string> ReadLedgerIdAsync(CancellationToken cancellationToken)
        {
            await using var connection = new SqliteConnection(ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT ledger_id FROM usage_ledger";
            return (string)(await command.ExecuteScalarAsync(cancellationToken))!;
        }

        public override ValueTask DisposeAsync()
        {
            SqliteConnection.ClearAllPools();
            foreach (var file in new[] { path, path + "-wal", path + "-shm" })
            {
                File.Delete(file);
            }

            return ValueTask.CompletedTask;
        }
    }
}
