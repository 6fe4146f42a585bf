using Gravity.Usage.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Gravity.Usage.IntegrationTests.Simulation;

/// <summary>
/// One simulated application process, wired as a host wires usage billing (<c>AddUsageBilling</c> with the Stripe
/// sink), over its own store on the shared ledger. Its store and its HTTP path to Stripe pass through the crash
/// wrappers, so an armed crash kills it at a precise point; a restart is a new process on the same ledger.
/// </summary>
public sealed class SimProcess : IAsyncDisposable
{
    public static readonly TimeSpan BucketSize = TimeSpan.FromHours(1);

    /// <summary>Gets how long a claim lasts; short, so that the drain gets past a dead reporter's leases quickly.</summary>
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromMinutes(1);

    private readonly ServiceProvider _provider;
    private readonly HttpClient _http;

    private SimProcess(ServiceProvider provider, HttpClient http, ProcessLife life)
    {
        _provider = provider;
        _http = http;
        Life = life;
        Meter = provider.GetRequiredService<UsageMeter>();
        Reporter = provider.GetRequiredService<IUsageReporter>();
        Accounts = provider.GetRequiredService<IUsageAccountStore>();
    }

    public ProcessLife Life { get; }

    public UsageMeter Meter { get; }

    public IUsageReporter Reporter { get; }

    public IUsageAccountStore Accounts { get; }

    public static SimProcess Start(SimulationSchedule schedule, SimLedger ledger, TimeProvider clock, StripeStandIn stripe, ICrashObserver observer)
    {
        var life = new ProcessLife();
        HttpMessageHandler transport = schedule.Loopback ? new SocketsHttpHandler() : stripe.CreateHandler();
        var http = new HttpClient(new CrashingStripeHandler(life, transport), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        var apiBase = schedule.Loopback ? stripe.BaseAddress! : StripeStandIn.InProcessBaseAddress;
        var services = new ServiceCollection()
            .AddSingleton(clock)
            .AddUsageBilling(u =>
            {
                u.UseStore(_ => new CrashingStore(ledger.OpenStore(clock, BucketSize), life, observer))
                    .Configure(o => o.BucketSize = BucketSize)
                    .UseStripe(o =>
                    {
                        o.ApiKey = StripeStandIn.DefaultApiKey;
                        o.ApiBase = apiBase;
                        o.HttpClient = http;
                        o.MaxNetworkRetries = schedule.MaxNetworkRetries;
                        // Timeouts are real time: short, so that a seed with timeouts stays fast.
                        o.RequestTimeout = TimeSpan.FromMilliseconds(300);
                        o.MaxRequestsPerSecond = 10_000;
                    })
                    .ConfigureReporting(r =>
                    {
                        r.LeaseDuration = LeaseDuration;
                        r.RetryBaseDelay = TimeSpan.FromSeconds(5);
                        r.RetryMaxDelay = TimeSpan.FromMinutes(10);
                        // Small slices and claims: more transactions per run, so more places for a crash to strike.
                        r.CloseSliceSize = 3;
                        r.DeliveryBatchSize = 3;
                        r.MaxConcurrency = 4;
                    });
                foreach (var meter in SimulationSchedule.MeterNames)
                {
                    u.AddMeter(meter, m => m.StripeEventName = SimulationSchedule.EventName(meter));
                }
            });
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        return new SimProcess(provider, http, life);
    }

    /// <summary>Ends the process: a live one commits what is queued; a dead one's calls all fail, so nothing more is written.</summary>
    public async ValueTask DisposeAsync()
    {
        await _provider.DisposeAsync();
        _http.Dispose();
    }
}
