using Gravity.Usage.Stripe;

namespace Gravity.Usage.Tests.Stripe;

/// <summary>
/// A Stripe client on a scripted HTTP handler and a fake clock. Back-off and pacing waits are recorded and move the
/// fake clock instead of sleeping; the jitter is fixed at its maximum (factor 1.0) unless a test changes it.
/// </summary>
internal sealed class StripeHarness : IDisposable
{
    public const string ApiKey = "sk_test_51HarnessSecretKeyThatMustNeverLeak0123456789";

    public static readonly DateTimeOffset Start = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    private readonly List<TimeSpan> _waits = [];
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

    public Func<double> Random { get; set; } = () => 1.0;

    /// <summary>Gets the waits the client asked for (back-off and pacing), in order.</summary>
    public IReadOnlyList<TimeSpan> Waits
    {
        get
        {
            lock (_waits)
            {
                return [.. _waits];
            }
        }
    }

    /// <summary>Gets or sets whether recorded waits move the fake clock (the default) or leave it where it is.</summary>
    public bool WaitsAdvanceClock { get; set; } = true;

    /// <summary>A client whose waits are recorded; <paramref name="realWaits"/> makes it wait on the fake clock instead.</summary>
    public StripeClient Client(bool realWaits = false) =>
        new(Options, Clock, Logger, realWaits ? null : RecordWait, () => Random());

    public StripeMeterEventSink MeterEventSink() => new(Client(), Logger);

    public StripeUsageRecordSink UsageRecordSink() => new(Client(), Logger);

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

    public static KeyValuePair<string, string>[] MeterEventForm() =>
    [
        new("event_name", "api_calls"),
        new("payload[stripe_customer_id]", "cus_123"),
        new("payload[value]", "25"),
        new("identifier", "evt-1"),
        new("timestamp", "1790000000"),
    ];

    public void Dispose() => _http.Dispose();

    private Task RecordWait(TimeSpan delay, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        lock (_waits)
        {
            _waits.Add(delay);
        }

        if (WaitsAdvanceClock)
        {
            Clock.Advance(delay);
        }

        return Task.CompletedTask;
    }
}
