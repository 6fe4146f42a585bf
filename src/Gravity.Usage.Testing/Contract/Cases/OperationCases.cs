namespace Gravity.Usage.Testing.Contract;

/// <summary>The operations reads: report counts by status (the tool's <c>status</c>) and the accounts of a Stripe customer (the invoice flush).</summary>
internal sealed class OperationCases(ContractRun run) : ContractSteps(run)
{
    public static IEnumerable<UsageStoreContractCase> All =>
    [
        Case<OperationCases>("CountReportsAsync_EmptyOutbox_CountsNothing", c => c.EmptyOutboxAsync()),
        Case<OperationCases>("CountReportsAsync_ReportsInEveryStatus_CountsEachAndFindsTheOldestPending", c => c.EveryStatusAsync()),
        Case<OperationCases>("FindAccountsAsync_ReturnsTheAccountsMappedToTheCustomer_Ordered", c => c.FindAccountsAsync()),
        Case<OperationCases>("FindAccountsAsync_EmptyCustomerId_IsRefusedNamingIt", c => c.RefusedCustomerIdAsync(string.Empty)),
        Case<OperationCases>("FindAccountsAsync_WhiteSpaceCustomerId_IsRefusedNamingIt", c => c.RefusedCustomerIdAsync("  ")),
        Case<OperationCases>("FindAccountsAsync_OverlongCustomerId_IsRefusedNamingIt", c => c.RefusedCustomerIdAsync("cus_" + new string('x', 300))),
    ];

    private async Task EmptyOutboxAsync()
    {
        var counts = await Store.Counts.CountReportsAsync(Cancellation);

        Check.Equal(new UsageReportCounts(), counts, "counts of an empty outbox");
    }

    private async Task EveryStatusAsync()
    {
        var reports = await PendingReportsAsync(5);
        var now = Start + Hour;
        await Store.Reports.ClaimDueAsync(new ReportClaim("me", now, now + Lease, 3), Cancellation);
        await Store.Reports.CompleteAsync(
        [
            new ReportCompletion(reports[0].Id, "me", UsageReportStatus.Sent, now),
            new ReportCompletion(reports[1].Id, "me", UsageReportStatus.Failed, now) { Error = "No such customer" },
            new ReportCompletion(reports[2].Id, "me", UsageReportStatus.Unknown, now),
        ], Cancellation);
        await Store.Ledger.WriteAsync([Increment("free", 1, bucketStart: Start + Hour)], Cancellation);
        await CloseAsync("free", bucketStart: Start + Hour, skipReason: "free plan");

        var counts = await Store.Counts.CountReportsAsync(Cancellation);

        Check.Equal(new UsageReportCounts { Pending = 2, Sent = 1, Failed = 1, Skipped = 1, Unknown = 1, OldestPendingCreatedAt = Start }, counts, "counts");
    }

    private async Task FindAccountsAsync()
    {
        await Store.Accounts.SaveAccountAsync(new UsageAccount("b_acct") { StripeCustomerId = "cus_1" }, Cancellation);
        await Store.Accounts.SaveAccountAsync(new UsageAccount("a_acct") { StripeCustomerId = "cus_1" }, Cancellation);
        await Store.Accounts.SaveAccountAsync(new UsageAccount("other") { StripeCustomerId = "cus_2" }, Cancellation);
        await Store.Accounts.SaveAccountAsync(new UsageAccount("unmapped"), Cancellation);

        Check.Equal(new[] { "a_acct", "b_acct" }, await Store.Customers.FindAccountsAsync("cus_1", Cancellation), "accounts of cus_1");
        Check.Equal(new[] { "other" }, await Store.Customers.FindAccountsAsync("cus_2", Cancellation), "accounts of cus_2");
        Check.Empty(await Store.Customers.FindAccountsAsync("cus_none", Cancellation), "accounts of an unknown customer");
    }

    private async Task RefusedCustomerIdAsync(string customer)
    {
        var ex = await Check.ThrowsAsync<UsageInputException>(() => Store.Customers.FindAccountsAsync(customer, Cancellation), "a bad customer id");

        Check.Equal("stripeCustomerId", ex.ParamName, "the refusal's ParamName");
    }
}
