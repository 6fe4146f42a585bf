namespace Gravity.Usage.Testing.Contract;

/// <summary>Reads: buckets whose start is in [from, to), meters in ordinal order, and pruning keys in slices.</summary>
internal sealed class ReadCases(ContractRun run) : ContractSteps(run)
{
    public static IEnumerable<UsageStoreContractCase> All =>
    [
        Case<ReadCases>("GetTotalsAsync_RangeBoundaries_IncludeBucketsStartingInFromToExclusive", c => c.RangeBoundariesAsync()),
        Case<ReadCases>("GetTotalsAsync_AllMeters_OrderedByOrdinalNameAndSeparatedByAccount", c => c.AllMetersAsync()),
        Case<ReadCases>("GetSeriesAsync_SeveralBuckets_ReturnsThoseWithUsageInTimeOrder", c => c.SeriesAsync()),
        Case<ReadCases>("PruneIdempotencyKeysAsync_KeysRecordedBeforeTheInstant_AreDeletedInSlices", c => c.PruneInSlicesAsync()),
    ];

    private async Task RangeBoundariesAsync()
    {
        await Store.Ledger.WriteAsync(
        [
            Increment("acct", 1, bucketStart: Start - Hour),
            Increment("acct", 10, bucketStart: Start),
            Increment("acct", 100, bucketStart: Start + Hour),
            Increment("acct", 1000, bucketStart: Start + (2 * Hour)),
        ], Cancellation);

        var exact = await Store.Ledger.GetTotalsAsync("acct", Start, Start + (2 * Hour), Usage, Cancellation);
        var fromJustAfterStart = await Store.Ledger.GetTotalsAsync("acct", Start.AddTicks(1), Start + (2 * Hour), Usage, Cancellation);
        var toJustAfterLast = await Store.Ledger.GetTotalsAsync("acct", Start, Start + (2 * Hour) + TimeSpan.FromTicks(1), null, Cancellation);
        var empty = await Store.Ledger.GetTotalsAsync("acct", Start + (3 * Hour), Start + (4 * Hour), Usage, Cancellation);

        Check.Equal(new[] { new MeterUsage(Usage, 110) { PendingQuantity = 110 } }, exact, "totals of [start, start + 2 h)");
        Check.Equal(new[] { new MeterUsage(Usage, 100) { PendingQuantity = 100 } }, fromJustAfterStart, "totals from a tick after start: a bucket starting before from is out");
        Check.Equal(new[] { new MeterUsage(Usage, 1110) { PendingQuantity = 1110 } }, toJustAfterLast, "totals to a tick after the last bucket's start");
        Check.Empty(empty, "totals of a range without usage");
    }

    private async Task AllMetersAsync()
    {
        await Store.Ledger.WriteAsync([Increment("acct", 1, meter: "alpha"), Increment("acct", 2, meter: "Zeta"), Increment("acct", 3, meter: "_x"), Increment("other", 4, meter: "alpha")], Cancellation);

        var totals = await Store.Ledger.GetTotalsAsync("acct", Start, Start + Hour, null, Cancellation);

        Check.Equal(new[] { new MeterUsage("Zeta", 2) { PendingQuantity = 2 }, new MeterUsage("_x", 3) { PendingQuantity = 3 }, new MeterUsage("alpha", 1) { PendingQuantity = 1 } }, totals, "totals of every meter");
    }

    private async Task SeriesAsync()
    {
        await Store.Ledger.WriteAsync(
        [
            Increment("acct", 7, bucketStart: Start + (2 * Hour)),
            Increment("acct", 5, bucketStart: Start),
            Increment("acct", 9, bucketStart: Start + (5 * Hour)),
            Increment("acct", 1, meter: Tokens, bucketStart: Start + Hour),
        ], Cancellation);

        var series = await Store.Ledger.GetSeriesAsync("acct", Start, Start + (5 * Hour), Usage, Cancellation);

        Check.Equal(new[] { new UsageBucket(Start, 5, 0), new UsageBucket(Start + (2 * Hour), 7, 0) }, series, "series");
    }

    private async Task PruneInSlicesAsync()
    {
        for (var i = 0; i < 5; i++)
        {
            await Store.Ledger.WriteAsync([Increment("acct", 1, $"old-{i}")], Cancellation);
        }

        Clock.Advance(TimeSpan.FromDays(2));
        await Store.Ledger.WriteAsync([Increment("acct", 1, "new")], Cancellation);
        var cutoff = Start + TimeSpan.FromDays(1);

        var first = await Store.Ledger.PruneIdempotencyKeysAsync(cutoff, 2, Cancellation);
        var second = await Store.Ledger.PruneIdempotencyKeysAsync(cutoff, 10, Cancellation);
        var third = await Store.Ledger.PruneIdempotencyKeysAsync(cutoff, 10, Cancellation);
        var reused = await Store.Ledger.WriteAsync([Increment("acct", 1, "old-0"), Increment("acct", 1, "new")], Cancellation);

        Check.Equal((2, 3, 0), (first, second, third), "keys pruned by three slices");
        Check.Equal(new[] { UsageWriteStatus.Recorded, UsageWriteStatus.Duplicate }, reused, "statuses: a pruned key counts again; a kept one does not");
        Check.Equal(7L, await TotalAsync("acct"), "total");
    }
}
