using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Gravity.Usage.Stripe;

namespace Gravity.Usage.IntegrationTests.Stripe;

/// <summary>
/// Checks what the sinks send through Stripe.net against what Stripe's official Node SDK sent on the wire
/// (tests/TestData/Stripe/stripe-node-wire-captures.txt): the same paths, form keys and values (JSON for v2), the
/// headers Stripe reads, and the <c>Idempotency-Key</c> across retries. The sinks run against a raw HTTP listener on
/// 127.0.0.1, so requests are checked as they leave the socket.
/// </summary>
/// <remarks>
/// Differences that remain, expected: the user agent (Stripe.net's, naming Gravity.Usage as the application); no
/// <c>Accept</c> header (Stripe answers JSON regardless); the
/// order of form fields and the escaping of brackets (Stripe.net orders and escapes its own way; Stripe decodes
/// both alike); a <c>charset=utf-8</c> on the content type; stripe-node's telemetry header and keep-alive; and
/// Stripe.net's own random idempotency key where the library sets none (session requests).
/// </remarks>
public sealed class WireCaptureTests
{
    private const string ApiKey = "sk_test_oracle";

    /// <summary>Headers stripe-node sends that Stripe.net does not, or sends with its own value.</summary>
    private static readonly string[] s_nodeOnlyHeaders = ["x-stripe-client-user-agent", "connection", "user-agent", "accept"];

    private static readonly IReadOnlyList<WireCapture> s_captures = WireCapture.Load();

    [Test]
    public void CapturesFile_AfterARun_HoldsEveryRecordedRequest()
    {
        Assert.Multiple(() =>
        {
            Assert.That(s_captures, Has.Count.EqualTo(11));
            Assert.That(s_captures.Where(c => c.Query is not null).Count(), Is.EqualTo(2));
            Assert.That(s_captures.Where(c => c.Body.Length > 0), Has.All.Matches<WireCapture>(c => int.Parse(c.Header("content-length")!, CultureInfo.InvariantCulture) == Encoding.UTF8.GetByteCount(c.Body)), "content-length agrees with the parsed body");
        });
    }

    [Test]
    public void Captures_RetriedRequest_KeepsItsIdempotencyKey()
    {
        var attempts = s_captures.Where(c => c.Method == "POST" && c.Path == "/v1/billing/meter_events").ToList();

        Assert.Multiple(() =>
        {
            Assert.That(attempts.Select(a => a.Attempt), Is.EqualTo(new[] { 1, 2 }));
            Assert.That(attempts.Select(a => a.Header("idempotency-key")).Distinct().Count(), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task MeterEventSink_SameReport_SendsWhatStripeNodeSent()
    {
        var capture = Capture("POST", "/v1/billing/meter_events");
        var parameters = Form(capture.Body);
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
            Assert.That(Form(sent.Body), Is.EquivalentTo(parameters), "the same form keys and values");
            AssertHeadersFollow(capture, sent, expectedIdempotencyKey: parameters["identifier"]);
            Assert.That(sent.Header("Stripe-Version"), Is.EqualTo(StripeOptions.ApiVersion), "Stripe.net's pinned version");
        });
    }

    [Test]
    public async Task MeterEventSink_RetryKeepsTheIdempotencyKey_AsStripeNodeDid()
    {
        var attempts = s_captures.Where(c => c.Method == "POST" && c.Path == "/v1/billing/meter_events").ToList();
        await using var server = new RawHttpServer()
            .Then(500, "{\"error\":{\"type\":\"api_error\",\"message\":\"Try again.\"}}")
            .Then(200, "{\"object\":\"billing.meter_event\"}");
        using var sink = new StripeMeterEventSink(Options(server));
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var result = await sink.DeliverAsync(Delivery("evt-1", "api_calls", "cus_123", 25, 1_790_000_000), guard.Token);

        var sent = server.Requests;
        Assert.Multiple(() =>
        {
            Assert.That(result.Outcome, Is.EqualTo(DeliveryOutcome.Delivered));
            Assert.That(sent, Has.Count.EqualTo(attempts.Count));
            Assert.That(sent.Select(r => r.Header("Idempotency-Key")), Is.All.EqualTo("evt-1"));
            Assert.That(sent.Select(r => Form(r.Body)), Has.All.EquivalentTo(Form(attempts[0].Body)));
        });
    }

    [Test]
    public async Task UsageRecordSink_SendsWhatStripeNode17Sent_WithIncrementAndThePinnedVersion()
    {
        var capture = s_captures.First(c => c.Method == "POST" && c.Path.EndsWith("/usage_records", StringComparison.Ordinal) && c.Body.Contains("action=", StringComparison.Ordinal));
        var parameters = Form(capture.Body);
        var item = capture.Path.Split('/')[3];
        await using var server = new RawHttpServer().Then(200, "{\"object\":\"usage_record\"}");
        var options = Options(server);
        options.Api = StripeUsageApi.LegacyUsageRecords;
        using var sink = (StripeUsageRecordSink)StripeSinks.Create(options);
        var delivery = Delivery(
            identifier: "idem-ur-1",
            eventName: "api_calls",
            customer: "cus_123",
            quantity: long.Parse(parameters["quantity"], CultureInfo.InvariantCulture),
            timestamp: long.Parse(parameters["timestamp"], CultureInfo.InvariantCulture),
            subscriptionItem: item);
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var result = await sink.DeliverAsync(delivery, guard.Token);

        var sent = server.Requests.Single();
        Assert.Multiple(() =>
        {
            Assert.That(result.Outcome, Is.EqualTo(DeliveryOutcome.Delivered));
            Assert.That(capture.Body, Is.EqualTo("quantity=5&timestamp=1790000000&action=set"));
            Assert.That(sent.Body, Is.EqualTo("quantity=5&timestamp=1790000000&action=increment"), "the captured body, with action=increment instead of set");
            AssertHeadersFollow(capture, sent, expectedIdempotencyKey: capture.Header("idempotency-key")!);
            Assert.That(sent.Header("Stripe-Version"), Is.EqualTo(StripeOptions.DefaultLegacyApiVersion).And.EqualTo(capture.Header("stripe-version")), "pinned for usage records");
        });
    }

    [Test]
    public async Task StreamSink_SendsWhatStripeNodeSent_OnASessionToken()
    {
        var sessionCapture = Capture("POST", "/v2/billing/meter_event_session");
        var streamCapture = Capture("POST", "/v2/billing/meter_event_stream");
        var expected = JsonNode.Parse(streamCapture.Body)!["events"]![0]!;
        await using var server = new RawHttpServer()
            .Then(200, "{\"id\":\"mes_1\",\"object\":\"v2.billing.meter_event_session\",\"authentication_token\":\"mes_tok_local\",\"created\":\"2026-11-21T11:59:00.000Z\",\"expires_at\":\"2026-11-21T12:14:00.000Z\",\"livemode\":false}")
            .Then(200, "{}");
        var options = Options(server);
        options.Api = StripeUsageApi.MeterEventStream;
        using var sink = (StripeMeterEventStreamSink)StripeSinks.Create(options);
        var delivery = Delivery(
            identifier: (string)expected["identifier"]!,
            eventName: (string)expected["event_name"]!,
            customer: (string)expected["payload"]!["stripe_customer_id"]!,
            quantity: long.Parse((string)expected["payload"]!["value"]!, CultureInfo.InvariantCulture),
            timestamp: DateTimeOffset.Parse((string)expected["timestamp"]!, CultureInfo.InvariantCulture).ToUnixTimeSeconds());
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var result = await sink.DeliverAsync(delivery, guard.Token);

        var sent = server.Requests;
        Assert.Multiple(() =>
        {
            Assert.That(result.Outcome, Is.EqualTo(DeliveryOutcome.Delivered));
            Assert.That(sent.Select(r => $"{r.Method} {r.PathAndQuery}"), Is.EqualTo(new[] { $"{sessionCapture.Method} {sessionCapture.PathAndQuery}", $"{streamCapture.Method} {streamCapture.PathAndQuery}" }));
            Assert.That(JsonNode.Parse(sent[0].Body), Is.Not.Null.And.Property("Count").EqualTo(0), "an empty session request, as {}");
            Assert.That(sent[0].Header("Authorization"), Is.EqualTo(sessionCapture.Header("authorization")), "the session is created with the secret key");
            Assert.That(sent[1].Header("Authorization"), Is.EqualTo(streamCapture.Header("authorization")), "the stream is sent with the session token");
            var events = JsonNode.Parse(sent[1].Body)!["events"]!.AsArray();
            Assert.That(events, Has.Count.EqualTo(1));
            Assert.That((string?)events[0]!["event_name"], Is.EqualTo((string?)expected["event_name"]));
            Assert.That((string?)events[0]!["identifier"], Is.EqualTo((string?)expected["identifier"]));
            Assert.That(events[0]!["payload"]!.ToJsonString(), Is.EqualTo(expected["payload"]!.ToJsonString()));
            Assert.That(DateTimeOffset.Parse((string)events[0]!["timestamp"]!, CultureInfo.InvariantCulture), Is.EqualTo(DateTimeOffset.Parse((string)expected["timestamp"]!, CultureInfo.InvariantCulture)), "an RFC 3339 timestamp of the same instant");
            Assert.That(sent.Select(r => r.Header("Stripe-Version")), Is.All.EqualTo(streamCapture.Header("stripe-version")));
            Assert.That(sent.Select(r => r.Header("Content-Type")), Is.All.StartWith("application/json"));
            Assert.That(sent[1].Header("Idempotency-Key"), Does.StartWith("gu_stream_"), "one key per batch, kept across Stripe.net's retries");
        });
    }

    private static WireCapture Capture(string method, string path) => s_captures.First(c => c.Method == method && c.Path == path);

    private static Dictionary<string, string> Form(string body) => WireCapture.DecodeForm(body).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    private static void AssertHeadersFollow(WireCapture capture, RawRequest sent, string expectedIdempotencyKey)
    {
        Assert.That($"{sent.Method} {sent.PathAndQuery}", Is.EqualTo($"{capture.Method} {capture.PathAndQuery}"), "request line");
        Assert.That(sent.Header("Idempotency-Key"), Is.EqualTo(expectedIdempotencyKey), "Idempotency-Key");
        Assert.That(sent.Header("Content-Type"), Does.StartWith(capture.Header("content-type")!), "Content-Type (Stripe.net adds a charset)");
        Assert.That(sent.Header("Authorization"), Is.EqualTo(capture.Header("authorization")), "Authorization: Bearer and the key");
        Assert.That(sent.Header("Content-Length"), Is.EqualTo(Encoding.UTF8.GetByteCount(sent.Body).ToString(CultureInfo.InvariantCulture)), "Content-Length");
        Assert.That(sent.Header("User-Agent"), Does.Contain("Gravity.Usage/"), "the user agent names this library as Stripe.net's application");

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
