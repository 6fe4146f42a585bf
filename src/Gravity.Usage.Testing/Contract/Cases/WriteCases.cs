namespace Gravity.Usage.Testing.Contract;

/// <summary>Group commit: one status per increment, idempotency keys (also within a batch), the overflow guard.</summary>
internal sealed class WriteCases(ContractRun run) : ContractSteps(run)
{
    public static IEnumerable<UsageStoreContractCase> All =>
    [
        Case<WriteCases>("WriteAsync_IncrementsOnSeveralCounters_RecordsEachAndFoldsTheSameCounter", c => c.SeveralCountersAsync()),
        Case<WriteCases>("WriteAsync_KeyStoredByAnEarlierBatch_IsDuplicateAndNotCounted", c => c.KeyOfAnEarlierBatchAsync()),
        Case<WriteCases>("WriteAsync_SameKeyTwiceInOneBatch_FirstRecordedThenDuplicate_ButOtherAccountsAndMetersCount", c => c.SameKeyTwiceInOneBatchAsync()),
        Case<WriteCases>("WriteAsync_FoldedSumWouldOverflow_RefusesOnlyTheIncrementThatOverflowsAndReleasesItsKey", c => c.FoldedSumWouldOverflowAsync()),
        Case<WriteCases>("WriteAsync_BatchSumPassesMaxCounterQuantityOnAFreshCounter_RefusesTheIncrementThatOverflows", c => c.BatchSumOverflowsAsync()),
        Case<WriteCases>("WriteAsync_RepeatOfAKeyWhoseFirstUseOverflowed_IsRecordedAsAFirstUse", c => c.RepeatAfterOverflowAsync()),
        Case<WriteCases>("WriteAsync_RepeatOfAKeyWhoseFirstUseOverflowedAndItselfOverflows_IsRefusedAndKeyReleased", c => c.RepeatThatOverflowsAsync()),
        Case<WriteCases>("WriteAsync_SqlLookingAndUnicodeNames_AreKeptVerbatim", c => c.NamesKeptVerbatimAsync()),
        Case<WriteCases>("WriteAsync_ManyConcurrentBatchesFromSeveralStores_TotalsAreExact", c => c.ConcurrentBatchesAsync()),
        Case<WriteCases>("WriteAsync_NewRecordedBeforeConflictingRepeatedMultiMeterAndOverflowingCallsInOneBatch_EachCallGetsItsStatus", c => c.MixedBatchAsync()),
        Case<WriteCases>("WriteAsync_SameKeyedBatchTwice_SecondIsAllDuplicatesAndCountsNothing", c => c.SameKeyedBatchTwiceAsync()),
    ];

    // Fingerprints of two calls that differ in their quantities (the bits a fingerprint keeps them in).
    private const long OneCall = 1L << 20;
    private const long AnotherCall = 2L << 20;

    private async Task SeveralCountersAsync()
    {
        var statuses = await Store.Ledger.WriteAsync(
        [
            Increment("acct", 2),
            Increment("acct", 3),
            Increment("acct", 4, meter: Tokens),
            Increment("other", 5),
            Increment("acct", 6, bucketStart: Start + Hour),
        ], Cancellation);

        var series = await Store.Ledger.GetSeriesAsync("acct", Start, Start + (2 * Hour), Usage, Cancellation);
        Check.Equal(Enumerable.Repeat(UsageWriteStatus.Recorded, 5), statuses, "statuses");
        Check.Equal(new[] { new UsageBucket(Start, 5, 0), new UsageBucket(Start + Hour, 6, 0) }, series, "series of acct: the same counter folded");
        Check.Equal(4L, await TotalAsync("acct", Tokens), "total of acct on tokens");
        Check.Equal(5L, await TotalAsync("other"), "total of other");
    }

    private async Task KeyOfAnEarlierBatchAsync()
    {
        await Store.Ledger.WriteAsync([Increment("acct", 5, "req-1")], Cancellation);

        var statuses = await Store.Ledger.WriteAsync([Increment("acct", 5, "req-1"), Increment("acct", 1, "req-2")], Cancellation);

        Check.Equal(new[] { UsageWriteStatus.Duplicate, UsageWriteStatus.Recorded }, statuses, "statuses of the second batch");
        Check.Equal(6L, await TotalAsync("acct"), "total");
    }

    private async Task SameKeyTwiceInOneBatchAsync()
    {
        var statuses = await Store.Ledger.WriteAsync(
        [
            Increment("acct", 4, "req-1"),
            Increment("acct", 7, "req-1"),
            Increment("other", 2, "req-1"),
            Increment("acct", 3, "req-1", meter: Tokens),
        ], Cancellation);

        Check.Equal(new[] { UsageWriteStatus.Recorded, UsageWriteStatus.Duplicate, UsageWriteStatus.Recorded, UsageWriteStatus.Recorded }, statuses, "statuses");
        Check.Equal(4L, await TotalAsync("acct"), "total of acct: the first occurrence wins");
        Check.Equal(2L, await TotalAsync("other"), "total of other");
        Check.Equal(3L, await TotalAsync("acct", Tokens), "total of acct on tokens");
    }

    private async Task FoldedSumWouldOverflowAsync()
    {
        await Store.Ledger.WriteAsync([Increment("acct", Cap - 10)], Cancellation);

        var statuses = await Store.Ledger.WriteAsync([Increment("acct", 4, "a"), Increment("acct", 8, "b"), Increment("acct", 3, "c"), Increment("other", 1, "b")], Cancellation);
        var totalAfterBatch = await TotalAsync("acct");
        var retry = await Store.Ledger.WriteAsync([Increment("acct", 3, "b")], Cancellation);

        Check.Equal(new[] { UsageWriteStatus.Recorded, UsageWriteStatus.WouldOverflow, UsageWriteStatus.Recorded, UsageWriteStatus.Recorded }, statuses, "statuses");
        Check.Equal(Cap - 3, totalAfterBatch, "total after the batch");
        Check.Equal(new[] { UsageWriteStatus.Recorded }, retry, "a retry of the refused increment's key: the key was released");
        Check.Equal(Cap, await TotalAsync("acct"), "total after the retry");
        Check.Equal(1L, await TotalAsync("other"), "total of other");
    }

    private async Task BatchSumOverflowsAsync()
    {
        var half = (Cap / 2) + 1;

        var statuses = await Store.Ledger.WriteAsync([Increment("acct", half), Increment("acct", half), Increment("acct", 5)], Cancellation);

        Check.Equal(new[] { UsageWriteStatus.Recorded, UsageWriteStatus.WouldOverflow, UsageWriteStatus.Recorded }, statuses, "statuses");
        Check.Equal(half + 5, await TotalAsync("acct"), "total");
    }

    private async Task RepeatAfterOverflowAsync()
    {
        await Store.Ledger.WriteAsync([Increment("acct", Cap - 5)], Cancellation);

        var statuses = await Store.Ledger.WriteAsync([Increment("acct", 10, "k"), Increment("acct", 5, "k"), Increment("acct", 5, "k")], Cancellation);
        var again = await Store.Ledger.WriteAsync([Increment("acct", 1, "k")], Cancellation);

        Check.Equal(new[] { UsageWriteStatus.WouldOverflow, UsageWriteStatus.Recorded, UsageWriteStatus.Duplicate }, statuses, "statuses");
        Check.Equal(new[] { UsageWriteStatus.Duplicate }, again, "a later use of the key: the repeat's key is stored");
        Check.Equal(Cap, await TotalAsync("acct"), "total");
    }

    private async Task RepeatThatOverflowsAsync()
    {
        await Store.Ledger.WriteAsync([Increment("acct", Cap - 5)], Cancellation);

        var statuses = await Store.Ledger.WriteAsync([Increment("acct", 10, "k"), Increment("acct", 9, "k")], Cancellation);
        var later = await Store.Ledger.WriteAsync([Increment("acct", 2, "k")], Cancellation);

        Check.Equal(new[] { UsageWriteStatus.WouldOverflow, UsageWriteStatus.WouldOverflow }, statuses, "statuses");
        Check.Equal(new[] { UsageWriteStatus.Recorded }, later, "a later use of the released key");
        Check.Equal(Cap - 3, await TotalAsync("acct"), "total");
    }

    private async Task NamesKeptVerbatimAsync()
    {
        const string account = "o'brien\"; DROP TABLE usage_counter; --";
        const string meter = "名前 ✓ ü 🚀";
        const string key = "%_\\'🔑";

        var first = await Store.Ledger.WriteAsync([Increment(account, 3, key, meter)], Cancellation);
        var second = await Store.Ledger.WriteAsync([Increment(account, 3, key, meter)], Cancellation);

        var totals = await Store.Ledger.GetTotalsAsync(account, Start, Start + Hour, null, Cancellation);
        var series = await Store.Ledger.GetSeriesAsync(account, Start, Start + Hour, meter, Cancellation);
        Check.Equal(new[] { UsageWriteStatus.Recorded, UsageWriteStatus.Duplicate }, first.Concat(second), "statuses of a write and its retry");
        Check.Equal(new[] { new MeterUsage(meter, 3) { PendingQuantity = 3 } }, totals, "totals");
        Check.Equal(new[] { new UsageBucket(Start, 3, 0) }, series, "series");
        Check.Empty(await Store.Ledger.GetTotalsAsync("o'brien", Start, Start + Hour, null, Cancellation), "totals of the account's prefix");
    }

    private async Task ConcurrentBatchesAsync()
    {
        var stores = Enumerable.Range(0, 4).Select(_ => OpenStore()).ToList();
        var writes = Enumerable.Range(0, 40).Select(i => Task.Run(() => stores[i % stores.Count].Ledger.WriteAsync(
            Enumerable.Range(0, 25).Select(j => Increment($"acct{j % 5}", 1, key: $"k{i}-{j % 20}", meter: j % 2 == 0 ? Usage : Tokens)).ToList(), Cancellation)));

        var statuses = (await Task.WhenAll(writes)).SelectMany(s => s).ToList();

        var totals = new List<long>();
        for (var a = 0; a < 5; a++)
        {
            totals.Add(await TotalAsync($"acct{a}") + await TotalAsync($"acct{a}", Tokens));
        }

        Check.Equal(40 * 20, statuses.Count(s => s == UsageWriteStatus.Recorded), "increments recorded");
        Check.Equal(40L * 20, totals.Sum(), "sum of the totals");
    }

    /// <summary>
    /// Every kind of call in one batch: a store that takes a fast path for the common batch (PostgreSQL sends it in one
    /// round trip) must still give each call the status it would get alone.
    /// </summary>
    private async Task MixedBatchAsync()
    {
        await Store.Ledger.WriteAsync(
        [
            Increment("acct", 3, key: "seen") with { Fingerprint = OneCall },
            Increment("acct", 3, key: "seen-other") with { Fingerprint = OneCall },
            Increment("full", Cap - 5),
            Increment("full", Cap - 5, meter: Tokens),
        ], Cancellation);

        var statuses = await Store.Ledger.WriteAsync(
        [
            Increment("acct", 1, key: "new-1") with { Fingerprint = OneCall },                       // new
            Increment("acct", 2, key: "seen") with { Fingerprint = OneCall },                        // recorded before, same call
            Increment("acct", 4, key: "seen-other") with { Fingerprint = AnotherCall },              // recorded before, another call
            Increment("acct", 1, key: "new-1") with { Fingerprint = OneCall },                       // repeats the first in the batch
            Increment("full", 1, key: "call", meter: ApiCalls) with { PartIndex = 0, PartCount = 2 }, // one part of the call overflows
            Increment("full", 6, key: "call", meter: Tokens) with { PartIndex = 1, PartCount = 2 },
            Increment("full", 10),                                                                   // overflows alone
            Increment("acct", 16),                                                                   // no key
            Increment("acct", 32, key: "new-2"),                                                     // new
        ], Cancellation);
        var retry = await Store.Ledger.WriteAsync([Increment("full", 1, key: "call", meter: ApiCalls)], Cancellation);

        Check.Equal(
            new[]
            {
                UsageWriteStatus.Recorded, UsageWriteStatus.Duplicate, UsageWriteStatus.Conflict, UsageWriteStatus.Duplicate,
                UsageWriteStatus.WouldOverflow, UsageWriteStatus.WouldOverflow, UsageWriteStatus.WouldOverflow,
                UsageWriteStatus.Recorded, UsageWriteStatus.Recorded,
            },
            statuses,
            "statuses");
        Check.Equal(3L + 3 + 1 + 16 + 32, await TotalAsync("acct"), "total of acct: only the recorded calls counted");
        Check.Equal(new[] { UsageWriteStatus.Recorded }, retry, "a retry of the refused call's key: the key was released");
        Check.Equal(1L, await TotalAsync("full", ApiCalls), "total of full on api_calls: the refused call's part taken back, then the retry");
        Check.Equal(Cap - 5, await TotalAsync("full", Tokens), "total of full on tokens");
    }

    private async Task SameKeyedBatchTwiceAsync()
    {
        var batch = Enumerable.Range(0, 40).Select(i => Increment($"a{i % 3}", 1 + i, key: $"k-{i}")).ToArray();

        var first = await Store.Ledger.WriteAsync(batch, Cancellation);
        var second = await Store.Ledger.WriteAsync(batch, Cancellation);

        Check.Equal(Enumerable.Repeat(UsageWriteStatus.Recorded, 40), first, "statuses of the first batch");
        Check.Equal(Enumerable.Repeat(UsageWriteStatus.Duplicate, 40), second, "statuses of the second batch");
        Check.Equal((long)Enumerable.Range(1, 40).Sum(), await TotalAsync("a0") + await TotalAsync("a1") + await TotalAsync("a2"), "totals");
    }
}
