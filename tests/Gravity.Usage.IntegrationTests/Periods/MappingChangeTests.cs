using Gravity.Usage.IntegrationTests.Contract;
using Gravity.Usage.Stripe;
using Gravity.Usage.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Gravity.Usage.IntegrationTests.Periods;

/// <summary>
/// Mapping changes (issue 9, items 4 and 6): a plan change that moves the anchor, a customer change mid-period with
/// pending reports, and the explicit close for hosts with their own account resolver. Stripe's totals on the stand-in
/// equal what each period and customer should bill.
/// </summary>
[TestFixture(typeof(SqliteStoreFixture))]
[TestFixture(typeof(PostgreSqlStoreFixture))]
public sealed class MappingChangeTests<TFixture> : BillingPeriodTest<TFixture>
    where TFixture : IStoreFixture, new()
{
    [Test]
    public async Task SaveAccountAsync_PlanChangeMovesTheAnchor_BillsEarlierUsageInTheOldPeriodAndLaterInTheNew()
    {
        var oldAnchor = Utc(2026, 6, 1);
        var change = Utc(2026, 6, 10, 14, 37, 12);
        var provider = await StartAsync(Utc(2026, 6, 10, 14, 5));
        var customer = Stripe.AddCustomer("cus_plan");
        var subscription = Stripe.AddSubscription(customer, oldAnchor, "month", 1);
        var cycles = provider.GetRequiredService<StripeBillingCycles>();
        var mapped = await cycles.SaveFromSubscriptionAsync("acct", subscription);

        await RecordAtAsync(provider, "acct", 4, Utc(2026, 6, 10, 14, 20));
        Clock.SetUtcNow(change);
        Stripe.ResetBillingCycleAnchor(subscription, change);
        var changed = await cycles.SaveFromSubscriptionAsync("acct", subscription);
        var closedAtTheChange = await ReportsAsync(provider, "acct");
        await RecordAtAsync(provider, "acct", 6, Utc(2026, 6, 10, 14, 45));
        Clock.SetUtcNow(Utc(2026, 6, 10, 15, 10));
        var run = await provider.GetRequiredService<IUsageReporter>().ReportAsync();
        var current = await provider.GetRequiredService<IUsageMeter>().GetCurrentPeriodAsync("acct");

        Assert.Multiple(() =>
        {
            Assert.That((mapped.StripeCustomerId, mapped.BillingCycle), Is.EqualTo((customer, BillingCycle.Monthly(oldAnchor))), "mapped from the subscription");
            Assert.That(changed.BillingCycle, Is.EqualTo(BillingCycle.Monthly(change)));
            Assert.That(closedAtTheChange.Select(r => (r.BucketStart, r.Quantity, r.Status, r.StripeCustomerId)), Is.EqualTo(new[] { (Utc(2026, 6, 10, 14), 4L, UsageReportStatus.Pending, customer) }), "the change closed the usage so far");
            Assert.That(run.Sent, Is.EqualTo(2));
            Assert.That(Billed(customer, oldAnchor, change), Is.EqualTo(4), "before the change: the old period, which ends at the change");
            Assert.That(Billed(customer, change, change.AddMonths(1)), Is.EqualTo(6), "after it: the new period");
            Assert.That((current.From, current.GetMeter(ApiCalls).Quantity), Is.EqualTo((change, 6L)));
        });
    }

    [Test]
    public async Task SaveAccountAsync_CustomerChangeMidPeriod_BillsEarlierUsageAndPendingReportsToTheOldCustomer()
    {
        var provider = await StartAsync(Utc(2026, 6, 10, 10, 5));
        var oldCustomer = Stripe.AddCustomer("cus_old");
        var newCustomer = Stripe.AddCustomer("cus_new");
        await SaveAsync(provider, new UsageAccount("acct") { StripeCustomerId = oldCustomer });
        await RecordAtAsync(provider, "acct", 5, Utc(2026, 6, 10, 10, 10));

        // The 10:00 report is closed but not delivered: Stripe answers 500, so it waits for a retry.
        Clock.SetUtcNow(Utc(2026, 6, 10, 11, 5));
        Stripe.Faults.FailNext("POST", "/v1/billing/meter_events", StripeFault.ServerError(500));
        var failed = await provider.GetRequiredService<IUsageReporter>().ReportAsync();
        await RecordAtAsync(provider, "acct", 2, Utc(2026, 6, 10, 11, 10));
        Clock.SetUtcNow(Utc(2026, 6, 10, 11, 20));
        await SaveAsync(provider, new UsageAccount("acct") { StripeCustomerId = newCustomer });
        await RecordAtAsync(provider, "acct", 9, Utc(2026, 6, 10, 11, 30));
        Clock.SetUtcNow(Utc(2026, 6, 10, 13, 5));
        await DeliverAsync(provider, "acct");

        var reports = await ReportsAsync(provider, "acct");
        Assert.Multiple(() =>
        {
            Assert.That(failed.WaitingForRetry, Is.EqualTo(1));
            Assert.That(reports.Select(r => (r.BucketStart.Hour, r.Quantity, r.Status, r.StripeCustomerId)), Is.EqualTo(new[]
            {
                (10, 5L, UsageReportStatus.Sent, oldCustomer),
                (11, 2L, UsageReportStatus.Sent, oldCustomer),
                (11, 9L, UsageReportStatus.Sent, newCustomer),
            }));
            Assert.That(Stripe.GetMeterTotal(ApiCalls, oldCustomer), Is.EqualTo(7), "usage before the change, the pending report included");
            Assert.That(Stripe.GetMeterTotal(ApiCalls, newCustomer), Is.EqualTo(9), "usage after it");
        });
    }

    [Test]
    public async Task RedriveAsync_AfterTheCustomerWasFixed_DeliversToTheFixedCustomer()
    {
        var provider = await StartAsync(Utc(2026, 6, 10, 10, 5));
        var right = Stripe.AddCustomer("cus_right");
        await SaveAsync(provider, new UsageAccount("acct") { StripeCustomerId = "cus_typo" });
        await RecordAtAsync(provider, "acct", 5, Utc(2026, 6, 10, 10, 10));
        Clock.SetUtcNow(Utc(2026, 6, 10, 11, 5));
        var refused = await provider.GetRequiredService<IUsageReporter>().ReportAsync();

        await SaveAsync(provider, new UsageAccount("acct") { StripeCustomerId = right });
        var redriven = await provider.GetRequiredService<IUsageReporter>().RedriveAsync(new UsageReportQuery { Account = "acct" });
        await DeliverAsync(provider, "acct");

        var report = (await ReportsAsync(provider, "acct")).Single();
        Assert.Multiple(() =>
        {
            Assert.That((refused.Failed, redriven), Is.EqualTo((1, 1)));
            Assert.That((report.Status, report.StripeCustomerId), Is.EqualTo((UsageReportStatus.Sent, (string?)null)), "a re-drive forgets the customer it was closed with");
            Assert.That(Stripe.GetMeterTotal(ApiCalls, right), Is.EqualTo(5));
        });
    }

    [Test]
    public async Task SaveAccountAsync_LegacySubscriptionItemChange_ClosesUsageSoFarUnderTheOldItem()
    {
        var provider = await StartAsync(Utc(2026, 6, 10, 10, 5), u => u.UseStripe(o => o.Api = StripeUsageApi.LegacyUsageRecords));
        var customer = Stripe.AddCustomer("cus_items");
        var oldItem = Stripe.AddLegacySubscriptionItem(customer, Utc(2026, 6, 1), Utc(2026, 7, 1));
        var newItem = Stripe.AddLegacySubscriptionItem(customer, Utc(2026, 6, 1), Utc(2026, 7, 1));
        await SaveAsync(provider, new UsageAccount("acct") { StripeCustomerId = customer, SubscriptionItems = new Dictionary<string, string> { [ApiCalls] = oldItem } });
        await RecordAtAsync(provider, "acct", 5, Utc(2026, 6, 10, 10, 10));
        Clock.SetUtcNow(Utc(2026, 6, 10, 10, 20));
        await SaveAsync(provider, new UsageAccount("acct") { StripeCustomerId = customer, SubscriptionItems = new Dictionary<string, string> { [ApiCalls] = newItem } });
        await RecordAtAsync(provider, "acct", 8, Utc(2026, 6, 10, 10, 30));
        Clock.SetUtcNow(Utc(2026, 6, 10, 11, 5));
        await DeliverAsync(provider, "acct");

        var reports = await ReportsAsync(provider, "acct");
        Assert.Multiple(() =>
        {
            Assert.That(reports.Select(r => (r.Quantity, r.SubscriptionItemId)), Is.EqualTo(new[] { (5L, oldItem), (8L, newItem) }));
            Assert.That(Stripe.GetUsageRecordTotal(oldItem), Is.EqualTo(5));
            Assert.That(Stripe.GetUsageRecordTotal(newItem), Is.EqualTo(8));
        });
    }

    [Test]
    public async Task CloseUnderMappingAsync_HostResolverChangesTheMapping_ClosesUnderTheOldMapping()
    {
        var resolver = new SwitchableResolver();
        var provider = await StartAsync(Utc(2026, 6, 10, 10, 5), u => u.UseAccountResolver(_ => resolver));
        var oldCustomer = Stripe.AddCustomer("cus_host_old");
        var newCustomer = Stripe.AddCustomer("cus_host_new");
        resolver.Current = new UsageAccount("acct") { StripeCustomerId = oldCustomer };
        var reporter = provider.GetRequiredService<IUsageReporter>();
        await RecordAtAsync(provider, "acct", 5, Utc(2026, 6, 10, 10, 10));

        Clock.SetUtcNow(Utc(2026, 6, 10, 10, 20));
        var closed = await reporter.CloseUnderMappingAsync(resolver.Current);
        resolver.Current = new UsageAccount("acct") { StripeCustomerId = newCustomer };
        await RecordAtAsync(provider, "acct", 9, Utc(2026, 6, 10, 10, 30));
        Clock.SetUtcNow(Utc(2026, 6, 10, 11, 5));
        await DeliverAsync(provider, "acct");

        Assert.Multiple(() =>
        {
            Assert.That((closed.Closed, closed.Sent), Is.EqualTo((1, 0)), "closed, not delivered");
            Assert.That(Stripe.GetMeterTotal(ApiCalls, oldCustomer), Is.EqualTo(5));
            Assert.That(Stripe.GetMeterTotal(ApiCalls, newCustomer), Is.EqualTo(9));
        });
    }

    [Test]
    public async Task CloseUnderMappingAsync_BadMapping_IsRefusedAndClosesNothing()
    {
        var provider = await StartAsync(Utc(2026, 6, 10, 10, 5));
        await RecordAtAsync(provider, "acct", 5, Utc(2026, 6, 10, 10, 10));
        var reporter = provider.GetRequiredService<IUsageReporter>();

        var empty = Assert.ThrowsAsync<UsageInputException>(() => reporter.CloseUnderMappingAsync(new UsageAccount(string.Empty)));
        var badCustomer = Assert.ThrowsAsync<UsageInputException>(() => reporter.CloseUnderMappingAsync(new UsageAccount("acct") { StripeCustomerId = "cus_\0" }));

        Assert.Multiple(async () =>
        {
            Assert.That(empty!.ParamName, Is.EqualTo("mapping"));
            Assert.That(badCustomer!.ParamName, Is.EqualTo("mapping"));
            Assert.That(badCustomer.Message, Does.StartWith("A Stripe customer id"));
            Assert.That(await ReportsAsync(provider, "acct"), Is.Empty);
        });
    }

    /// <summary>A host's own account table: whatever it holds now.</summary>
    private sealed class SwitchableResolver : IUsageAccountResolver
    {
        public UsageAccount? Current { get; set; }

        public Task<UsageAccount?> ResolveAsync(string account, CancellationToken cancellationToken = default) =>
            Task.FromResult(Current is { } current && current.Account == account ? current : null);
    }
}
