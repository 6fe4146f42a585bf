using Gravity.Usage.IntegrationTests.Contract;
using Gravity.Usage.Stripe;
using Gravity.Usage.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Gravity.Usage.IntegrationTests.Infrastructure;

/// <summary>
/// Base of the tests that bill through Stripe on every provider: a fresh database from <typeparamref name="TFixture"/>,
/// a meter on it with the meters of <see cref="DeclareMeters"/>, and the Stripe stand-in over loopback HTTP through
/// Stripe.net, all on one manual clock starting at <see cref="Start"/> (the stand-in's windows follow it).
/// </summary>
/// <typeparam name="TFixture">The provider.</typeparam>
public abstract class StandInLedgerTest<TFixture>
    where TFixture : IStoreFixture, new()
{
    protected const string ApiCalls = "api_calls";
    protected const string MeterEventsPath = "/v1/billing/meter_events";

    /// <summary>10:15 UTC: usage is recorded in the 10:00 bucket, which has ended once the clock passes 11:00.</summary>
    protected static readonly DateTimeOffset Start = new(2026, 3, 10, 10, 15, 0, TimeSpan.Zero);

    private readonly List<IDisposable> _disposables = [];
    private TFixture _fixture = default!;

    protected FakeTimeProvider Clock { get; private set; } = null!;

    protected PersistentStore Store { get; private set; } = null!;

    protected UsageMeter Meter { get; private set; } = null!;

    protected StripeStandIn Stripe { get; private set; } = null!;

    protected UsageBillingOptions Billing { get; private set; } = null!;

    /// <summary>Options of a Stripe client pointed at the stand-in, without retries or pacing to wait on.</summary>
    protected StripeOptions StripeOptions => new()
    {
        ApiKey = StripeStandIn.DefaultApiKey,
        ApiBase = Stripe.BaseAddress!,
        MaxRequestsPerSecond = 1_000,
        MaxNetworkRetries = 0,
    };

    [SetUp]
    public async Task CreateLedgerAsync()
    {
        _fixture = new TFixture();
        await _fixture.InitializeAsync();
        Clock = new FakeTimeProvider(Start);
        Store = _fixture.CreateStore(Clock);
        Billing = new UsageBillingOptions();
        DeclareMeters(Billing.Meters);
        Meter = new UsageMeter(Store.Ledger, Options.Create(Billing), Clock);
        Stripe = new StripeStandIn(new StripeStandInOptions { TimeProvider = Clock });
        await Stripe.StartAsync();
    }

    [TearDown]
    public async Task DisposeLedgerAsync()
    {
        // Null when the set-up stopped early (a provider that is unavailable ignores the test).
        if (Meter is not null)
        {
            await Meter.DisposeAsync();
        }

        foreach (var disposable in _disposables)
        {
            disposable.Dispose();
        }

        if (Stripe is not null)
        {
            await Stripe.DisposeAsync();
        }

        if (Store is not null)
        {
            await Store.DisposeAsync();
        }

        await _fixture.DisposeAsync();
    }

    /// <summary>Declares the test's meters, before the meter is built.</summary>
    protected virtual void DeclareMeters(IDictionary<string, MeterOptions> meters) => meters[ApiCalls] = new MeterOptions();

    /// <summary>Disposes <paramref name="disposable"/> when the test ends.</summary>
    protected T Track<T>(T disposable)
        where T : IDisposable
    {
        _disposables.Add(disposable);
        return disposable;
    }
}
