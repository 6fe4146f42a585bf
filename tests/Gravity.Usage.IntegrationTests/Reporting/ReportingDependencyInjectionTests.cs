using Gravity.Usage.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.IntegrationTests.Reporting;

/// <summary>AddUsageBilling's reporting half: the reporter, its sink, account mapping and options (DESIGN §3, §5).</summary>
public sealed class ReportingDependencyInjectionTests : ReportingTest
{
    [Test]
    public async Task AddUsageBilling_UseSink_ReporterMeterAndAccountStoreShareOneLedgerAndTheRegisteredClock()
    {
        await using var provider = BuildProvider(u => u
            .UseSqlite(Database.ConnectionString)
            .AddMeter(ApiCalls)
            .AddMeter(Tokens, m => m.StripeEventName = TokensEvent)
            .UseSink(_ => Sink));
        var meter = provider.GetRequiredService<UsageMeter>();
        var accounts = provider.GetRequiredService<IUsageAccountStore>();
        var reporter = provider.GetRequiredService<IUsageReporter>();
        await accounts.SaveAccountAsync(new UsageAccount("acct") { StripeCustomerId = "cus_1", Billable = true });
        At(TimeSpan.FromMinutes(10));
        await meter.IncrementAsync("acct", 3, ApiCalls);
        await meter.IncrementAsync("acct", 4, Tokens);
        At(TimeSpan.FromMinutes(61));

        var run = await reporter.ReportAsync();

        var summary = await meter.GetAsync("acct", AllTimeFrom, AllTimeTo);
        Assert.Multiple(() =>
        {
            Assert.That(reporter, Is.SameAs(provider.GetRequiredService<UsageReporter>()));
            Assert.That(provider.GetRequiredService<IUsageReportStore>(), Is.SameAs(provider.GetRequiredService<IUsageStore>()));
            Assert.That(accounts, Is.SameAs(provider.GetRequiredService<IUsageStore>()));
            Assert.That(run.Sent, Is.EqualTo(2), "the bucket ended by the registered clock");
            Assert.That(
                Sink.Calls.Select(c => (c.CustomerId, c.EventName, c.Quantity, c.BucketStart)),
                Is.EquivalentTo(new[] { ("cus_1", ApiCalls, 3L, Start), ("cus_1", TokensEvent, 4L, Start) }));
            Assert.That(summary.Meters, Is.EqualTo(new[] { new MeterUsage(ApiCalls, 3) { SentQuantity = 3 }, new MeterUsage(Tokens, 4) { SentQuantity = 4 } }));
        });
    }

    [Test]
    public async Task AddUsageBilling_UseAccountResolver_ReplacesTheBuiltInMapping()
    {
        await using var provider = BuildProvider(u => u
            .UseSqlite(Database.ConnectionString)
            .UseSink(_ => Sink)
            .UseAccountResolver(_ => new HostAccounts()));
        await provider.GetRequiredService<UsageMeter>().IncrementAsync("acct", 2);
        await provider.GetRequiredService<UsageMeter>().IncrementAsync("trial", 9);
        At(Hour);

        var run = await provider.GetRequiredService<IUsageReporter>().ReportAsync();

        Assert.Multiple(() =>
        {
            Assert.That(run.Sent, Is.EqualTo(1));
            Assert.That(run.Skipped, Is.EqualTo(1), "the host's resolver says which accounts are free");
            Assert.That(Sink.Calls.Select(c => (c.Account, c.CustomerId)), Is.EqualTo(new[] { ("acct", "cus_from_host") }));
        });
    }

    [Test]
    public async Task GetRequiredService_IUsageReporterWithoutASink_ThrowsSayingToCallUseStripeOrUseSink()
    {
        await using var provider = BuildProvider(u => u.UseSqlite(Database.ConnectionString));

        var ex = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IUsageReporter>());

        Assert.Multiple(() =>
        {
            Assert.That(ex!.Message, Does.Contain("UseStripe").And.Contain("UseSink"));
            Assert.That(provider.GetRequiredService<UsageMeter>(), Is.Not.Null, "counting works without a sink");
        });
    }

    [Test]
    public async Task GetRequiredService_IUsageReporterOnAStoreWithoutAnOutbox_ThrowsNamingTheMissingInterface()
    {
        var gated = CreateGatedStore();
        await using var provider = BuildProvider(u => u.UseStore(_ => gated).UseSink(_ => Sink));

        var ex = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IUsageReporter>());

        Assert.That(ex!.Message, Does.Contain(nameof(GatedUsageStore)).And.Contain(nameof(IUsageReportStore)));
    }

    [Test]
    public async Task GetRequiredService_InvalidReportingOptions_ListsEveryFailure()
    {
        await using var provider = BuildProvider(u => u
            .UseSqlite(Database.ConnectionString)
            .UseSink(_ => Sink)
            .ConfigureReporting(o =>
            {
                o.MaxConcurrency = 0;
                o.SafeResendWindow = TimeSpan.FromHours(30);
            }));

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IUsageReporter>());

        Assert.Multiple(() =>
        {
            Assert.That(ex!.OptionsType, Is.EqualTo(typeof(UsageReportingOptions)));
            Assert.That(ex.Failures.Count(), Is.EqualTo(2));
            Assert.That(ex.Failures, Has.Some.Contains("MaxConcurrency must be between 1 and 256; it is 0."));
            Assert.That(ex.Failures, Has.Some.Contains("SafeResendWindow must be between 1 and 23 hours").And.Contains("1.06:00:00"));
            Assert.That(File.Exists(Database.Path), Is.False, "nothing was opened");
        });
    }

    [Test]
    public void UsageReporter_EveryInvalidOption_ListsEveryFailure()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => CreateReporter(o =>
        {
            o.CloseSliceSize = 0;
            o.DeliveryBatchSize = 10_001;
            o.MaxConcurrency = 257;
            o.LeaseDuration = TimeSpan.FromSeconds(29);
            o.SafeResendWindow = TimeSpan.FromMinutes(59);
            o.RetryBaseDelay = TimeSpan.Zero;
            o.RetryMaxDelay = -TimeSpan.FromSeconds(1);
        }));

        Assert.That(
            ex!.Failures.Select(f => f.Split(' ')[0]),
            Is.EqualTo(new[] { "CloseSliceSize", "DeliveryBatchSize", "MaxConcurrency", "LeaseDuration", "SafeResendWindow", "RetryBaseDelay", "RetryMaxDelay" }));
    }

    [Test]
    public void UsageReportingOptions_Defaults_AreTheDocumentedOnes()
    {
        var options = new UsageReportingOptions();

        Assert.Multiple(() =>
        {
            Assert.That(options.IncludeOpenBuckets, Is.False);
            Assert.That(options.SafeResendWindow, Is.EqualTo(TimeSpan.FromHours(20)));
            Assert.That(options.RetryBaseDelay, Is.EqualTo(TimeSpan.FromSeconds(30)));
            Assert.That(options.LeaseDuration, Is.EqualTo(TimeSpan.FromMinutes(5)));
            Assert.That(UsageReportingOptions.StripeMaxEventAge, Is.EqualTo(TimeSpan.FromDays(35)));
            Assert.That(() => CreateReporter(), Throws.Nothing, "the defaults are valid");
        });
    }

    private ServiceProvider BuildProvider(Action<UsageBillingBuilder> configure) =>
        new ServiceCollection()
            .AddUsageBilling(configure)
            .AddSingleton<TimeProvider>(Clock)
            .BuildServiceProvider();

    /// <summary>A host's own account table: "trial" is free, everyone else is billed to one customer.</summary>
    private sealed class HostAccounts : IUsageAccountResolver
    {
        public Task<UsageAccount?> ResolveAsync(string account, CancellationToken cancellationToken = default) =>
            Task.FromResult<UsageAccount?>(new UsageAccount(account)
            {
                StripeCustomerId = "cus_from_host",
                Billable = account != "trial",
            });
    }
}
