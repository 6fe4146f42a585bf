namespace Gravity.Usage.IntegrationTests.Contract;

/// <summary>Closing counters into reports: deltas, identifiers that depend only on the history, skipped reports.</summary>
public sealed partial class UsageStoreContractTests<TFixture>
{
    [Test]
    public async Task GetUnreportedAsync_FiltersByBucketStartAndAccount_OldestFirstUpToTheLimit()
    {
        await Store.Ledger.WriteAsync(
        [
            Increment("acct", 1, bucketStart: Start + (2 * Hour)),
            Increment("acct", 1, bucketStart: Start),
            Increment("other", 1, bucketStart: Start + Hour),
            Increment("acct", 1, bucketStart: Start + (3 * Hour)),
        ]);
        await CloseAsync("acct", bucketStart: Start + (3 * Hour));

        var all = await Store.Reports.GetUnreportedAsync(Start + (4 * Hour), null, 10);
        var before = await Store.Reports.GetUnreportedAsync(Start + (2 * Hour), null, 10);
        var ofAcct = await Store.Reports.GetUnreportedAsync(Start + (4 * Hour), "acct", 10);
        var limited = await Store.Reports.GetUnreportedAsync(Start + (4 * Hour), null, 2);

        Assert.Multiple(() =>
        {
            Assert.That(all.Select(u => (u.Account, u.BucketStart)), Is.EqualTo(new[] { ("acct", Start), ("other", Start + Hour), ("acct", Start + (2 * Hour)) }));
            Assert.That(before.Select(u => u.BucketStart), Is.EqualTo(new[] { Start, Start + Hour }), "buckets starting before the instant only");
            Assert.That(ofAcct.Select(u => u.BucketStart), Is.EqualTo(new[] { Start, Start + (2 * Hour) }));
            Assert.That(limited, Has.Count.EqualTo(2));
            Assert.That(all.Select(u => u.Meter), Is.All.EqualTo(Usage));
        });
    }

    [Test]
    public async Task CloseAsync_GrowthAfterAClose_ProducesADeltaReportWithIdentifiersThatDependOnlyOnTheHistory()
    {
        await Store.Ledger.WriteAsync([Increment("acct", 5)]);
        var first = await CloseAsync("acct");
        await Store.Ledger.WriteAsync([Increment("acct", 3)]);
        Clock.Advance(TimeSpan.FromMinutes(1));
        var second = await CloseAsync("acct");
        var third = await CloseAsync("acct");

        var expected = (First: await IdentifierAsync("acct", Usage, Start, 0, 5), Second: await IdentifierAsync("acct", Usage, Start, 5, 3));
        var totals = await Store.Ledger.GetTotalsAsync("acct", Start, Start + Hour, Usage);
        Assert.Multiple(async () =>
        {
            Assert.That(first.Select(r => (r.Quantity, r.Status)), Is.EqualTo(new[] { (5L, UsageReportStatus.Pending) }));
            Assert.That(second.Select(r => (r.Quantity, r.Status)), Is.EqualTo(new[] { (3L, UsageReportStatus.Pending) }));
            Assert.That(third, Is.Empty, "nothing new to close");

            // Derived the same way on every provider, from the ledger's own id.
            Assert.That(first[0].Identifier, Is.EqualTo(expected.First));
            Assert.That(second[0].Identifier, Is.EqualTo(expected.Second));
            Assert.That(second[0].CreatedAt, Is.EqualTo(Start.AddMinutes(1)));
            Assert.That(second[0].NextAttemptAt, Is.EqualTo(Start.AddMinutes(1)), "due at once");
            Assert.That(totals, Is.EqualTo(new[] { new MeterUsage(Usage, 8) { PendingQuantity = 8 } }));
            Assert.That(await ReportsAsync(), Has.Count.EqualTo(2));
        });
    }

    [Test]
    public async Task CloseAsync_WithASkipReason_StoresASkippedReportWithTheReason()
    {
        await Store.Ledger.WriteAsync([Increment("acct", 5)]);

        var closed = await CloseAsync("acct", skipReason: "free plan");

        Assert.Multiple(async () =>
        {
            Assert.That(closed.Select(r => (r.Status, r.LastError, r.Quantity)), Is.EqualTo(new[] { (UsageReportStatus.Skipped, (string?)"free plan", 5L) }));
            Assert.That(await Store.Reports.ClaimDueAsync(new ReportClaim("me", Start + Hour, Start + (2 * Hour), 10)), Is.Empty, "skipped reports are never sent");
        });
    }

    [Test]
    public async Task CloseAsync_ApplyStoredPlan_ReadsThePlanInsideTheClose()
    {
        await Store.Accounts.SaveAccountAsync(new UsageAccount("free") { Billable = false });
        await Store.Accounts.SaveAccountAsync(new UsageAccount("paid") { StripeCustomerId = "cus_1" });
        await Store.Ledger.WriteAsync([Increment("free", 1), Increment("paid", 2), Increment("unknown", 3)]);

        var closed = await Store.Reports.CloseAsync(
            new[] { "free", "paid", "unknown" }.Select(a => new ReportClosing(a, Usage, Start, Start + Hour, "ignored") { ApplyStoredPlan = true }).ToList(),
            Start);

        Assert.That(
            closed.Select(r => (r.Account, r.Status, r.LastError)),
            Is.EqualTo(new[] { ("free", UsageReportStatus.Skipped, (string?)BillingPlan.NotBillable), ("paid", UsageReportStatus.Pending, null), ("unknown", UsageReportStatus.Pending, null) }));
    }

    [Test]
    public async Task CloseAsync_TwoStoresClosingTheSameCountersAtOnce_ReportEveryUnitOnce()
    {
        var closers = Enumerable.Range(0, 4).Select(_ => Fixture.CreateStore(Clock)).ToList();
        var closings = Enumerable.Range(0, 20).Select(i => new ReportClosing($"acct{i}", Usage, Start, Start + Hour, null)).ToList();
        await Store.Ledger.WriteAsync(closings.Select(c => Increment(c.Account, 7)).ToList());

        var closed = await Task.WhenAll(closers.Select(c => Task.Run(() => c.Reports.CloseAsync(closings, Start))));

        var reports = await ReportsAsync();
        Assert.Multiple(() =>
        {
            Assert.That(closed.Sum(c => c.Count), Is.EqualTo(20));
            Assert.That(reports.Sum(r => r.Quantity), Is.EqualTo(20 * 7));
            Assert.That(reports.Select(r => r.Identifier), Is.Unique);
        });
    }

    /// <summary>gu_ + SHA-256 of "4:acct|5:usage|1741600800|0", computed independently of the library.</summary>
}
