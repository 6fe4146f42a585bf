using Gravity.Usage.IntegrationTests.Infrastructure;

namespace Gravity.Usage.IntegrationTests;

/// <summary>An increment with an idempotency key counts once per (account, meter, key) within the retention.</summary>
public sealed class IdempotencyTests : LedgerTest
{
    [Test]
    public async Task IncrementAsync_SameKeyTwiceInSequence_SecondIsDuplicateAndCountsOnce()
    {
        var meter = CreateMeter();

        var first = await meter.IncrementAsync("acct", 5, idempotencyKey: "req-1");
        var second = await meter.IncrementAsync("acct", 5, idempotencyKey: "req-1");

        var total = await TotalAsync(meter, "acct");
        Assert.Multiple(() =>
        {
            Assert.That(first, Is.EqualTo(IncrementOutcome.Recorded));
            Assert.That(second, Is.EqualTo(IncrementOutcome.Duplicate));
            Assert.That(total, Is.EqualTo(5));
        });
    }

    [Test]
    public async Task IncrementAsync_32ConcurrentCallersWithSameKey_ExactlyOneRecorded()
    {
        var meter = CreateMeter();
        using var go = new ManualResetEventSlim();
        var callers = Enumerable.Range(0, 32)
            .Select(_ => Task.Run(() =>
            {
                go.Wait();
                return meter.IncrementAsync("acct", 3, idempotencyKey: "req-1");
            }))
            .ToArray();

        go.Set();
        var outcomes = await Task.WhenAll(callers);

        var total = await TotalAsync(meter, "acct");
        Assert.Multiple(() =>
        {
            Assert.That(outcomes.Count(o => o == IncrementOutcome.Recorded), Is.EqualTo(1));
            Assert.That(outcomes.Count(o => o == IncrementOutcome.Duplicate), Is.EqualTo(31));
            Assert.That(total, Is.EqualTo(3));
        });
    }

    [Test]
    public async Task WriteAsync_SameKeyTwiceInOneBatch_RecordedThenDuplicate()
    {
        var store = CreateStore();

        var statuses = await store.WriteAsync([Increment("acct", 4, "req-1"), Increment("acct", 4, "req-1")]);

        Assert.Multiple(() =>
        {
            Assert.That(statuses, Is.EqualTo(new[] { UsageWriteStatus.Recorded, UsageWriteStatus.Duplicate }));
            Assert.That(Database.CounterRows(), Is.EqualTo(new[] { $"acct | usage | {Start.ToUnixTimeSeconds()} | 4 | 0" }));
            Assert.That(Database.IdempotencyKeys(), Is.EqualTo(SqliteFile.Hashed("acct | usage | req-1")));
        });
    }

    [Test]
    public async Task WriteAsync_SameKeyOnOtherAccountOrMeterInOneBatch_EachCounts()
    {
        var store = CreateStore();

        var statuses = await store.WriteAsync(
        [
            Increment("acct", 1, "req-1"),
            Increment("other", 2, "req-1"),
            Increment("acct", 4, "req-1", ApiCalls),
        ]);

        Assert.Multiple(() =>
        {
            Assert.That(statuses, Is.All.EqualTo(UsageWriteStatus.Recorded));
            Assert.That(Database.IdempotencyKeys(), Is.EqualTo(SqliteFile.Hashed("acct | api_calls | req-1", "acct | usage | req-1", "other | usage | req-1")));
        });
    }

    [Test]
    public async Task IncrementAsync_SameKeyOnOtherAccountOrMeter_CountsSeparately()
    {
        var meter = CreateMeter();

        var outcomes = new[]
        {
            await meter.IncrementAsync("acct", 1, idempotencyKey: "req-1"),
            await meter.IncrementAsync("other", 2, idempotencyKey: "req-1"),
            await meter.IncrementAsync("acct", 4, ApiCalls, idempotencyKey: "req-1"),
            await meter.IncrementAsync("acct", 4, ApiCalls, idempotencyKey: "req-1"),
        };

        var totals = new[] { await TotalAsync(meter, "acct"), await TotalAsync(meter, "other"), await TotalAsync(meter, "acct", ApiCalls) };
        Assert.Multiple(() =>
        {
            Assert.That(outcomes, Is.EqualTo(new[] { IncrementOutcome.Recorded, IncrementOutcome.Recorded, IncrementOutcome.Recorded, IncrementOutcome.Duplicate }));
            Assert.That(totals, Is.EqualTo(new long[] { 1, 2, 4 }), "acct/usage, other/usage, acct/api_calls");
        });
    }

    [Test]
    public async Task IncrementAsync_SameKeyAfterStoreIsReopened_IsStillDuplicate()
    {
        var store = CreateStore();
        var meter = CreateMeter(store);
        Assert.That(await meter.IncrementAsync("acct", 2, idempotencyKey: "req-1"), Is.EqualTo(IncrementOutcome.Recorded));
        await meter.DisposeAsync();
        await store.DisposeAsync();

        var reopened = CreateMeter(CreateStore());
        var outcome = await reopened.IncrementAsync("acct", 2, idempotencyKey: "req-1");

        var total = await TotalAsync(reopened, "acct");
        Assert.Multiple(() =>
        {
            Assert.That(outcome, Is.EqualTo(IncrementOutcome.Duplicate));
            Assert.That(total, Is.EqualTo(2));
        });
    }

    [Test]
    public async Task IncrementAsync_KeyOlderThanRetention_IsPrunedAndCountsAgain()
    {
        var meter = CreateMeter(configure: o => o.IdempotencyKeyRetention = TimeSpan.FromDays(2));
        Assert.That(await meter.IncrementAsync("acct", 1, idempotencyKey: "req-1"), Is.EqualTo(IncrementOutcome.Recorded));

        Clock.Advance(TimeSpan.FromDays(2) + TimeSpan.FromMinutes(1));
        // The writer prunes after a batch commits, so one more batch is needed before the old key is gone.
        await meter.IncrementAsync("trigger");
        var again = await meter.IncrementAsync("acct", 1, idempotencyKey: "req-1");

        var total = await TotalAsync(meter, "acct");
        Assert.Multiple(() =>
        {
            Assert.That(again, Is.EqualTo(IncrementOutcome.Recorded));
            Assert.That(total, Is.EqualTo(2));
        });
    }

    [Test]
    public async Task IncrementAsync_KeyYoungerThanRetention_IsKeptAfterPrune()
    {
        var meter = CreateMeter(configure: o => o.IdempotencyKeyRetention = TimeSpan.FromDays(2));
        Assert.That(await meter.IncrementAsync("acct", 1, idempotencyKey: "req-1"), Is.EqualTo(IncrementOutcome.Recorded));

        // Past the writer's 10-minute prune interval, but inside the retention.
        Clock.Advance(TimeSpan.FromDays(2) - TimeSpan.FromMinutes(1));
        await meter.IncrementAsync("trigger");
        var again = await meter.IncrementAsync("acct", 1, idempotencyKey: "req-1");

        var total = await TotalAsync(meter, "acct");
        Assert.Multiple(() =>
        {
            Assert.That(again, Is.EqualTo(IncrementOutcome.Duplicate));
            Assert.That(total, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task PruneIdempotencyKeysAsync_MaxKeys_DeletesOnlyOlderKeysInSlices()
    {
        var store = CreateStore();
        var oldKeys = Enumerable.Range(0, 10).Select(i => Increment("acct", 1, $"old-{i}")).ToList();
        await store.WriteAsync(oldKeys);
        Clock.Advance(TimeSpan.FromHours(1));
        var cutoff = Clock.GetUtcNow();
        // A key recorded exactly at the cutoff is not older than it, so it stays.
        await store.WriteAsync([Increment("acct", 1, "at-cutoff"), Increment("acct", 1, "new", ApiCalls)]);

        var slices = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            slices.Add(await store.PruneIdempotencyKeysAsync(cutoff, maxKeys: 4));
        }

        var rewritten = await store.WriteAsync([.. oldKeys, Increment("acct", 1, "at-cutoff"), Increment("acct", 1, "new", ApiCalls)]);
        Assert.Multiple(() =>
        {
            Assert.That(slices, Is.EqualTo(new[] { 4, 4, 2, 0 }));
            Assert.That(rewritten.Take(10), Is.All.EqualTo(UsageWriteStatus.Recorded), "pruned keys count again");
            Assert.That(rewritten.Skip(10), Is.All.EqualTo(UsageWriteStatus.Duplicate), "kept keys are still duplicates");
        });
    }

    [Test]
    public void PruneIdempotencyKeysAsync_MaxKeysBelowOne_Throws()
    {
        var store = CreateStore();

        var ex = Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.PruneIdempotencyKeysAsync(Start, maxKeys: 0));

        Assert.That(ex.ParamName, Is.EqualTo("maxKeys"));
    }
}
