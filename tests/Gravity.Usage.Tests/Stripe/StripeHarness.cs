using Gravity.Usage.Stripe;
using Gravity.Usage.Telemetry;
using Microsoft.Extensions.Time.Testing;

namespace Gravity.Usage.Tests.Stripe;

/// <summary>
/// Stripe sinks on Stripe.net over a scripted HTTP handler (no network), with pacing on a fake clock. Stripe.net's own
/// retries wait real time (0.5 s, then 1 s), so tests that exhaust them take a second or two.
/// </summary>
internal sealed class StripeHarness : IDisposable
{
    public const string ApiKey = "sk_test_51HarnessSecretKeyThatMustNeverLeak0123456789";

    public static readonly DateTimeOffset Start = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    private readonly HttpClient _http;

    public StripeHarness()
    {
        Clock = new FakeTimeProvider(Start);
        Handler = new StubHttpHandler(Clock.GetUtcNow);
        _http = new HttpClient(Handler) { Timeout = Timeout.InfiniteTimeSpan };
        Options = new StripeOptions
        {
            ApiKey = ApiKey,
            ApiBase = new Uri("https://stripe.test"),
            HttpClient = _http,
            MaxRequestsPerSecond = 1_000_000,
        };
    }

    public FakeTimeProvider Clock { get; }

    public StubHttpHandler Handler { get; }

    public StripeOptions Options { get; }

    public TestLogger Logger { get; } = new();

    public StripeMeterEventSink MeterEventSink(UsageInstruments? instruments = null) => new(new StripeTransport(Options, Clock, instruments), Logger);

    public StripeUsageRecordSink UsageRecordSink(UsageInstruments? instruments = null) => new(new StripeTransport(Options, Clock, instruments), Logger);

    public StripeMeterEventStreamSink StreamSink(UsageInstruments? instruments = null) => new(new StripeTransport(Options, Clock, instruments), Clock, Logger);

    public static UsageDelivery Delivery(
        string identifier = "evt-1",
        long quantity = 25,
        string? customer = "cus_123",
        string eventName = "api_calls",
        string meter = "api",
        string? subscriptionItem = "si_123")
    {
        var report = new UsageReport
        {
            Id = 1,
            Identifier = identifier,
            Account = "acme",
            Meter = meter,
            BucketStart = DateTimeOffset.FromUnixTimeSeconds(1_790_000_000),
            Quantity = quantity,
            Status = UsageReportStatus.Pending,
            CreatedAt = Start,
        };
        var items = new Dictionary<string, string>(StringComparer.Ordinal);
        if (subscriptionItem is not null)
        {
            items[meter] = subscriptionItem;
        }

        return new UsageDelivery(report, eventName, new UsageAccount("acme") { StripeCustomerId = customer, SubscriptionItems = items });
    }

    /// <summary>A form body decoded into its pairs (Stripe.net escapes brackets; Stripe decodes both alike).</summary>
    public static Dictionary<string, string> Form(string? body) =>
        (body ?? string.Empty).Split('&').Select(pair => pair.Split('=', 2)).ToDictionary(p => Uri.UnescapeDataString(p[0]), p => Uri.UnescapeDataString(p[1]), StringComparer.Ordinal);

    public void Dispose() => _http.Dispose();
}
