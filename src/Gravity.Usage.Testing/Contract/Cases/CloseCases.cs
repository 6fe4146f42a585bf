namespace Gravity.Usage.Testing.Contract;

/// <summary>Closing counters into reports: deltas, identifiers that depend only on the history, skipped reports.</summary>
internal sealed class CloseCases(ContractRun run) : ContractSteps(run)
{
    public static IEnumerable<UsageStoreContractCase> All =>
    [
        Case<CloseCases>("GetUnreportedAsync_FiltersByBucketStartAndAccount_OldestFirstUpToTheLimit", c => c.UnreportedAsync()),
        Case<CloseCases>("CloseAsync_GrowthAfterAClose_ProducesADeltaReportWithIdentifiersThatDependOnlyOnTheHistory", c => c.GrowthAfterACloseAsync()),
        Case<CloseCases>("CloseAsync_WithASkipReason_StoresASkippedReportWithTheReason", c => c.SkipReasonAsync()),
        Case<CloseCases>("CloseAsync_ApplyStoredPlan_ReadsThePlanInsideTheClose", c => c.ApplyStoredPlanAsync()),
        Case<CloseCases>("CloseAsync_TwoStoresClosingTheSameCountersAtOnce_ReportEveryUnitOnce", c => c.ClosingAtOnceAsync()),
    ];

    private async Task UnreportedAsync()
    {
        await Store.Ledger.WriteAsync(
        [
            Increment("acct", 1, bucketStart: Start + (2 * Hour)),
            Increment("acct", 1, bucketStart: Start),
            Increment("other", 1, bucketStart: Start + Hour),
            Increment("acct", 1, bucketStart: Start + (3 * Hour)),
        ], Cancellation);
        await CloseAsync("acct", bucketStart: Start + (3 * Hour));

        var all = await Store.Reports.GetUnreportedAsync(Start + (4 * Hour), null, 10, Cancellation);
        var before = await Store.Reports.GetUnreportedAsync(Start + (2 * Hour), null, 10, Cancellation);
        var ofAcct = await Store.Reports.GetUnreportedAsync(Start + (4 * Hour), "acct", 10, Cancellation);
        var limited = await Store.Reports.GetUnreportedAsync(Start + (4 * Hour), null, 2, Cancellation);

        Check.Equal(new[] { ("acct", Start), ("other", Start + Hour), ("acct", Start + (2 * Hour)) }, all.Select(u => (u.Account, u.BucketStart)), "unreported counters, oldest first");
        Check.Equal(new[] { Start, Start + Hour }, before.Select(u => u.BucketStart), "unreported buckets starting before the instant");
        Check.Equal(new[] { Start, Start + (2 * Hour) }, ofAcct.Select(u => u.BucketStart), "unreported buckets of acct");
        Check.Equal(2, limited.Count, "unreported counters up to the limit");
        Check.All(all.Select(u => u.Meter), Usage, "meters of the unreported counters");
    }

    private async Task GrowthAfterACloseAsync()
    {
        await Store.Ledger.WriteAsync([Increment("acct", 5)], Cancellation);
        var first = await CloseAsync("acct");
        await Store.Ledger.WriteAsync([Increment("acct", 3)], Cancellation);
        Clock.Advance(TimeSpan.FromMinutes(1));
        var second = await CloseAsync("acct");
        var third = await CloseAsync("acct");

        var expected = (First: await IdentifierAsync("acct", Usage, Start, 0, 5), Second: await IdentifierAsync("acct", Usage, Start, 5, 3));
        var totals = await Store.Ledger.GetTotalsAsync("acct", Start, Start + Hour, Usage, Cancellation);
        Check.Equal(new[] { (5L, UsageReportStatus.Pending) }, first.Select(r => (r.Quantity, r.Status)), "the first close");
        Check.Equal(new[] { (3L, UsageReportStatus.Pending) }, second.Select(r => (r.Quantity, r.Status)), "the second close: the growth only");
        Check.Empty(third, "a third close: nothing new to close");

        // Derived the same way on every provider, from the ledger's own id.
        Check.Equal(expected.First, first[0].Identifier, "the first report's identifier (ReportIdentifier.Create from the ledger id)");
        Check.Equal(expected.Second, second[0].Identifier, "the second report's identifier (ReportIdentifier.Create from the ledger id)");
        Check.Equal(Start.AddMinutes(1), second[0].CreatedAt, "the second report's CreatedAt");
        Check.Equal(Start.AddMinutes(1), second[0].NextAttemptAt, "the second report's NextAttemptAt: due at once");
        Check.Equal(new[] { new MeterUsage(Usage, 8) { PendingQuantity = 8 } }, totals, "totals");
        Check.Equal(2, (await ReportsAsync()).Count, "reports stored");
    }

    private async Task SkipReasonAsync()
    {
        await Store.Ledger.WriteAsync([Increment("acct", 5)], Cancellation);

        var closed = await CloseAsync("acct", skipReason: "free plan");

        Check.Equal(new[] { (UsageReportStatus.Skipped, (string?)"free plan", 5L) }, closed.Select(r => (r.Status, r.LastError, r.Quantity)), "the close");
        Check.Empty(await Store.Reports.ClaimDueAsync(new ReportClaim("me", Start + Hour, Start + (2 * Hour), 10), Cancellation), "reports claimed: skipped reports are never sent");
    }

    private async Task ApplyStoredPlanAsync()
    {
        await Store.Accounts.SaveAccountAsync(new UsageAccount("free") { Billable = false }, Cancellation);
        await Store.Accounts.SaveAccountAsync(new UsageAccount("paid") { StripeCustomerId = "cus_1" }, Cancellation);
        await Store.Ledger.WriteAsync([Increment("free", 1), Increment("paid", 2), Increment("unknown", 3)], Cancellation);

        var closed = await Store.Reports.CloseAsync(
            new[] { "free", "paid", "unknown" }.Select(a => new ReportClosing(a, Usage, Start, Start + Hour, "ignored") { ApplyStoredPlan = true }).ToList(),
            Start,
            Cancellation);

        Check.Equal(
            new[] { ("free", UsageReportStatus.Skipped, (string?)BillingPlan.NotBillable), ("paid", UsageReportStatus.Pending, null), ("unknown", UsageReportStatus.Pending, null) },
            closed.Select(r => (r.Account, r.Status, r.LastError)),
            "the close under the stored plans");
    }

    private async Task ClosingAtOnceAsync()
    {
        var closers = Enumerable.Range(0, 4).Select(_ => OpenStore()).ToList();
        var closings = Enumerable.Range(0, 20).Select(i => new ReportClosing($"acct{i}", Usage, Start, Start + Hour, null)).ToList();
        await Store.Ledger.WriteAsync(closings.Select(c => Increment(c.Account, 7)).ToList(), Cancellation);

        var closed = await Task.WhenAll(closers.Select(c => Task.Run(() => c.Reports.CloseAsync(closings, Start, Cancellation))));

        var reports = await ReportsAsync();
        Check.Equal(20, closed.Sum(c => c.Count), "reports closed by the four stores together");
        Check.Equal(20L * 7, reports.Sum(r => r.Quantity), "quantity reported");
        Check.Unique(reports.Select(r => r.Identifier), "report identifiers");
    }
}
