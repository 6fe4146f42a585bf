using Gravity.Usage.IntegrationTests.Contract;
using Gravity.Usage.IntegrationTests.Infrastructure;
using Gravity.Usage.Stripe;
using Gravity.Usage.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Gravity.Usage.IntegrationTests.Reconciliation;

/// <summary>
/// Base of the reconciliation tests, run on every provider: a fresh database, the meter, reporter and reconciler on
/// it, and the Stripe stand-in over loopback HTTP through Stripe.net, all on one manual clock.
/// </summary>
/// <typeparam name="TFixture">The provider.</typeparam>
public abstract class ReconciliationTest<TFixture> : StandInLedgerTest<TFixture>
    where TFixture : IStoreFixture, new()
{
    protected const string Seats = "seats";

    /// <summary>The day of <see cref="StandInLedgerTest{TFixture}.Start"/>, a period every test's usage falls in.</summary>
    protected static readonly DateTimeOffset Day = new(2026, 3, 10, 0, 0, 0, TimeSpan.Zero);

    [SetUp]
    public void AddStripeMeters()
    {
        Stripe.AddMeter(ApiCalls);
        Stripe.AddMeter(Seats, "last");
    }

    protected override void DeclareMeters(IDictionary<string, MeterOptions> meters)
    {
        base.DeclareMeters(meters);
        meters[Seats] = new MeterOptions { Kind = MeterKind.Last };
    }

    /// <summary>Maps an account to a Stripe customer the stand-in knows.</summary>
    protected async Task MapAsync(string account, string customer)
    {
        Stripe.AddCustomer(customer);
        await Store.Accounts.SaveAccountAsync(new UsageAccount(account) { StripeCustomerId = customer });
    }

    /// <summary>A reporter on the store and the stand-in through Stripe.net, with the built-in account mapping.</summary>
    protected UsageReporter CreateReporter()
    {
        var sink = Track(new StripeMeterEventSink(StripeOptions));
        return new UsageReporter(
            Store.Reports,
            sink,
            new StoreAccountResolver(Store.Accounts),
            Options.Create(Billing),
            Options.Create(new UsageReportingOptions()),
            Clock);
    }

    /// <summary>A reconciler on the store and the stand-in, built without a host.</summary>
    protected StripeUsageReconciler CreateReconciler(UsageReconciliationOptions? options = null)
    {
        return Track(new StripeUsageReconciler(Store.Reconciliation, StripeOptions, Billing, options, timeProvider: Clock));
    }

    /// <summary>Reconciles the whole day of <see cref="Start"/>.</summary>
    protected Task<UsageReconciliationReport> ReconcileAsync(string? account = null) =>
        CreateReconciler().ReconcileAsync(Day, Day.AddDays(1), account).WaitAsync(TimeSpan.FromSeconds(60));

    /// <summary>Runs the reporter once (one account, or all), no earlier than <paramref name="at"/>.</summary>
    protected async Task<ReportRun> RunAsync(string? account = null, DateTimeOffset? at = null)
    {
        if (at is { } when && Clock.GetUtcNow() < when)
        {
            Clock.SetUtcNow(when);
        }

        var reporter = CreateReporter();
        return await (account is null ? reporter.ReportAsync() : reporter.ReportAccountAsync(account)).WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// Records usage and delivers it under a fault on its first attempt, then parks it as unknown: the reporter tries
    /// again past the 20-hour safe window and parks it instead of resending.
    /// </summary>
    protected async Task<UsageReport> ParkUnknownAsync(string account, long quantity, FaultTiming timing)
    {
        Assert.That(await Meter.IncrementAsync(account, quantity, ApiCalls, timestamp: Start), Is.EqualTo(IncrementOutcome.Recorded));
        var rule = Stripe.Faults.FailNext("POST", MeterEventsPath, StripeFault.DropConnection(), timing: timing);
        var first = await RunAsync(account, Start.AddHours(1));
        Assert.That(first.WaitingForRetry, Is.EqualTo(1), "the first attempt failed transiently");
        Assert.That(rule.Strikes, Is.EqualTo(1));
        Clock.Advance(TimeSpan.FromHours(21));
        var second = await RunAsync(account);
        Assert.That(second.Unknown, Is.EqualTo(1), "past the safe window the report is parked, not resent");
        return (await ReportsAsync(account)).Single(r => r.Status == UsageReportStatus.Unknown);
    }

    protected async Task<IReadOnlyList<UsageReport>> ReportsAsync(string account) =>
        await Store.Reports.ListReportsAsync(new UsageReportQuery { Account = account, Limit = 1_000 });

    protected long StripeTotal(string customer, string eventName = ApiCalls) => Stripe.GetMeterTotal(eventName, customer);

    protected void Note(string text) => TestContext.Out.WriteLine($"[{typeof(TFixture).Name}] {text}");
}
