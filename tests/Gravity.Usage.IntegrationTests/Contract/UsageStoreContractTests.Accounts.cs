using Gravity.Usage.IntegrationTests.Reporting;
using Microsoft.Extensions.DependencyInjection;

namespace Gravity.Usage.IntegrationTests.Contract;

/// <summary>The built-in account mapping, plan changes that close usage under the old plan, and the whole loop via DI.</summary>
public sealed partial class UsageStoreContractTests<TFixture>
{
    [Test]
    public async Task SaveAccountAsync_NewThenChangedMapping_CreatesThenReplacesItWithItsItems()
    {
        await Store.Accounts.SaveAccountAsync(new UsageAccount("acct")
        {
            StripeCustomerId = "cus_1",
            SubscriptionItems = new Dictionary<string, string> { [Usage] = "si_1", ["tokens"] = "si_2" },
        });
        var created = await Store.Accounts.GetAccountAsync("acct");
        await Store.Accounts.SaveAccountAsync(new UsageAccount("acct") { StripeCustomerId = "cus_2", SubscriptionItems = new Dictionary<string, string> { ["tokens"] = "si_3" } });
        var replaced = await Store.Accounts.GetAccountAsync("acct");

        Assert.Multiple(async () =>
        {
            Assert.That(created!.StripeCustomerId, Is.EqualTo("cus_1"));
            Assert.That(created.Billable, Is.True);
            Assert.That(created.SubscriptionItems, Is.EquivalentTo(new Dictionary<string, string> { [Usage] = "si_1", ["tokens"] = "si_2" }));
            Assert.That(replaced!.StripeCustomerId, Is.EqualTo("cus_2"));
            Assert.That(replaced.SubscriptionItems, Is.EquivalentTo(new Dictionary<string, string> { ["tokens"] = "si_3" }));
            Assert.That(await Store.Accounts.GetAccountAsync("nobody"), Is.Null);
        });
    }

    [TestCase("cus_\0x", null, "A Stripe customer id")]
    [TestCase("cus_<lone surrogate>", null, "A Stripe customer id")]
    [TestCase("   ", null, "A Stripe customer id")]
    [TestCase("cus_ok", "si_\u0007", "A Stripe subscription item id")]
    [TestCase("cus_ok", "\u200B", "A Stripe subscription item id")]
    public async Task SaveAccountAsync_StripeIdBreakingTheIdentifierRule_IsRefusedNamingItAndTheMappingIsUntouched(string customer, string? item, string what)
    {
        await Store.Accounts.SaveAccountAsync(new UsageAccount("acct") { StripeCustomerId = "cus_before" });
        // An attribute cannot carry an unpaired surrogate (metadata is UTF-8), so it is made here.
        customer = customer.Replace("<lone surrogate>", "\uD800", StringComparison.Ordinal);
        var bad = new UsageAccount("acct")
        {
            StripeCustomerId = customer,
            SubscriptionItems = item is null ? new Dictionary<string, string>() : new Dictionary<string, string> { [Usage] = item },
        };

        var exception = Assert.ThrowsAsync<UsageInputException>(() => Store.Accounts.SaveAccountAsync(bad));

        var stored = await Store.Accounts.GetAccountAsync("acct");
        Assert.Multiple(() =>
        {
            Assert.That(exception!.ParamName, Is.EqualTo("account"));
            Assert.That(exception.Message, Does.StartWith(what));
            Assert.That(stored!.StripeCustomerId, Is.EqualTo("cus_before"));
            Assert.That(stored.SubscriptionItems, Is.Empty);
        });
    }

    [Test]
    public async Task SaveAccountAsync_PlanChanges_CloseTheUsageSoFarUnderTheOldPlan()
    {
        await Store.Accounts.SaveAccountAsync(new UsageAccount("acct") { StripeCustomerId = "cus_1", Billable = false });
        await Store.Ledger.WriteAsync([Increment("acct", 5)]);
        Clock.Advance(TimeSpan.FromMinutes(30));

        await Store.Accounts.SaveAccountAsync(new UsageAccount("acct") { StripeCustomerId = "cus_1", Billable = true });
        var upgraded = await Store.Accounts.GetAccountAsync("acct");
        await Store.Ledger.WriteAsync([Increment("acct", 7)]);
        await Store.Accounts.SaveAccountAsync(new UsageAccount("acct") { StripeCustomerId = "cus_1", Billable = false });

        var reports = await ReportsAsync();
        string[] identifiers = [await IdentifierAsync("acct", Usage, Start, 0, 5), await IdentifierAsync("acct", Usage, Start, 5, 7)];
        Assert.Multiple(() =>
        {
            Assert.That(upgraded!.BillableSince, Is.EqualTo(Start.AddMinutes(30)), "billable since the change");
            Assert.That(
                reports.Select(r => (r.Quantity, r.Status, r.LastError)),
                Is.EqualTo(new[] { (5L, UsageReportStatus.Skipped, (string?)BillingPlan.NotBillable), (7L, UsageReportStatus.Pending, null) }));
            Assert.That(reports.Select(r => r.Identifier), Is.EqualTo(identifiers));
        });
    }

    [Test]
    public async Task AddUsageBilling_MeterAndReporterWithAScriptedSink_WorkEndToEnd()
    {
        var sink = new RecordingSink();
        await using var provider = new ServiceCollection()
            .AddUsageBilling(u =>
            {
                Fixture.UseStore(u);
                u.AddMeter("tokens", m => m.StripeEventName = "llm_tokens").UseSink(_ => sink);
            })
            .AddSingleton<TimeProvider>(Clock)
            .BuildServiceProvider();
        var meter = provider.GetRequiredService<UsageMeter>();
        var reporter = provider.GetRequiredService<IUsageReporter>();
        await provider.GetRequiredService<IUsageAccountStore>().SaveAccountAsync(new UsageAccount("acct") { StripeCustomerId = "cus_1" });
        Clock.Advance(TimeSpan.FromMinutes(10));
        await meter.IncrementAsync("acct", 3);
        await meter.IncrementAsync("acct", 4, "tokens", idempotencyKey: "req-1");
        await meter.IncrementAsync("acct", 4, "tokens", idempotencyKey: "req-1");
        sink.ForIdentifier(await IdentifierAsync("acct", "tokens", Start, 0, 4), SinkAction.Transient(), times: 1);
        Clock.Advance(TimeSpan.FromMinutes(55));

        var first = await reporter.ReportAsync();
        Clock.Advance(TimeSpan.FromMinutes(10));
        var second = await reporter.ReportAsync();

        var summary = await meter.GetAsync("acct", Start, Start + Hour);
        Assert.Multiple(() =>
        {
            Assert.That((first.Closed, first.Sent, first.WaitingForRetry), Is.EqualTo((2, 1, 1)));
            Assert.That(second.Sent, Is.EqualTo(1), "the transient failure is retried");
            Assert.That(sink.Totals[("cus_1", "llm_tokens")], Is.EqualTo(4));
            Assert.That(sink.Totals[("cus_1", Usage)], Is.EqualTo(3));
            Assert.That(summary.Meters, Is.EquivalentTo(new[] { new MeterUsage(Usage, 3) { SentQuantity = 3 }, new MeterUsage("tokens", 4) { SentQuantity = 4 } }));
        });
    }
}
