using Gravity.Usage.IntegrationTests.Infrastructure;

namespace Gravity.Usage.IntegrationTests;

/// <summary>
/// SQLite's write-ahead log is checkpointed in the background, off the write connection: it stays bounded under a
/// stream of commits, and nothing committed is lost across a reopen.
/// </summary>
public sealed class CheckpointTests : LedgerTest
{
    private const int Commits = 1_500;
    private const int IncrementsPerCommit = 16;
    private const int Accounts = 20_000;

    [Test]
    public async Task WriteAsync_StreamOfCommits_WriteAheadLogStaysBoundedAndAReopenLosesNothing()
    {
        var store = CreateStore();
        var random = new Random(20_261_130);
        var expected = new Dictionary<string, long>();
        long largestLog = 0;
        for (var commit = 0; commit < Commits; commit++)
        {
            // Accounts spread over a big table, so that every commit writes pages of its own: far more log than the bound.
            var batch = new UsageIncrement[IncrementsPerCommit];
            for (var i = 0; i < batch.Length; i++)
            {
                var account = $"acct_{random.Next(Accounts):D5}";
                batch[i] = Increment(account, 1 + (commit % 7));
                expected[account] = expected.GetValueOrDefault(account) + batch[i].Quantity;
            }

            Assert.That(await store.WriteAsync(batch), Is.All.EqualTo(UsageWriteStatus.Recorded));
            largestLog = Math.Max(largestLog, new FileInfo(Database.Path + "-wal").Length);
        }

        var checkpointer = store.Checkpointer!;
        var writerCheckpoints = checkpointer.WriterCheckpoints;
        var bound = checkpointer.MaxBytes;
        await store.DisposeAsync();

        var reopened = CreateStore();
        var totals = Database.ExecuteScalar("SELECT SUM(quantity) FROM usage_counter");
        var rows = Database.ExecuteScalar("SELECT COUNT(*) FROM usage_counter");
        var meter = CreateMeter(reopened);
        var sample = expected.Keys.Take(50).ToList();
        var sampled = new List<long>();
        foreach (var account in sample)
        {
            sampled.Add(await TotalAsync(meter, account));
        }

        Assert.Multiple(() =>
        {
            Assert.That(largestLog, Is.LessThanOrEqualTo(bound + (1 << 20)), "the log never grew much past its bound");
            Assert.That(writerCheckpoints, Is.GreaterThan(0), "the log was rewound or bounded at least once");
            Assert.That(totals, Is.EqualTo(expected.Values.Sum()), "every committed increment is in the reopened file");
            Assert.That(rows, Is.EqualTo(expected.Count));
            Assert.That(sampled, Is.EqualTo(sample.Select(a => expected[a])));
        });
    }
}
