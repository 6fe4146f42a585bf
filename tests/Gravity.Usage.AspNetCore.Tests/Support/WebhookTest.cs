using System.Net.Http.Headers;
using System.Text;
using Gravity.Usage.AspNetCore;
using Gravity.Usage.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gravity.Usage.AspNetCore.Tests.Support;

/// <summary>
/// A host on ASP.NET Core's test server with usage billing on a fresh SQLite file, Stripe pointed at the stand-in over
/// loopback HTTP (through Stripe.net), and the webhook mapped at <see cref="WebhookPath"/>; all on real time, as the
/// stand-in checks Stripe's timestamp window and the signature's age is checked against it too.
/// </summary>
public abstract class WebhookTest
{
    protected const string Secret = "whsec_test_0123456789abcdef";
    protected const string WebhookPath = "/stripe/usage";
    protected const string ApiCalls = "api_calls";
    protected const string ApiCallsEvent = "gravity_api_calls";

    private readonly List<WebApplication> _apps = [];

    protected StripeStandIn Stripe { get; private set; } = null!;

    protected string DatabasePath { get; private set; } = null!;

    protected CapturedLogs Logs { get; private set; } = null!;

    [SetUp]
    public async Task StartStripeAsync()
    {
        Stripe = new StripeStandIn();
        await Stripe.StartAsync();
        Stripe.AddMeter(ApiCallsEvent);
        DatabasePath = Path.Combine(Path.GetTempPath(), $"gravity-usage-webhook-{Guid.NewGuid():N}.db");
        Logs = new CapturedLogs();
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
        Logs.Dispose();
        await Stripe.DisposeAsync();
        SqliteConnection.ClearAllPools();
        foreach (var file in new[] { DatabasePath, DatabasePath + "-wal", DatabasePath + "-shm" })
        {
            File.Delete(file);
        }
    }

    /// <summary>Builds and starts the host; <paramref name="configureServices"/> and <paramref name="configureApp"/> add to the defaults.</summary>
    protected async Task<WebApplication> StartHostAsync(
        Action<StripeUsageWebhookOptions>? webhook = null,
        Action<IServiceCollection>? configureServices = null,
        Action<WebApplication>? configureApp = null,
        Action<UsageBillingBuilder>? billing = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders().AddProvider(Logs).SetMinimumLevel(LogLevel.Trace);
        var stripeBase = Stripe.BaseAddress!;
        builder.Services.AddUsageBilling(u =>
        {
            u.UseSqlite($"Data Source={DatabasePath}")
                .AddMeter(ApiCalls, m => m.StripeEventName = ApiCallsEvent)
                .UseStripe(o =>
                {
                    o.ApiKey = StripeStandIn.DefaultApiKey;
                    o.ApiBase = stripeBase;
                });
            billing?.Invoke(u);
        });
        builder.Services.AddStripeUsageWebhook(o =>
        {
            o.WebhookSecret = Secret;
            webhook?.Invoke(o);
        });
        configureServices?.Invoke(builder.Services);
        var app = builder.Build();
        _apps.Add(app);
        app.MapStripeUsageWebhook(WebhookPath);
        configureApp?.Invoke(app);
        await app.StartAsync();
        return app;
    }

    /// <summary>Posts a body with a <c>Stripe-Signature</c> header (none when <paramref name="signature"/> is <see langword="null"/>).</summary>
    protected static async Task<HttpResponseMessage> PostAsync(WebApplication app, string body, string? signature)
    {
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        using var request = new HttpRequestMessage(HttpMethod.Post, WebhookPath) { Content = content };
        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation("Stripe-Signature", signature);
        }

        return await app.GetTestClient().SendAsync(request);
    }

    /// <summary>Posts a body signed now with the endpoint's secret.</summary>
    protected static Task<HttpResponseMessage> PostSignedAsync(WebApplication app, string body) =>
        PostAsync(app, body, StripeSignature.Sign(body, Secret, TimeProvider.System.GetUtcNow().ToUnixTimeSeconds()));

    protected static Task MapAsync(WebApplication app, string account, string customer) =>
        app.Services.GetRequiredService<IUsageAccountStore>().SaveAccountAsync(new UsageAccount(account) { StripeCustomerId = customer });

    protected static Task IncrementAsync(WebApplication app, string account, long quantity) =>
        app.Services.GetRequiredService<IUsageMeter>().IncrementAsync(account, quantity, ApiCalls);

    /// <summary>The account's api_calls usage over the last and next day: total and not yet reported.</summary>
    protected static async Task<MeterUsage> LedgerAsync(WebApplication app, string account)
    {
        var now = TimeProvider.System.GetUtcNow();
        var summary = await app.Services.GetRequiredService<IUsageMeter>().GetAsync(account, now.AddDays(-1), now.AddDays(1), ApiCalls);
        return summary.GetMeter(ApiCalls);
    }

    protected static async Task<string> ReadAsync(HttpResponseMessage response) => await response.Content.ReadAsStringAsync();
}
