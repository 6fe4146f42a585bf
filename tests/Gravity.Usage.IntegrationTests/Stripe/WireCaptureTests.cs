using System.Globalization;
using System.Text;
using Gravity.Usage.Stripe;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gravity.Usage.IntegrationTests.Stripe;

/// <summary>
/// Checks the Stripe encoder and sinks against what the official Node SDK sent on the wire
/// (reference/stripe-node-wire-captures.txt, read at test time): bodies byte for byte, and the headers Stripe reads.
/// The sinks run against a raw HTTP listener on 127.0.0.1, so the headers are checked as they leave the socket.
/// </summary>
public sealed class WireCaptureTests
{
    private const string ApiKey = "sk_test_oracle";

    /// <summary>Headers stripe-node sends that this client deliberately does not: its JSON client telemetry, and keep-alive (HTTP/1.1's default).</summary>
    private static readonly string[] s_nodeOnlyHeaders = ["x-stripe-client-user-agent", "connection"];

    private static readonly IReadOnlyList<WireCapture> s_captures = WireCapture.Load();

    private static IEnumerable<WireCapture> FormCaptures() =>
        s_captures.Where(c => c.Header("content-type") == "application/x-www-form-urlencoded" && c.Body.Length > 0);

    [Test]
    public void CapturesFile_HoldsEveryRecordedRequest()
    {
        Assert.Multiple(() =>
        {
            Assert.That(s_captures, Has.Count.EqualTo(11));
            Assert.That(FormCaptures().Count(), Is.EqualTo(6));
            Assert.That(s_captures.Where(c => c.Query is not null).Count(), Is.EqualTo(2));
            Assert.That(s_captures.Where(c => c.Body.Length > 0), Has.All.Matches<WireCapture>(c => int.Parse(c.Header("content-length")!, CultureInfo.InvariantCulture) == Encoding.UTF8.GetByteCount(c.Body)), "content-length agrees with the parsed body");
        });
    }

    [TestCaseSource(nameof(FormCaptures))]
    public void FormBody_IsReproducedByteForByte(WireCapture capture)
    {
        var parameters = WireCapture.DecodeForm(capture.Body);

        Assert.That(Encoding.UTF8.GetBytes(StripeFormEncoder.Encode(parameters)), Is.EqualTo(Encoding.UTF8.GetBytes(capture.Body)));
    }

    [Test]
    public void QueryStrings_AreReproducedByteForByte()
    {
        var queries = s_captures.Select(c => c.Query).OfType<string>().ToList();

        Assert.That(queries.Select(q => StripeFormEncoder.Encode(WireCapture.DecodeForm(q))), Is.EqualTo(queries));
    }

    [Test]
    public void Captures_RetriedRequestKeepsItsIdempotencyKey()
    {
        var attempts = s_captures.Where(c => c.Method == "POST" && c.Path == "/v1/billing/meter_events").ToList();

        Assert.Multiple(() =>
        {
            Assert.That(attempts.Select(a => a.Attempt), Is.EqualTo(new[] { 1, 2 }));
            Assert.That(attempts.Select(a => a.Header("idempotency-key")).Distinct().Count(), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task MeterEventSink_SendsWhatStripeNodeSent()
    {
        var capture = s_captures.First(c => c.Method == "POST" && c.Path == "/v1/billing/meter_events");
        var parameters = WireCapture.DecodeForm(capture.Body).ToDictionary(p => p.Key, p => p.Value);
        await using var server = new RawHttpServer().Then(200, "{\"object\":\"billing.meter_event\"}");
        using var sink = new StripeMeterEventSink(Options(server));
        var delivery = Delivery(
            identifier: parameters["identifier"],
            eventName: parameters["event_name"],
            customer: parameters["payload[stripe_customer_id]"],
            quantity: long.Parse(parameters["payload[value]"], CultureInfo.InvariantCulture),
            timestamp: long.Parse(parameters["timestamp"], CultureInfo.InvariantCulture));
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var result = await sink.DeliverAsync(delivery, guard.Token);

        var sent = server.Requests.Single();
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(DeliveryResult.Delivered("req_local_1")));
            Assert.That(sent.Body, Is.EqualTo(capture.Body), "body byte for byte");
            AssertHeadersFollow(capture, sent, expectedIdempotencyKey: parameters["identifier"]);
        });
    }

    [Test]
    public async Task MeterEventSink_RetryKeepsTheIdempotencyKey_AsStripeNodeDid()
    {
        var attempts = s_captures.Where(c => c.Method == "POST" && c.Path == "/v1/billing/meter_events").ToList();
        await using var server = new RawHttpServer()
            .Then(500, "{\"error\":{\"type\":\"api_error\",\"message\":\"Try again.\"}}")
            .Then(200, "{\"object\":\"billing.meter_event\"}");
        var options = Options(server);
        using var client = new StripeClient(options, TimeProvider.System, NullLogger.Instance, wait: (_, _) => Task.CompletedTask);
        using var sink = new StripeMeterEventSink(client, NullLogger.Instance);
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var result = await sink.DeliverAsync(Delivery("evt-1", "api_calls", "cus_123", 25, 1_790_000_000), guard.Token);

        var sent = server.Requests;
        Assert.Multiple(() =>
        {
            Assert.That(result.Outcome, Is.EqualTo(DeliveryOutcome.Delivered));
            Assert.That(sent, Has.Count.EqualTo(attempts.Count));
            Assert.That(sent.Select(r => r.Header("Idempotency-Key")), Is.All.EqualTo("evt-1"));
            Assert.That(sent.Select(r => r.Body), Is.EqualTo(attempts.Select(a => a.Body)));
        });
    }

    [Test]
    public async Task UsageRecordSink_SendsWhatStripeNode17Sent_WithIncrement()
    {
        var capture = s_captures.First(c => c.Method == "POST" && c.Path.EndsWith("/usage_records", StringComparison.Ordinal) && c.Body.Contains("action=", StringComparison.Ordinal));
        var parameters = WireCapture.DecodeForm(capture.Body);
        var item = capture.Path.Split('/')[3];
        await using var server = new RawHttpServer().Then(200, "{\"object\":\"usage_record\"}");
        var options = Options(server);
        options.Api = StripeUsageApi.LegacyUsageRecords;
        using var sink = (StripeUsageRecordSink)StripeSinks.Create(options);
        var delivery = Delivery(
            identifier: "idem-ur-1",
            eventName: "api_calls",
            customer: "cus_123",
            quantity: long.Parse(parameters.Single(p => p.Key == "quantity").Value, CultureInfo.InvariantCulture),
            timestamp: long.Parse(parameters.Single(p => p.Key == "timestamp").Value, CultureInfo.InvariantCulture),
            subscriptionItem: item);
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var result = await sink.DeliverAsync(delivery, guard.Token);

        var sent = server.Requests.Single();
        var expectedBody = StripeFormEncoder.Encode(parameters.Select(p => p.Key == "action" ? new KeyValuePair<string, string>("action", "increment") : p).ToList());
        Assert.Multiple(() =>
        {
            Assert.That(result.Outcome, Is.EqualTo(DeliveryOutcome.Delivered));
            Assert.That(capture.Body, Is.EqualTo("quantity=5&timestamp=1790000000&action=set"));
            Assert.That(sent.Body, Is.EqualTo(expectedBody), "the captured body, with action=increment instead of set");
            Assert.That(sent.Body, Is.EqualTo("quantity=5&timestamp=1790000000&action=increment"));
            AssertHeadersFollow(capture, sent, expectedIdempotencyKey: capture.Header("idempotency-key")!);
        });
    }

    private static void AssertHeadersFollow(WireCapture capture, RawRequest sent, string expectedIdempotencyKey)
    {
        Assert.That($"{sent.Method} {sent.PathAndQuery}", Is.EqualTo($"{capture.Method} {capture.PathAndQuery}"), "request line");
        Assert.That(sent.Header("Stripe-Version"), Is.EqualTo(capture.Header("stripe-version")), "Stripe-Version");
        Assert.That(sent.Header("Idempotency-Key"), Is.EqualTo(expectedIdempotencyKey), "Idempotency-Key");
        Assert.That(sent.Header("Content-Type"), Is.EqualTo(capture.Header("content-type")), "Content-Type, without a charset");
        Assert.That(sent.Header("Accept"), Is.EqualTo(capture.Header("accept")), "Accept");
        Assert.That(sent.Header("Authorization"), Is.EqualTo(capture.Header("authorization")), "Authorization: Bearer and the key");
        Assert.That(sent.Header("Authorization")!.Split(' ')[0], Is.EqualTo(capture.Header("authorization")!.Split(' ')[0]), "authorization scheme");
        Assert.That(sent.Header("Content-Length"), Is.EqualTo(Encoding.UTF8.GetByteCount(sent.Body).ToString(CultureInfo.InvariantCulture)), "Content-Length");
        Assert.That(sent.Header("User-Agent"), Does.StartWith("Gravity.Usage/"), "User-Agent names this library, not stripe-node");

        var expectedNames = capture.Headers.Select(h => h.Key.ToLowerInvariant()).Except(s_nodeOnlyHeaders);
        Assert.That(sent.Headers.Select(h => h.Key.ToLowerInvariant()), Is.SupersetOf(expectedNames), "every header stripe-node sent, but its telemetry");
    }

    private static StripeOptions Options(RawHttpServer server) => new()
    {
        ApiKey = ApiKey,
        ApiBase = server.BaseAddress,
        MaxRequestsPerSecond = 1_000,
        RequestTimeout = TimeSpan.FromSeconds(20),
    };

    private static UsageDelivery Delivery(string identifier, string eventName, string customer, long quantity, long timestamp, string? subscriptionItem = null)
    {
        var report = new UsageReport
        {
            Id = 1,
            Identifier = identifier,
            Account = "acme",
            Meter = "api",
            BucketStart = DateTimeOffset.FromUnixTimeSeconds(timestamp),
            Quantity = quantity,
            Status = UsageReportStatus.Pending,
            CreatedAt = DateTimeOffset.FromUnixTimeSeconds(timestamp),
        };
        var items = new Dictionary<string, string>(StringComparer.Ordinal);
        if (subscriptionItem is not null)
        {
            items["api"] = subscriptionItem;
        }

        return new UsageDelivery(report, eventName, new UsageAccount("acme") { StripeCustomerId = customer, SubscriptionItems = items });
    }
}
