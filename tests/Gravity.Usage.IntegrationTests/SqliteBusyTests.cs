using Gravity.Usage.IntegrationTests.Infrastructure;
using Gravity.Usage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Gravity.Usage.IntegrationTests;

/// <summary>
/// A write that finds a table locked by a shared-cache reader (or the database busy) waits for it, as Microsoft.Data.Sqlite
/// commands do, instead of failing the whole batch.
/// </summary>
public sealed class SqliteBusyTests : LedgerTest
{
    [Test]
    public async Task WriteAsync_SharedCacheReadInFlight_WaitsForTheReadInsteadOfFailingTheBatch()
    {
        var store = CreateStore(configure: o => o.ConnectionString = Database.ConnectionString + ";Cache=Shared");
        Assert.That((await store.WriteAsync([Increment("acct", 1)]))[0], Is.EqualTo(UsageWriteStatus.Recorded));

        using var reader = new SqliteConnection(Database.ConnectionString + ";Cache=Shared;Pooling=False");
        reader.Open();
        var read = reader.BeginTransaction(deferred: true);
        using (var count = reader.CreateCommand())
        {
            count.Transaction = read;
            count.CommandText = "SELECT COUNT(*) FROM usage_counter";
            count.ExecuteScalar();
        }

        // The read ends 300 ms later, as a dashboard's GetAsync would.
        var release = Task.Run(async () => { await Task.Delay(300); read.Commit(); });
        Exception? failure = null;
        IReadOnlyList<UsageWriteStatus>? statuses = null;
        try
        {
            statuses = await store.WriteAsync([Increment("acct", 1, key: "k1"), Increment("other", 2, key: "k2")]);
        }
        catch (SqliteException ex)
        {
            failure = ex;
        }

        await release;
        Assert.That(failure, Is.Null, failure?.Message);
        Assert.That(statuses, Is.EqualTo(new[] { UsageWriteStatus.Recorded, UsageWriteStatus.Recorded }));
    }
}
