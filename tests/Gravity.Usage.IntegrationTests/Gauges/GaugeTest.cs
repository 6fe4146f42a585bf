using Gravity.Usage.IntegrationTests.Contract;
using Gravity.Usage.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Gravity.Usage.IntegrationTests.Gauges;

/// <summary>
/// Base of the gauge tests, run on every provider: a fresh database from <typeparamref name="TFixture"/>, usage billing
/// registered as a host would with one meter of each kind, and the Stripe stand-in over loopback HTTP (through
/// Stripe.net) with a <c>last</c> meter per gauge. The library's clock starts at <see cref="Day0"/>, two days before
/// real time at midnight UTC, so every event lies inside Stripe's window (checked against real time).
/// </summary>
/// <typeparam name="TFixture">The provider.</typeparam>
public abstract class GaugeTest<TFixture>
    where TFixture : IStoreFixture, new()
{
    protected const string Seats = "seats";
    protected const string Peak = "peak";
    protected const string PlanSeats = "plan_seats";
    protected const string ApiCalls = "api_calls";
    protected const string SeatsEvent = "gravity_seats";
    protected const string PeakEvent = "gravity_peak";
    protected const string PlanSeatsEvent = "gravity_plan_seats";

    protected static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    private readonly List<ServiceProvider> _providers = [];

    /// <summary>Midnight UTC two days before real time: the first of two whole days in the past.</summary>
    protected DateTimeOffset Day0 { get; private set; }

    protected FakeTimeProvider Clock { get; private set; } = null!;

    protected TFixture Fixture { get; private set; } = default!;

    protected StripeStandIn Stripe { get; private set; } = null!;

    [SetUp]
    public async Task SetUpGaugesAsync()
    {
        var now = TimeProvider.System.GetUtcNow();
        Day0 = new DateTimeOffset(now.Year, now.Month, now.Day, 0, 0, 0, TimeSpan.Zero).AddDays(-2);
        Clock = new FakeTimeProvider(Day0);
        Fixture = new TFixture();
        await Fixture.InitializeAsync();
        Stripe = new StripeStandIn();
        await Stripe.StartAsync();
        Stripe.AddMeter(SeatsEvent, "last");
        Stripe.AddMeter(PeakEvent, "last");
        Stripe.AddMeter(PlanSeatsEvent, "last");
        Stripe.AddMeter(ApiCalls, "sum");
    }

    [TearDown]
    public async Task TearDownGaugesAsync()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }

        _providers.Clear();
        await Stripe.DisposeAsync();
        await Fixture.DisposeAsync();
    }

    /// <summary>
    /// Usage billing as a host registers it on the fixture's database: a sum meter and one gauge of each kind, each gauge
    /// with a Stripe event name of its own, reporting to the stand-in.
    /// </summary>
    protected ServiceProvider BuildProvider(Action<UsageBillingBuilder>? billing = null, Action<Gravity.Usage.Stripe.StripeOptions>? stripe = null)
    {
        var stripeBase = Stripe.BaseAddress!;
        var services = new ServiceCollection()
            .AddSingleton<TimeProvider>(Clock)
            .AddUsageBilling(u =>
            {
                Fixture.UseStore(u);
                u.AddMeter(ApiCalls)
                    .AddMeter(Seats, m => { m.Kind = MeterKind.Last; m.StripeEventName = SeatsEvent; })
                    .AddMeter(Peak, m => { m.Kind = MeterKind.Max; m.StripeEventName = PeakEvent; })
                    .AddMeter(PlanSeats, m => { m.Kind = MeterKind.LastEver; m.StripeEventName = PlanSeatsEvent; })
                    .UseStripe(o =>
                    {
                        o.ApiKey = StripeStandIn.DefaultApiKey;
                        o.ApiBase = stripeBase;
                        o.MaxRequestsPerSecond = 1_000;
                        o.MaxNetworkRetries = 0;
                        stripe?.Invoke(o);
                    });
                billing?.Invoke(u);
            });
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        _providers.Add(provider);
        return provider;
    }

    /// <summary>Maps an account to a new stand-in customer in the built-in account table; returns the customer.</summary>
    protected async Task<string> MapAsync(IServiceProvider provider, string account, bool billable = true, string? customer = null, IReadOnlyDictionary<string, string>? items = null)
    {
        customer ??= Stripe.AddCustomer();
        await provider.GetRequiredService<IUsageAccountStore>().SaveAccountAsync(new UsageAccount(account)
        {
            StripeCustomerId = customer,
            Billable = billable,
            SubscriptionItems = items ?? new Dictionary<string, string>(StringComparer.Ordinal),
        });
        return customer;
    }

    /// <summary>Records a reading at <paramref name="at"/> (moving the clock there unless it is later: a backdated reading) and checks it was recorded.</summary>
    protected async Task SetAsync(IServiceProvider provider, string account, string meter, long value, DateTimeOffset at)
    {
        if (Clock.GetUtcNow() < at)
        {
            Clock.SetUtcNow(at);
        }

        var outcome = await provider.GetRequiredService<IUsageMeter>().SetAsync(account, value, meter, timestamp: at);
        Assert.That(outcome, Is.EqualTo(IncrementOutcome.Recorded));
    }

    /// <summary>Moves the clock and runs the reporter once.</summary>
    protected async Task<ReportRun> ReportAtAsync(IServiceProvider provider, DateTimeOffset at)
    {
        Clock.SetUtcNow(at);
        return await provider.GetRequiredService<IUsageReporter>().ReportAsync().WaitAsync(HangGuard);
    }

    protected static Task<IReadOnlyList<UsageReport>> ReportsAsync(IServiceProvider provider, string? account = null) =>
        provider.GetRequiredService<IUsageReporter>().ListReportsAsync(new UsageReportQuery { Account = account, Limit = 10_000 });

    /// <summary>What the meter bills over a period, read back through <see cref="IUsageMeter.GetAsync"/>.</summary>
    protected static async Task<MeterUsage> BilledAsync(IServiceProvider provider, string account, string meter, DateTimeOffset from, DateTimeOffset to) =>
        (await provider.GetRequiredService<IUsageMeter>().GetAsync(account, from, to, meter)).GetMeter(meter);

    /// <summary>Stripe's <c>last</c> value of a customer's meter over a period (event timestamps in [from, to)).</summary>
    protected long StripeLast(string eventName, string customer, DateTimeOffset from, DateTimeOffset to) =>
        (long)Stripe.GetMeterAggregate(eventName, customer, from, to);

    /// <summary>The UTC calendar month of an instant: the billing period of an account without a cycle.</summary>
    protected static (DateTimeOffset Start, DateTimeOffset End) MonthOf(DateTimeOffset instant)
    {
        var start = new DateTimeOffset(instant.Year, instant.Month, 1, 0, 0, 0, TimeSpan.Zero);
        return (start, start.AddMonths(1));
    }
}
