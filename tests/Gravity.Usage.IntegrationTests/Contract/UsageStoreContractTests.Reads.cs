namespace Gravity.Usage.IntegrationTests.Contract;

/// <summary>Reads: buckets whose start is in [from, to), meters in ordinal order, and pruning keys in slices.</summary>
public sealed partial class UsageStoreContractTests<TFixture>
{
    [Test]
    public async Task GetTotalsAsync_RangeBoundaries_IncludeBucketsStartingInFromToExclusive()
    {
        await Store.Ledger.WriteAsync(
        [
            Increment("acct", 1, bucketStart: Start - Hour),
            Increment("acct", 10, bucketStart: Start),
            Increment("acct", 100, bucketStart: Start + Hour),
            Increment("acct", 1000, bucketStart: Start + (2 * Hour)),
        ]);

        var exact = await Store.Ledger.GetTotalsAsync("acct", Start, Start + (2 * Hour), Usage);
        var fromJustAfterStart = await Store.Ledger.GetTotalsAsync("acct", Start.AddTicks(1), Start + (2 * Hour), Usage);
        var toJustAfterLast = await Store.Ledger.GetTotalsAsync("acct", Start, Start + (2 * Hour) + TimeSpan.FromTicks(1), null);
        var empty = await Store.Ledger.GetTotalsAsync("acct", Start + (3 * Hour), Start + (4 * Hour), Usage);

        Assert.Multiple(() =>
        {
            Assert.That(exact, Is.EqualTo(new[] { new MeterUsage(Usage, 110) { PendingQuantity = 110 } }));
            Assert.That(fromJustAfterStart, Is.EqualTo(new[] { new MeterUsage(Usage, 100) { PendingQuantity = 100 } }), "a bucket starting before from is out");
            Assert.That(toJustAfterLast, Is.EqualTo(new[] { new MeterUsage(Usage, 1110) { PendingQuantity = 1110 } }));
            Assert.That(empty, Is.Empty);
        });
    }

    [Test]
    public async Task GetTotalsAsync_AllMeters_OrderedByOrdinalNameAndSeparatedByAccount()
    {
        await Store.Ledger.WriteAsync([Increment("acct", 1, meter: "alpha"), Increment("acct", 2, meter: "Zeta"), Increment("acct", 3, meter: "_x"), Increment("other", 4, meter: "alpha")]);

        var totals = await Store.Ledger.GetTotalsAsync("acct", Start, Start + Hour, null);

        Assert.That(totals, Is.EqualTo(new[] { new MeterUsage("Zeta", 2) { PendingQuantity = 2 }, new MeterUsage("_x", 3) { PendingQuantity = 3 }, new MeterUsage("alpha", 1) { PendingQuantity = 1 } }));
    }

    [Test]
    public async Task GetSeriesAsync_SeveralBuckets_ReturnsThoseWithUsageInTimeOrder()
    {
        await Store.Ledger.WriteAsync(
        [
            Increment("acct", 7, bucketStart: Start + (2 * Hour)),
            Increment("acct", 5, bucketStart: Start),
            Increment("acct", 9, bucketStart: Start + (5 * Hour)),
            Increment("acct", 1, meter: "tokens", bucketStart: Start + Hour),
        ]);

        var series = await Store.Ledger.GetSeriesAsync("acct", Start, Start + (5 * Hour), Usage);

        Assert.That(series, Is.EqualTo(new[] { new UsageBucket(Start, 5, 0), new UsageBucket(Start + (2 * Hour), 7, 0) }));
    }

    [Test]
    public async Task PruneIdempotencyKeysAsync_KeysRecordedBeforeTheInstant_AreDeletedInSlices()
    {
        for (var i = 0; i < 5; i++)
        {
            await Store.Ledger.WriteAsync([Increment("acct", 1, $"old-{i}")]);
        }

        Clock.Advance(TimeSpan.FromDays(2));
        await Store.Ledger.WriteAsync([Increment("acct", 1, "new")]);
        var cutoff = Start + TimeSpan.FromDays(1);

        var first = await Store.Ledger.PruneIdempotencyKeysAsync(cutoff, 2);
        var second = await Store.Ledger.PruneIdempotencyKeysAsync(cutoff, 10);
        var third = await Store.Ledger.PruneIdempotencyKeysAsync(cutoff, 10);
        var reused = await Store.Ledger.WriteAsync([Increment("acct", 1, "old-0"), Increment("acct", 1, "new")]);

        Assert.Multiple(async () =>
        {
            Assert.That((first, second, third), Is.EqualTo((2, 3, 0)));
            Assert.That(reused, Is.EqualTo(new[] { UsageWriteStatus.Recorded, UsageWriteStatus.Duplicate }), "a pruned key counts again; a kept one does not");
            Assert.That(await TotalAsync("acct"), Is.EqualTo(7));
        });
    }
}
