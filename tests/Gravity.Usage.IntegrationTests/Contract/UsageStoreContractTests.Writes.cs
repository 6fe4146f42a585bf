namespace Gravity.Usage.IntegrationTests.Contract;

/// <summary>Group commit: one status per increment, idempotency keys (also within a batch), the overflow guard.</summary>
public sealed partial class UsageStoreContractTests<TFixture>
{
    [Test]
    public async Task WriteAsync_IncrementsOnSeveralCounters_RecordsEachAndFoldsTheSameCounter()
    {
        var statuses = await Store.Ledger.WriteAsync(
        [
            Increment("acct", 2),
            Increment("acct", 3),
            Increment("acct", 4, meter: "tokens"),
            Increment("other", 5),
            Increment("acct", 6, bucketStart: Start + Hour),
        ]);

        var series = await Store.Ledger.GetSeriesAsync("acct", Start, Start + (2 * Hour), Usage);
        Assert.Multiple(async () =>
        {
            Assert.That(statuses, Is.EqualTo(Enumerable.Repeat(UsageWriteStatus.Recorded, 5)));
            Assert.That(series, Is.EqualTo(new[] { new UsageBucket(Start, 5, 0), new UsageBucket(Start + Hour, 6, 0) }));
            Assert.That(await TotalAsync("acct", "tokens"), Is.EqualTo(4));
            Assert.That(await TotalAsync("other"), Is.EqualTo(5));
        });
    }

    [Test]
    public async Task WriteAsync_KeyStoredByAnEarlierBatch_IsDuplicateAndNotCounted()
    {
        await Store.Ledger.WriteAsync([Increment("acct", 5, "req-1")]);

        var statuses = await Store.Ledger.WriteAsync([Increment("acct", 5, "req-1"), Increment("acct", 1, "req-2")]);

        Assert.Multiple(async () =>
        {
            Assert.That(statuses, Is.EqualTo(new[] { UsageWriteStatus.Duplicate, UsageWriteStatus.Recorded }));
            Assert.That(await TotalAsync("acct"), Is.EqualTo(6));
        });
    }

    [Test]
    public async Task WriteAsync_SameKeyTwiceInOneBatch_FirstRecordedThenDuplicate_ButOtherAccountsAndMetersCount()
    {
        var statuses = await Store.Ledger.WriteAsync(
        [
            Increment("acct", 4, "req-1"),
            Increment("acct", 7, "req-1"),
            Increment("other", 2, "req-1"),
            Increment("acct", 3, "req-1", meter: "tokens"),
        ]);

        Assert.Multiple(async () =>
        {
            Assert.That(statuses, Is.EqualTo(new[] { UsageWriteStatus.Recorded, UsageWriteStatus.Duplicate, UsageWriteStatus.Recorded, UsageWriteStatus.Recorded }));
            Assert.That(await TotalAsync("acct"), Is.EqualTo(4), "the first occurrence wins");
            Assert.That(await TotalAsync("other"), Is.EqualTo(2));
            Assert.That(await TotalAsync("acct", "tokens"), Is.EqualTo(3));
        });
    }

    [Test]
    public async Task WriteAsync_FoldedSumWouldOverflow_RefusesOnlyTheIncrementThatOverflowsAndReleasesItsKey()
    {
        await Store.Ledger.WriteAsync([Increment("acct", UsageBillingOptions.MaxCounterQuantity - 10)]);

        var statuses = await Store.Ledger.WriteAsync([Increment("acct", 4, "a"), Increment("acct", 8, "b"), Increment("acct", 3, "c"), Increment("other", 1, "b")]);
        var totalAfterBatch = await TotalAsync("acct");
        var retry = await Store.Ledger.WriteAsync([Increment("acct", 3, "b")]);

        Assert.Multiple(async () =>
        {
            Assert.That(statuses, Is.EqualTo(new[] { UsageWriteStatus.Recorded, UsageWriteStatus.WouldOverflow, UsageWriteStatus.Recorded, UsageWriteStatus.Recorded }));
            Assert.That(totalAfterBatch, Is.EqualTo(UsageBillingOptions.MaxCounterQuantity - 3));
            Assert.That(retry, Is.EqualTo(new[] { UsageWriteStatus.Recorded }), "the refused increment's key was released");
            Assert.That(await TotalAsync("acct"), Is.EqualTo(UsageBillingOptions.MaxCounterQuantity));
            Assert.That(await TotalAsync("other"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task WriteAsync_BatchSumPassesMaxCounterQuantityOnAFreshCounter_RefusesTheIncrementThatOverflows()
    {
        var half = (UsageBillingOptions.MaxCounterQuantity / 2) + 1;

        var statuses = await Store.Ledger.WriteAsync([Increment("acct", half), Increment("acct", half), Increment("acct", 5)]);

        Assert.Multiple(async () =>
        {
            Assert.That(statuses, Is.EqualTo(new[] { UsageWriteStatus.Recorded, UsageWriteStatus.WouldOverflow, UsageWriteStatus.Recorded }));
            Assert.That(await TotalAsync("acct"), Is.EqualTo(half + 5));
        });
    }

    [Test]
    public async Task WriteAsync_RepeatOfAKeyWhoseFirstUseOverflowed_IsRecordedAsAFirstUse()
    {
        await Store.Ledger.WriteAsync([Increment("acct", UsageBillingOptions.MaxCounterQuantity - 5)]);

        var statuses = await Store.Ledger.WriteAsync([Increment("acct", 10, "k"), Increment("acct", 5, "k"), Increment("acct", 5, "k")]);
        var again = await Store.Ledger.WriteAsync([Increment("acct", 1, "k")]);

        Assert.Multiple(async () =>
        {
            Assert.That(statuses, Is.EqualTo(new[] { UsageWriteStatus.WouldOverflow, UsageWriteStatus.Recorded, UsageWriteStatus.Duplicate }));
            Assert.That(again, Is.EqualTo(new[] { UsageWriteStatus.Duplicate }), "the repeat's key is stored");
            Assert.That(await TotalAsync("acct"), Is.EqualTo(UsageBillingOptions.MaxCounterQuantity));
        });
    }

    [Test]
    public async Task WriteAsync_RepeatOfAKeyWhoseFirstUseOverflowedAndItselfOverflows_IsRefusedAndKeyReleased()
    {
        await Store.Ledger.WriteAsync([Increment("acct", UsageBillingOptions.MaxCounterQuantity - 5)]);

        var statuses = await Store.Ledger.WriteAsync([Increment("acct", 10, "k"), Increment("acct", 9, "k")]);
        var later = await Store.Ledger.WriteAsync([Increment("acct", 2, "k")]);

        Assert.Multiple(async () =>
        {
            Assert.That(statuses, Is.EqualTo(new[] { UsageWriteStatus.WouldOverflow, UsageWriteStatus.WouldOverflow }));
            Assert.That(later, Is.EqualTo(new[] { UsageWriteStatus.Recorded }));
            Assert.That(await TotalAsync("acct"), Is.EqualTo(UsageBillingOptions.MaxCounterQuantity - 3));
        });
    }

    [Test]
    public async Task WriteAsync_SqlLookingAndUnicodeNames_AreKeptVerbatim()
    {
        const string account = "o'brien\"; DROP TABLE usage_counter; --";
        const string meter = "名前 ✓ ü 🚀";
        const string key = "%_\\'🔑";

        var first = await Store.Ledger.WriteAsync([Increment(account, 3, key, meter)]);
        var second = await Store.Ledger.WriteAsync([Increment(account, 3, key, meter)]);

        var totals = await Store.Ledger.GetTotalsAsync(account, Start, Start + Hour, null);
        var series = await Store.Ledger.GetSeriesAsync(account, Start, Start + Hour, meter);
        Assert.Multiple(async () =>
        {
            Assert.That(first.Concat(second), Is.EqualTo(new[] { UsageWriteStatus.Recorded, UsageWriteStatus.Duplicate }));
            Assert.That(totals, Is.EqualTo(new[] { new MeterUsage(meter, 3) { PendingQuantity = 3 } }));
            Assert.That(series, Is.EqualTo(new[] { new UsageBucket(Start, 3, 0) }));
            Assert.That(await Store.Ledger.GetTotalsAsync("o'brien", Start, Start + Hour, null), Is.Empty);
        });
    }

    [Test]
    public async Task WriteAsync_ManyConcurrentBatchesFromSeveralStores_TotalsAreExact()
    {
        var stores = Enumerable.Range(0, 4).Select(_ => Fixture.CreateStore(Clock)).ToList();
        var writes = Enumerable.Range(0, 40).Select(i => Task.Run(() => stores[i % stores.Count].Ledger.WriteAsync(
            Enumerable.Range(0, 25).Select(j => Increment($"acct{j % 5}", 1, key: $"k{i}-{j % 20}", meter: j % 2 == 0 ? Usage : "tokens")).ToList())));

        var statuses = (await Task.WhenAll(writes)).SelectMany(s => s).ToList();

        var totals = new List<long>();
        for (var a = 0; a < 5; a++)
        {
            totals.Add(await TotalAsync($"acct{a}") + await TotalAsync($"acct{a}", "tokens"));
        }

        Assert.Multiple(() =>
        {
            Assert.That(statuses.Count(s => s == UsageWriteStatus.Recorded), Is.EqualTo(40 * 20));
            Assert.That(totals.Sum(), Is.EqualTo(40 * 20));
        });
    }
}
