using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Gravity.Usage.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Gravity.Usage.AspNetCore.Tests.Support;

/// <summary>
/// An application configured as a user would: usage billing on a SQLite file, Stripe at the stand-in over loopback
/// HTTP, OpenTelemetry exporting the library's meter and source into memory, the usage health checks at
/// <c>/health</c> (answered as JSON, one entry per check), and an endpoint that meters API calls. Usage time runs on a
/// <see cref="FakeTimeProvider"/> so that buckets close and reports age when the test says so.
/// </summary>
public abstract class ObservedHostTest
{
    protected const string ApiCalls = "api_calls";
    protected const string ApiCallsEvent = "gravity_api_calls";

    private readonly List<WebApplication> _apps = [];

    protected StripeStandIn Stripe { get; private set; } = null!;

    protected string DatabasePath { get; private set; } = null!;

    /// <summary>Gets the usage clock: three hours before the real time, ten minutes into an hour.</summary>
    /// <remarks>
    /// Stripe (and the stand-in) refuse meter events stamped in the future on their real clock, so usage time stays in
    /// the past however far a test moves it (at most three hours here).
    /// </remarks>
    protected FakeTimeProvider Clock { get; private set; } = null!;

    protected List<MetricSnapshot> Metrics { get; } = [];

    protected List<Activity> Spans { get; } = [];

    [SetUp]
    public async Task StartStripeAsync()
    {
        Stripe = new StripeStandIn();
        await Stripe.StartAsync();
        Stripe.AddMeter(ApiCallsEvent);
        DatabasePath = Path.Combine(Path.GetTempPath(), $"gravity-usage-observed-{Guid.NewGuid():N}.db");
        var now = TimeProvider.System.GetUtcNow();
        Clock = new FakeTimeProvider(new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 10, 0, TimeSpan.Zero).AddHours(-3));
        Metrics.Clear();
        Spans.Clear();
    }

    [TearDown]
    public async Task StopAsync()
    {
        foreach (var app in _apps)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        _apps.Clear();
        await Stripe.DisposeAsync();
        SqliteConnection.ClearAllPools();
        foreach (var file in new[] { DatabasePath, DatabasePath + "-wal", DatabasePath + "-shm" })
        {
            File.Delete(file);
        }
    }

    /// <summary>Builds and starts the application on the test server.</summary>
    protected async Task<WebApplication> StartHostAsync(Action<UsageHealthCheckOptions>? outbox = null)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<TimeProvider>(Clock);
        var stripeBase = Stripe.BaseAddress!;
        builder.Services.AddUsageBilling(u => u
            .UseSqlite($"Data Source={DatabasePath}")
            .AddMeter(ApiCalls, m => m.StripeEventName = ApiCallsEvent)
            .UseStripe(o =>
            {
                o.ApiKey = StripeStandIn.DefaultApiKey;
                o.ApiBase = stripeBase;
                // A refused or failed call is answered at once: Stripe.net's own retries would only add real-time waits.
                o.MaxNetworkRetries = 0;
            }));
        builder.Services.AddUsageProblemDetails();
        builder.Services.AddHealthChecks().AddUsageLedger().AddUsageOutbox(outbox);
        builder.Services.AddOpenTelemetry()
            .WithMetrics(m => m.AddMeter(UsageTelemetry.MeterName).AddInMemoryExporter(Metrics))
            .WithTracing(t => t.AddSource(UsageTelemetry.ActivitySourceName).AddInMemoryExporter(Spans));

        var app = builder.Build();
        _apps.Add(app);
        app.UseExceptionHandler();
        app.MapPost("/calls", async (string account, string? key, IUsageMeter usage) =>
            Results.Ok(new { outcome = (await usage.IncrementAsync(account, 1, ApiCalls, idempotencyKey: key)).ToString() }));
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = WriteHealthAsync });
        await app.StartAsync();
        return app;
    }

    /// <summary>Stops and disposes the application, releasing the ledger file.</summary>
    protected static async Task StopHostAsync(WebApplication app)
    {
        await app.StopAsync();
        await app.DisposeAsync();
        SqliteConnection.ClearAllPools();
    }

    protected static async Task<HttpStatusCode> PostCallAsync(WebApplication app, string account, string? key = null)
    {
        var path = $"/calls?account={Uri.EscapeDataString(account)}" + (key is null ? string.Empty : $"&key={Uri.EscapeDataString(key)}");
        using var response = await app.GetTestClient().PostAsync(new Uri(path, UriKind.Relative), content: null);
        return response.StatusCode;
    }

    protected static Task MapAsync(WebApplication app, string account, string customer) =>
        app.Services.GetRequiredService<IUsageAccountStore>().SaveAccountAsync(new UsageAccount(account) { StripeCustomerId = customer });

    protected static Task<ReportRun> ReportAsync(WebApplication app) => app.Services.GetRequiredService<IUsageReporter>().ReportAsync();

    /// <summary>Gets <c>/health</c>: the HTTP status, the overall status and each check's status and description.</summary>
    protected static async Task<HealthAnswer> GetHealthAsync(WebApplication app)
    {
        using var response = await app.GetTestClientAsync("/health");
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var entries = json.RootElement.GetProperty("entries").EnumerateObject().ToDictionary(
            e => e.Name,
            e => (Status: e.Value.GetProperty("status").GetString()!, Description: e.Value.GetProperty("description").GetString() ?? string.Empty));
        return new HealthAnswer(response.StatusCode, json.RootElement.GetProperty("status").GetString()!, entries);
    }

    /// <summary>Collects the metrics now; the last snapshot of an instrument holds its cumulative values.</summary>
    protected MetricSnapshot Metric(WebApplication app, string name)
    {
        Metrics.Clear();
        Assert.That(app.Services.GetRequiredService<MeterProvider>().ForceFlush(), Is.True, "the meter provider flushed");
        var metric = Metrics.LastOrDefault(m => m.Name == name);
        Assert.That(metric, Is.Not.Null, $"{name} was exported; exported: {string.Join(", ", Metrics.Select(m => m.Name).Distinct())}");
        return metric!;
    }

    /// <summary>The points of a counter or histogram: their tags, and the sum (a counter) or count (a histogram).</summary>
    protected static List<(Dictionary<string, object?> Tags, long Value)> Points(MetricSnapshot metric)
    {
        var points = new List<(Dictionary<string, object?>, long)>();
        foreach (var point in metric.MetricPoints)
        {
            var tags = new Dictionary<string, object?>();
            foreach (var tag in point.Tags)
            {
                tags[tag.Key] = tag.Value;
            }

            var value = metric.MetricType switch
            {
                MetricType.Histogram => point.GetHistogramCount(),
                MetricType.LongSum or MetricType.LongSumNonMonotonic => point.GetSumLong(),
                _ => throw new InvalidOperationException($"{metric.Name} is a {metric.MetricType}"),
            };
            points.Add((tags, value));
        }

        return points;
    }

    /// <summary>The value of the point whose tags are exactly <paramref name="tags"/>; 0 when there is none.</summary>
    protected static long ValueAt(MetricSnapshot metric, params (string Key, string Value)[] tags) =>
        Points(metric)
            .Where(p => p.Tags.Count == tags.Length && tags.All(t => p.Tags.TryGetValue(t.Key, out var v) && Equals(v, t.Value)))
            .Sum(p => p.Value);

    private static Task WriteHealthAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, new
        {
            status = report.Status.ToString(),
            entries = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        });
    }

    protected sealed record HealthAnswer(HttpStatusCode HttpStatus, string Status, Dictionary<string, (string Status, string Description)> Entries);
}
