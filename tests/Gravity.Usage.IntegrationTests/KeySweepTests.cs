using Gravity.Usage.Internal;
using Gravity.Usage.IntegrationTests.Infrastructure;
using Gravity.Usage.Sqlite;

namespace Gravity.Usage.IntegrationTests;

/// <summary>
/// SQLite keeps its hashed keys without an index on their recording time, and the meter finds expired ones by
/// sweeping the table in hash order, a bounded number of keys per step (<see cref="SqliteIdempotencyKeys.SweepWindow"/>).
/// </summary>
public sealed class KeySweepTests : LedgerTest
{
    private const int Keys = (2 * SqliteIdempotencyKeys.SweepWindow) + 5_000;

    [Test]
    public async Task SweepExpiredKeysAsync_TableLargerThanOneStep_DeletesExactlyTheExpiredKeysOverSeveralSteps()
    {
        var store = CreateStore();
        await WriteOldAndYoungKeysAsync(store);
        var sweeper = (IIdempotencyKeySweeper)store;
        var cutoff = Start + TimeSpan.FromHours(1);

        var steps = new List<(int Deleted, bool PassComplete)>();
        do
        {
            steps.Add(await sweeper.SweepExpiredKeysAsync(cutoff, maxKeys: 100_000, CancellationToken.None));
        }
        while (!steps[^1].PassComplete && steps.Count < 10);

        var again = await sweeper.SweepExpiredKeysAsync(cutoff, maxKeys: 100_000, CancellationToken.None);
        var reused = await store.WriteAsync([Increment("acct", 1, "old-0"), Increment("acct", 1, "young-0")]);
        Assert.Multiple(() =>
        {
            Assert.That(steps, Has.Count.EqualTo(3), "each step reads at most one window of keys");
            Assert.That(steps.Sum(s => s.Deleted), Is.EqualTo(Keys / 2));
            Assert.That(again.Deleted, Is.Zero, "a new pass finds nothing more");
            Assert.That(Database.IdempotencyKeys(), Has.Count.EqualTo((Keys / 2) + 1));
            Assert.That(reused, Is.EqualTo(new[] { UsageWriteStatus.Recorded, UsageWriteStatus.Duplicate }), "a swept key counts again; a young one does not");
        });
    }

    [Test]
    public async Task SweepExpiredKeysAsync_MaxKeysReachedMidStep_ResumesWhereItStopped()
    {
        var store = CreateStore();
        await WriteOldAndYoungKeysAsync(store);
        var sweeper = (IIdempotencyKeySweeper)store;
        var cutoff = Start + TimeSpan.FromHours(1);

        var deleted = new List<int>();
        for (var i = 0; i < 20; i++)
        {
            var (step, complete) = await sweeper.SweepExpiredKeysAsync(cutoff, maxKeys: 4_000, CancellationToken.None);
            deleted.Add(step);
            if (complete)
            {
                break;
            }
        }

        Assert.Multiple(() =>
        {
            Assert.That(deleted, Has.All.LessThanOrEqualTo(4_000));
            Assert.That(deleted.Sum(), Is.EqualTo(Keys / 2));
            Assert.That(Database.IdempotencyKeys(), Has.Count.EqualTo(Keys / 2));
        });
    }

    [Test]
    public async Task PruneIdempotencyKeysAsync_TableLargerThanOneStep_ReadsOnUntilMaxKeysOrTheEnd()
    {
        var store = CreateStore();
        await WriteOldAndYoungKeysAsync(store);
        var cutoff = Start + TimeSpan.FromHours(1);

        var first = await store.PruneIdempotencyKeysAsync(cutoff, maxKeys: 12_000);
        var second = await store.PruneIdempotencyKeysAsync(cutoff, maxKeys: 12_000);
        var third = await store.PruneIdempotencyKeysAsync(cutoff, maxKeys: 12_000);

        Assert.That((first, second, third), Is.EqualTo((12_000, Keys / 2 - 12_000, 0)));
    }

    /// <summary>Half the keys recorded at the start, half two hours later, interleaved in hash order.</summary>
    private async Task WriteOldAndYoungKeysAsync(SqliteUsageStore store)
    {
        await store.WriteAsync([.. Enumerable.Range(0, Keys / 2).Select(i => Increment("acct", 1, $"old-{i}"))]);
        Clock.Advance(TimeSpan.FromHours(2));
        await store.WriteAsync([.. Enumerable.Range(0, Keys / 2).Select(i => Increment("acct", 1, $"young-{i}"))]);
    }
}
