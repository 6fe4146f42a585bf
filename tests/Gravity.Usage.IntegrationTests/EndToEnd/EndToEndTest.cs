using System.Net;
using Gravity.Usage.Stripe;
using Gravity.Usage.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SqliteFile = Gravity.Usage.IntegrationTests.Infrastructure.SqliteFile;

namespace Gravity.Usage.IntegrationTests.EndToEnd;

/// <summary>
/// Base of the end-to-end tests of reporting to Stripe: a fresh SQLite ledger, the Stripe stand-in over loopback HTTP
/// (on real time, as Stripe's timestamp window is checked against it), and usage billing registered as a host would
/// (<c>AddUsageBilling(...).UseStripe(...)</c>) on a <see cref="SteppedClock"/> that starts two days before real now.
/// </summary>
public abstract class EndToEndTest
{
    protected const string ApiCalls = "api_calls";
    protected const string Tokens = "tokens";
    protected const string ApiCallsEvent = "gravity_api_calls";
    protected const string TokensEvent = "gravity_tokens";
    protected const string MeterEventsPath = "/v1/billing/meter_events";

    /// <summary>How long a test waits for something that only a bug would prevent, so that it fails instead of hanging.</summary>
    protected static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    private readonly List<ServiceProvider> _providers = [];
    private StripeStandIn? _stripe;

    /// <summary>
    /// The library clock's first "now": 30 minutes into an hour, two days before real time, so that every bucket a
    /// test writes lies well inside Stripe's window (the last 35 days) even after the clock moved a few hours.
    /// </summary>
    protected DateTimeOffset Start { get; private set; }

    protected SteppedClock Clock { get; private set; } = null!;

    protected SqliteFile Database { get; private set; } = null!;

    protected CapturedLogs Logs { get; private set; } = null!;

    /// <summary>A distinctive secret key that the stand-in accepts (any <c>sk_test_</c> key, unless a test says otherwise).</summary>
    protected string ApiKey { get; private set; } = null!;

    protected StripeStandIn Stripe => _stripe ?? throw new InvalidOperationException("Call StartStripeAsync first.");

    protected Uri StripeBase => Stripe.BaseAddress ?? throw new InvalidOperationException("The stand-in is not started.");

    /// <summary>The start of the bucket <paramref name="hours"/> hours before the one in progress at <see cref="Start"/> (which 0 is).</summary>
    protected DateTimeOffset HoursBeforeStart(int hours) => Start.AddMinutes(-30).AddHours(-hours);

    [SetUp]
    public void CreateLedger()
    {
        var now = TimeProvider.System.GetUtcNow();
        Start = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 30, 0, TimeSpan.Zero).AddDays(-2);
        Clock = new SteppedClock(Start);
        Database = new SqliteFile();
        Logs = new CapturedLogs();
        ApiKey = "sk_test_e2e_" + Guid.NewGuid().ToString("N");
    }

    [TearDown]
    public async Task DisposeAllAsync()
    {
        await DisposeProvidersAsync();
        if (_stripe is not null)
        {
            await _stripe.DisposeAsync();
            _stripe = null;
        }

        Database.Delete();
        Logs.Dispose();
    }

    /// <summary>Creates and starts the stand-in with the given options; it is disposed after the test.</summary>
    protected async Task<StripeStandIn> StartStripeAsync(Action<StripeStandInOptions>? configure = null)
    {
        var options = new StripeStandInOptions();
        configure?.Invoke(options);
        _stripe = new StripeStandIn(options);
        await _stripe.StartAsync();
        return _stripe;
    }

    /// <summary>
    /// Usage billing as a host registers it: the SQLite ledger, the two meters with their Stripe event names, and the
    /// Stripe sink pointed at the stand-in; every log entry is captured.
    /// </summary>
    protected ServiceProvider BuildProvider(
        Action<StripeOptions>? stripe = null,
        Action<UsageReportingOptions>? reporting = null,
        Action<UsageBillingBuilder>? billing = null,
        TimeProvider? clock = null)
    {
        var stripeBase = StripeBase;
        var services = new ServiceCollection()
            .AddSingleton<TimeProvider>(clock ?? Clock)
            .AddLogging(b => b.AddProvider(Logs).SetMinimumLevel(LogLevel.Trace))
            .AddUsageBilling(u =>
            {
                u.UseSqlite(Database.ConnectionString)
                    .AddMeter(ApiCalls, m => m.StripeEventName = ApiCallsEvent)
                    .AddMeter(Tokens, m => m.StripeEventName = TokensEvent)
                    .UseStripe(o =>
                    {
                        o.ApiKey = ApiKey;
                        o.ApiBase = stripeBase;
                        o.MaxRequestsPerSecond = 1_000;
                        stripe?.Invoke(o);
                    })
                    .ConfigureReporting(r => reporting?.Invoke(r));
                billing?.Invoke(u);
            });
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        _providers.Add(provider);
        return provider;
    }

    /// <summary>Disposes every provider built so far (flushing their meters and closing the file).</summary>
    protected async Task DisposeProvidersAsync()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }

        _providers.Clear();
        SqliteConnection.ClearAllPools();
    }

    /// <summary>Maps an account to a Stripe customer (the stand-in's, unless told otherwise) in the built-in account table.</summary>
    protected static Task MapAsync(IServiceProvider provider, string account, string? customer, bool billable = true, IReadOnlyDictionary<string, string>? subscriptionItems = null) =>
        provider.GetRequiredService<IUsageAccountStore>().SaveAccountAsync(new UsageAccount(account)
        {
            StripeCustomerId = customer,
            Billable = billable,
            SubscriptionItems = subscriptionItems ?? new Dictionary<string, string>(StringComparer.Ordinal),
        });

    /// <summary>Records usage and waits until it is committed.</summary>
    protected static async Task RecordAsync(IServiceProvider provider, string account, string meter, long quantity, DateTimeOffset? at = null)
    {
        var outcome = await provider.GetRequiredService<UsageMeter>().IncrementAsync(account, quantity, meter, timestamp: at);
        Assert.That(outcome, Is.EqualTo(IncrementOutcome.Recorded));
    }

    /// <summary>An account's local total on one meter over every bucket a test can write.</summary>
    protected async Task<long> LocalTotalAsync(IServiceProvider provider, string account, string meter)
    {
        var summary = await provider.GetRequiredService<UsageMeter>().GetAsync(account, Start.AddDays(-60), Start.AddDays(60), meter);
        return summary.GetMeter(meter).Quantity;
    }

    protected static Task<IReadOnlyList<UsageReport>> ReportsAsync(IServiceProvider provider, UsageReportStatus? status = null, string? account = null) =>
        provider.GetRequiredService<IUsageReporter>().ListReportsAsync(new UsageReportQuery { Status = status, Account = account, Limit = 100_000 });

    /// <summary>
    /// Runs the reporter until no report is pending, moving the clock past the latest retry time after each run (as a
    /// schedule would); fails when reports are still pending after <paramref name="maxRuns"/> runs.
    /// </summary>
    protected async Task<IReadOnlyList<ReportRun>> RunUntilSettledAsync(IServiceProvider provider, int maxRuns = 10)
    {
        var reporter = provider.GetRequiredService<IUsageReporter>();
        var runs = new List<ReportRun>();
        for (var i = 0; i < maxRuns; i++)
        {
            runs.Add(await reporter.ReportAsync().WaitAsync(HangGuard));
            var pending = await ReportsAsync(provider, UsageReportStatus.Pending);
            if (pending.Count == 0)
            {
                return runs;
            }

            Clock.MoveTo(pending.Max(r => r.NextAttemptAt) + TimeSpan.FromSeconds(1));
        }

        var left = await ReportsAsync(provider, UsageReportStatus.Pending);
        Assert.Fail($"{left.Count} reports are still pending after {maxRuns} runs: {string.Join("; ", left.Take(5).Select(r => $"{r.Identifier} attempts {r.Attempts}: {r.LastError}"))}");
        return runs;
    }

    /// <summary>The form parameters of a recorded request.</summary>
    protected static IReadOnlyDictionary<string, string> Form(RecordedRequest request) =>
        request.Body.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(p => WebUtility.UrlDecode(p[0]), p => p.Length > 1 ? WebUtility.UrlDecode(p[1]) : string.Empty, StringComparer.Ordinal);

    /// <summary>The meter event requests that reached the stand-in.</summary>
    protected IReadOnlyList<RecordedRequest> MeterEventRequests() =>
        Stripe.Requests.Where(r => r.Method == "POST" && r.Path == MeterEventsPath).ToList();
}
