using Gravity.Usage.IntegrationTests.Contract;
using Gravity.Usage.IntegrationTests.Infrastructure;
using Gravity.Usage.Stripe;
using Gravity.Usage.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Gravity.Usage.IntegrationTests.Corrections;

/// <summary>
/// Base of the correction tests, run on every provider (<see cref="StandInLedgerTest{TFixture}"/>): one account mapped
/// to one Stripe customer, the reporter, and the stand-in's 24-hour cancellation window on the test's clock.
/// </summary>
/// <typeparam name="TFixture">The provider.</typeparam>
public abstract class CorrectionTest<TFixture> : StandInLedgerTest<TFixture>
    where TFixture : IStoreFixture, new()
{
    protected const string Account = "acct_1";
    protected const string Customer = "cus_1";
    protected const string AdjustmentsPath = "/v1/billing/meter_event_adjustments";

    /// <summary>What the stand-in bills the customer on the meter: its events, cancelled ones left out.</summary>
    protected long StripeTotal => Stripe.GetMeterTotal(ApiCalls, Customer);

    [SetUp]
    public async Task MapAccountAsync()
    {
        Stripe.AddCustomer(Customer);
        Stripe.AddMeter(ApiCalls);
        await Store.Accounts.SaveAccountAsync(new UsageAccount(Account) { StripeCustomerId = Customer });
    }

    /// <summary>The Stripe sink of <paramref name="api"/> pointed at the stand-in (its pacing on real time).</summary>
    protected IUsageSink CreateSink(StripeUsageApi api = StripeUsageApi.MeterEvents)
    {
        var options = StripeOptions;
        options.Api = api;
        return api == StripeUsageApi.MeterEventStream ? Track(new StripeMeterEventStreamSink(options)) : Track(new StripeMeterEventSink(options));
    }

    /// <summary>A reporter on the store and the stand-in (or <paramref name="sink"/>) with the built-in account mapping.</summary>
    protected UsageReporter CreateReporter(IUsageSink? sink = null) => new(
        Store.Reports,
        sink ?? CreateSink(),
        new StoreAccountResolver(Store.Accounts),
        Options.Create(Billing),
        Options.Create(new UsageReportingOptions()),
        Clock);

    /// <summary>Records usage in the 10:00 bucket.</summary>
    protected async Task RecordAsync(long quantity) =>
        Assert.That(await Meter.IncrementAsync(Account, quantity, ApiCalls, timestamp: Start), Is.EqualTo(IncrementOutcome.Recorded));

    /// <summary>Corrects the 10:00 bucket.</summary>
    protected Task<UsageCorrection> CorrectAsync(long delta, string key, string reason = "Refund of a failed job") =>
        Meter.CorrectAsync(Account, delta, ApiCalls, Start, reason, key);

    /// <summary>Moves the clock past the end of the 10:00 bucket and runs the reporter once.</summary>
    protected async Task<ReportRun> RunAsync(UsageReporter reporter, TimeSpan? after = null)
    {
        var at = Start + (after ?? TimeSpan.FromHours(1));
        if (Clock.GetUtcNow() < at)
        {
            Clock.SetUtcNow(at);
        }

        return await reporter.ReportAsync().WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>The account's local totals on the meter: counted and moved into reports.</summary>
    protected async Task<MeterUsage> LocalAsync()
    {
        var summary = await Meter.GetAsync(Account, Start.AddDays(-40), Start.AddDays(40), ApiCalls);
        return summary.GetMeter(ApiCalls);
    }

    protected async Task<IReadOnlyList<UsageReport>> ReportsAsync(UsageReportStatus? status = null) =>
        await Store.Reports.ListReportsAsync(new UsageReportQuery { Account = Account, Status = status, Limit = 1_000 });

    protected Task<IReadOnlyList<UsageCorrection>> CorrectionsAsync() =>
        Meter.ListCorrectionsAsync(new UsageCorrectionQuery { Account = Account });

    protected int Adjustments() => Stripe.CountRequests("POST", AdjustmentsPath);

    /// <summary>Writes a scenario's Stripe totals to the test output, for the record.</summary>
    protected void Note(string scenario, long expected, long observed) =>
        TestContext.Out.WriteLine($"[{typeof(TFixture).Name}] {scenario}: expected Stripe total {expected}, observed {observed}");
}
