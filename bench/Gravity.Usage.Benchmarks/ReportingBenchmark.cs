using System.Diagnostics;
using Gravity.Usage.Sqlite;
using Gravity.Usage.Stripe;
using Gravity.Usage.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Gravity.Usage.Benchmarks;

/// <summary>
/// Reporting to Stripe, measured against the stand-in over loopback HTTP: delivery rate under a client-side rate
/// limit with added latency, and Stripe calls per increments when many increments share a bucket.
/// </summary>
internal static class ReportingBenchmark
{
    private const string Meter = "api_calls";

    public sealed record DeliveryResult(StripeUsageApi Api, int Reports, double Seconds, double PerSecond, double Limit, int PeakPerSecond, int TooManyRequests, int Requests, string? Failure);

    public sealed record CallsResult(long Increments, int Accounts, int StripeCalls, double IncrementSeconds, string? Failure);

    /// <summary>
    /// Delivers <paramref name="reports"/> pending reports through <paramref name="api"/> at a client-side limit of
    /// <paramref name="limit"/> requests/s (v1) or events/s (the v2 stream), with <paramref name="latency"/> per answer.
    /// </summary>
    public static async Task<DeliveryResult> RunDeliveryAsync(StripeUsageApi api, int reports, double limit, TimeSpan latency)
    {
        using var database = TempDatabase.Create();
        await using var standIn = new StripeStandIn(new StripeStandInOptions { ResponseDelay = latency, AutoCreateCustomers = true });
        standIn.AddMeter(Meter);
        var address = await standIn.StartAsync();
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var store = new SqliteUsageStore(new SqliteUsageStoreOptions { ConnectionString = database.ConnectionString }, clock);

        // One pending report per account, closed before the clock starts: the figure is delivery alone.
        var bucket = await SeedAsync(store, clock, reports);
        clock.Advance(TimeSpan.FromHours(1));
        foreach (var chunk in Enumerable.Range(0, reports).Chunk(2_000))
        {
            await store.CloseAsync(chunk.Select(a => new ReportClosing($"acct_{a:D5}", Meter, bucket, bucket.AddHours(1), null)).ToList(), clock.GetUtcNow());
        }

        var stream = api == StripeUsageApi.MeterEventStream;
        using var sink = (IDisposable)StripeSinks.Create(new StripeOptions
        {
            ApiKey = StripeStandIn.DefaultApiKey,
            ApiBase = address,
            Api = api,
            MaxRequestsPerSecond = stream ? 100 : limit,
            MaxStreamEventsPerSecond = stream ? limit : 10_000,
        });
        var reporter = new UsageReporter(
            store,
            (IUsageSink)sink,
            new MappedAccounts(),
            Options.Create(BillingOptions()),
            Options.Create(new UsageReportingOptions { MaxConcurrency = 64, DeliveryBatchSize = stream ? 5_000 : 1_000, CloseSliceSize = 2_000 }),
            clock);

        var started = Stopwatch.GetTimestamp();
        var run = await reporter.ReportAsync();
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

        var path = stream ? "/v2/billing/meter_event_stream" : "/v1/billing/meter_events";
        var requests = standIn.Requests.Where(r => r.Path == path).ToList();
        var peak = requests.Count == 0 ? 0 : PeakPerSecond(requests.Select(r => r.ReceivedAt).Order().ToList());
        var tooMany = requests.Count(r => r.StatusCode == 429);
        string? failure = null;
        if (run.Sent != reports || standIn.AcceptedIdentifiers.Count != reports)
        {
            failure = $"sent {run.Sent} and Stripe accepted {standIn.AcceptedIdentifiers.Count} of {reports} reports";
        }

        return new DeliveryResult(api, reports, seconds, run.Sent / seconds, limit, peak, tooMany, requests.Count, failure);
    }

    /// <summary>Counts Stripe calls for <paramref name="increments"/> increments over <paramref name="accounts"/> accounts in one bucket.</summary>
    public static async Task<CallsResult> RunCallsPerIncrementsAsync(long increments, int accounts, int callers)
    {
        using var database = TempDatabase.Create();
        await using var standIn = new StripeStandIn(new StripeStandInOptions { AutoCreateCustomers = true });
        standIn.AddMeter(Meter);
        var address = await standIn.StartAsync();
        var now = TimeProvider.System.GetUtcNow();
        var clock = new FakeTimeProvider(new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddMinutes(1));
        await using var store = new SqliteUsageStore(new SqliteUsageStoreOptions { ConnectionString = database.ConnectionString }, clock);
        var billing = Options.Create(BillingOptions());

        var started = Stopwatch.GetTimestamp();
        await using (var meter = new UsageMeter(store, billing, clock))
        {
            var perCaller = increments / callers;
            await Task.WhenAll(Enumerable.Range(0, callers).Select(async caller =>
            {
                for (long i = 0; i < perCaller; i++)
                {
                    await meter.IncrementAsync($"acct_{(caller + (i * callers)) % accounts:D4}", 1, Meter);
                }
            }));
        }

        var incrementSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        clock.Advance(TimeSpan.FromHours(1));
        using var sink = new StripeMeterEventSink(new StripeOptions { ApiKey = StripeStandIn.DefaultApiKey, ApiBase = address, MaxRequestsPerSecond = 1_000 });
        var reporter = new UsageReporter(store, sink, new MappedAccounts(), billing, Options.Create(new UsageReportingOptions { MaxConcurrency = 32 }), clock);
        await reporter.ReportAsync();

        var total = increments / callers * callers;
        var calls = standIn.CountRequests("POST", "/v1/billing/meter_events");
        var stripeTotal = Enumerable.Range(0, accounts).Sum(a => standIn.GetMeterTotal(Meter, $"cus_acct_{a:D4}"));
        var failure = stripeTotal == total ? null : $"Stripe counted {stripeTotal} of {total} increments";
        return new CallsResult(total, accounts, calls, incrementSeconds, failure);
    }

    private static UsageBillingOptions BillingOptions()
    {
        var options = new UsageBillingOptions();
        options.Meters[Meter] = new MeterOptions();
        return options;
    }

    /// <summary>Writes one counter per account straight through the store, in a few large batches.</summary>
    private static async Task<DateTimeOffset> SeedAsync(SqliteUsageStore store, TimeProvider clock, int accounts)
    {
        var now = clock.GetUtcNow();
        var bucket = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerHour), TimeSpan.Zero);
        foreach (var chunk in Enumerable.Range(0, accounts).Chunk(4_096))
        {
            await store.WriteAsync(chunk.Select(a => new UsageIncrement($"acct_{a:D5}", Meter, bucket, 1 + (a % 7), null, now)).ToArray());
        }

        return bucket;
    }

    private static int PeakPerSecond(List<DateTimeOffset> times)
    {
        var peak = 0;
        var start = 0;
        for (var end = 0; end < times.Count; end++)
        {
            while (times[end] - times[start] >= TimeSpan.FromSeconds(1))
            {
                start++;
            }

            peak = Math.Max(peak, end - start + 1);
        }

        return peak;
    }

    /// <summary>Every account is billable, with a Stripe customer named after it (the stand-in creates customers on first use).</summary>
    private sealed class MappedAccounts : IUsageAccountResolver
    {
        public Task<UsageAccount?> ResolveAsync(string account, CancellationToken cancellationToken = default) =>
            Task.FromResult<UsageAccount?>(new UsageAccount(account) { StripeCustomerId = "cus_" + account });
    }
}
