namespace Gravity.Usage.IntegrationTests.Contract;

/// <summary>The operations reads: report counts by status (the tool's <c>status</c>) and the accounts of a Stripe customer (the invoice flush).</summary>
public sealed partial class UsageStoreContractTests<TFixture>
{
    private IUsageReportCounts Counts => (IUsageReportCounts)Store.Ledger;

    private IStripeCustomerAccounts Customers => (IStripeCustomerAccounts)Store.Ledger;

    [Test]
    public async Task CountReportsAsync_EmptyOutbox_CountsNothing()
    {
        var counts = await Counts.CountReportsAsync();

        Assert.That(counts, Is.EqualTo(new UsageReportCounts()));
    }

    [Test]
    public async Task CountReportsAsync_ReportsInEveryStatus_CountsEachAndFindsTheOldestPending()
    {
        var reports = await PendingReportsAsync(5);
        var now = Start + Hour;
        await Store.Reports.ClaimDueAsync(new ReportClaim("me", now, now + TimeSpan.FromMinutes(5), 3));
        await Store.Reports.CompleteAsync(
        [
            new ReportCompletion(reports[0].Id, "me", UsageReportStatus.Sent, now),
            new ReportCompletion(reports[1].Id, "me", UsageReportStatus.Failed, now) { Error = "No such customer" },
            new ReportCompletion(reports[2].Id, "me", UsageReportStatus.Unknown, now),
        ]);
        await Store.Ledger.WriteAsync([Increment("free", 1, bucketStart: Start + Hour)]);
        await CloseAsync("free", bucketStart: Start + Hour, skipReason: "free plan");

        var counts = await Counts.CountReportsAsync();

        Assert.That(counts, Is.EqualTo(new UsageReportCounts { Pending = 2, Sent = 1, Failed = 1, Skipped = 1, Unknown = 1, OldestPendingCreatedAt = Start }));
    }

    [Test]
    public async Task FindAccountsAsync_ReturnsTheAccountsMappedToTheCustomer_Ordered()
    {
        await Store.Accounts.SaveAccountAsync(new UsageAccount("b_acct") { StripeCustomerId = "cus_1" });
        await Store.Accounts.SaveAccountAsync(new UsageAccount("a_acct") { StripeCustomerId = "cus_1" });
        await Store.Accounts.SaveAccountAsync(new UsageAccount("other") { StripeCustomerId = "cus_2" });
        await Store.Accounts.SaveAccountAsync(new UsageAccount("unmapped"));

        Assert.Multiple(async () =>
        {
            Assert.That(await Customers.FindAccountsAsync("cus_1"), Is.EqualTo(new[] { "a_acct", "b_acct" }));
            Assert.That(await Customers.FindAccountsAsync("cus_2"), Is.EqualTo(new[] { "other" }));
            Assert.That(await Customers.FindAccountsAsync("cus_none"), Is.Empty);
        });
    }

    [TestCase("")]
    [TestCase("  ")]
    public void FindAccountsAsync_EmptyCustomerId_IsRefusedNamingIt(string customer)
    {
        var ex = Assert.ThrowsAsync<UsageInputException>(() => Customers.FindAccountsAsync(customer));

        Assert.That(ex!.ParamName, Is.EqualTo("stripeCustomerId"));
    }

    [Test]
    public void FindAccountsAsync_OverlongCustomerId_IsRefusedNamingIt()
    {
        var ex = Assert.ThrowsAsync<UsageInputException>(() => Customers.FindAccountsAsync("cus_" + new string('x', 300)));

        Assert.That(ex!.ParamName, Is.EqualTo("stripeCustomerId"));
    }
}
