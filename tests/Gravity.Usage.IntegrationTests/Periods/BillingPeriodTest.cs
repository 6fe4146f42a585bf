using Gravity.Usage.IntegrationTests.Contract;
using Gravity.Usage.Testing;
using Microsoft.Extensions.DependencyInjection;
using StandInClock = Microsoft.Extensions.Time.Testing.FakeTimeProvider;

namespace Gravity.Usage.IntegrationTests.Periods;

/// <summary>
/// Base of the billing period tests, run on SQLite and PostgreSQL: the provider's fresh database, the Stripe stand-in
/// over loopback HTTP on the test's clock (so its 35-day window follows the scenario's dates), and usage billing
/// registered as a host does, delivering to the stand-in through Stripe.net.
/// </summary>
/// <typeparam name="TFixture">The provider.</typeparam>
public abstract class BillingPeriodTest<TFixture>
    where TFixture : IStoreFixture, new()
{
    protected const string ApiCalls = "api_calls";

    private readonly List<ServiceProvider> _providers = [];
    private StripeStandIn? _stripe;

    protected TFixture Fixture { get; private set; } = default!;

    protected StandInClock Clock { get; private set; } = null!;

    protected StripeStandIn Stripe => _stripe ?? throw new InvalidOperationException("Call StartAsync first.");

    [SetUp]
    public async Task CreateDatabaseAsync()
    {
        Fixture = new TFixture();
        await Fixture.InitializeAsync();
    }

    [TearDown]
    public async Task DisposeAllAsync()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }

        if (_stripe is not null)
        {
            await _stripe.DisposeAsync();
        }

        await Fixture.DisposeAsync();
    }

    /// <summary>Starts the stand-in on a clock at <paramref name="now"/> and builds usage billing on the fixture's database.</summary>
    protected async Task<ServiceProvider> StartAsync(DateTimeOffset now, Action<UsageBillingBuilder>? billing = null, Action<UsageBillingOptions>? options = null)
    {
        Clock = new StandInClock(now);
        _stripe = new StripeStandIn(new StripeStandInOptions { TimeProvider = Clock });
        var stripeBase = await _stripe.StartAsync();
        _stripe.AddMeter(ApiCalls);
        return Build(billing, options, stripeBase);
    }

    /// <summary>Another host on the same database and stand-in (another app instance).</summary>
    protected ServiceProvider Build(Action<UsageBillingBuilder>? billing = null, Action<UsageBillingOptions>? options = null, Uri? stripeBase = null)
    {
        stripeBase ??= Stripe.BaseAddress!;
        var provider = new ServiceCollection()
            .AddSingleton<TimeProvider>(Clock)
            .AddUsageBilling(u =>
            {
                Fixture.UseStore(u);
                u.AddMeter(ApiCalls)
                    .Configure(o => options?.Invoke(o))
                    .UseStripe(o =>
                    {
                        o.ApiKey = StripeStandIn.DefaultApiKey;
                        o.ApiBase = stripeBase;
                        o.MaxNetworkRetries = 0;
                    });
                billing?.Invoke(u);
            })
            .BuildServiceProvider();
        _providers.Add(provider);
        return provider;
    }

    /// <summary>Moves the clock to <paramref name="at"/> and records usage then, waiting for the commit.</summary>
    protected async Task RecordAtAsync(IServiceProvider provider, string account, long quantity, DateTimeOffset at)
    {
        Clock.SetUtcNow(at);
        Assert.That(await provider.GetRequiredService<IUsageMeter>().IncrementAsync(account, quantity, ApiCalls), Is.EqualTo(IncrementOutcome.Recorded));
    }

    /// <summary>Closes and delivers all of an account's usage, the bucket in progress included; every report must be sent.</summary>
    protected static async Task DeliverAsync(IServiceProvider provider, string account)
    {
        var reporter = provider.GetRequiredService<IUsageReporter>();
        var run = await reporter.ReportAccountAsync(account);
        Assert.That((run.Failed, run.WaitingForRetry, run.Unknown), Is.EqualTo((0, 0, 0)), "every report was delivered");
    }

    /// <summary>What Stripe bills a customer for a period: its meter aggregate over events stamped inside the period.</summary>
    protected long Billed(string customer, DateTimeOffset from, DateTimeOffset to) =>
        (long)Stripe.GetMeterAggregate(ApiCalls, customer, from, to);

    protected static Task<IReadOnlyList<UsageReport>> ReportsAsync(IServiceProvider provider, string account) =>
        provider.GetRequiredService<IUsageReporter>().ListReportsAsync(new UsageReportQuery { Account = account, Limit = 1_000 });

    protected static Task SaveAsync(IServiceProvider provider, UsageAccount account) =>
        provider.GetRequiredService<IUsageAccountStore>().SaveAccountAsync(account);

    protected static DateTimeOffset Utc(int year, int month, int day, int hour = 0, int minute = 0, int second = 0) =>
        new(year, month, day, hour, minute, second, TimeSpan.Zero);
}
