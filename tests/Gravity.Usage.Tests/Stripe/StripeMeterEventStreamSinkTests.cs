using System.Text.Json.Nodes;
using Gravity.Usage.Stripe;

namespace Gravity.Usage.Tests.Stripe;

public sealed class StripeMeterEventStreamSinkTests
{
    private const string Token = "mes_tok_SessionTokenThatIsASecretToo";

    private StripeHarness _harness = null!;

    [SetUp]
    public void SetUp()
    {
        _harness = new StripeHarness();
        _harness.Options.Api = StripeUsageApi.MeterEventStream;
        _harness.Options.MaxStreamEventsPerSecond = 1_000_000;
    }

    [TearDown]
    public void TearDown() => _harness.Dispose();

    [Test]
    public async Task DeliverBatch_SeveralEvents_OpensASessionThenSendsThemInOneRequestOnItsToken()
    {
        _harness.Handler.Then(200, Session(Token, minutes: 15), "req_session").Then(200, "{}", "req_stream");
        using var sink = _harness.StreamSink();
        var deliveries = Enumerable.Range(1, 100).Select(i => StripeHarness.Delivery(identifier: $"evt-{i}", quantity: i)).ToList();

        var results = await sink.DeliverBatchAsync(deliveries);

        var requests = _harness.Handler.Requests;
        var events = JsonNode.Parse(requests[1].Body!)!["events"]!.AsArray();
        Assert.Multiple(() =>
        {
            Assert.That(results, Has.Count.EqualTo(100).And.All.EqualTo(DeliveryResult.Delivered("req_stream")));
            Assert.That(requests.Select(r => r.Uri.AbsolutePath), Is.EqualTo(new[] { "/v2/billing/meter_event_session", "/v2/billing/meter_event_stream" }));
            Assert.That(requests[0].Header("Authorization"), Is.EqualTo("Bearer " + StripeHarness.ApiKey));
            Assert.That(requests[1].Header("Authorization"), Is.EqualTo("Bearer " + Token));
            Assert.That(events.Select(e => (string?)e!["identifier"]), Is.EqualTo(deliveries.Select(d => d.Report.Identifier)));
            Assert.That(events.Select(e => (string?)e!["payload"]!["value"]), Is.EqualTo(Enumerable.Range(1, 100).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))));
            Assert.That(events.Select(e => (string?)e!["payload"]!["stripe_customer_id"]), Is.All.EqualTo("cus_123"));
        });
    }

    [Test]
    public void DeliverBatch_MoreThan100Events_IsRefusedBeforeAnyRequest()
    {
        using var sink = _harness.StreamSink();
        var deliveries = Enumerable.Range(1, 101).Select(i => StripeHarness.Delivery(identifier: $"evt-{i}")).ToList();

        var exception = Assert.ThrowsAsync<ArgumentException>(() => sink.DeliverBatchAsync(deliveries));

        Assert.Multiple(() =>
        {
            Assert.That(exception!.ParamName, Is.EqualTo("deliveries"));
            Assert.That(_harness.Handler.Requests, Is.Empty);
        });
    }

    [Test]
    public async Task DeliverBatch_ReusesTheSessionUntilAMinuteBeforeItExpires_ThenRenewsIt()
    {
        _harness.Handler
            .Then(200, Session("mes_tok_first", minutes: 15)).Then(200)
            .Then(200)
            .Then(200, Session("mes_tok_second", minutes: 15)).Then(200);
        using var sink = _harness.StreamSink();

        await sink.DeliverAsync(StripeHarness.Delivery(identifier: "evt-1"));
        _harness.Clock.Advance(TimeSpan.FromMinutes(13));
        await sink.DeliverAsync(StripeHarness.Delivery(identifier: "evt-2"));
        _harness.Clock.Advance(TimeSpan.FromMinutes(1.5));
        await sink.DeliverAsync(StripeHarness.Delivery(identifier: "evt-3"));

        Assert.That(
            _harness.Handler.Requests.Select(r => (r.Uri.AbsolutePath.Split('/')[^1], r.Header("Authorization"))),
            Is.EqualTo(new[]
            {
                ("meter_event_session", "Bearer " + StripeHarness.ApiKey),
                ("meter_event_stream", "Bearer mes_tok_first"),
                ("meter_event_stream", "Bearer mes_tok_first"),
                ("meter_event_session", "Bearer " + StripeHarness.ApiKey),
                ("meter_event_stream", "Bearer mes_tok_second"),
            }));
    }

    [Test]
    public async Task DeliverBatch_SessionExpiredAnswer_RenewsTheSessionAndSendsTheBatchAgain()
    {
        var expired = "{\"error\":{\"type\":\"temporary_session_expired\",\"code\":\"billing_meter_event_session_expired\",\"message\":\"The session " + Token + " has expired.\"}}";
        _harness.Handler
            .Then(200, Session(Token, minutes: 15)).Then(401, expired)
            .Then(200, Session("mes_tok_fresh", minutes: 15)).Then(200, "{}", "req_ok");
        using var sink = _harness.StreamSink();

        var result = await sink.DeliverAsync(StripeHarness.Delivery());

        var requests = _harness.Handler.Requests;
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(DeliveryResult.Delivered("req_ok")));
            Assert.That(requests, Has.Count.EqualTo(4));
            Assert.That(requests[3].Header("Authorization"), Is.EqualTo("Bearer mes_tok_fresh"));
            Assert.That(requests[3].Body, Is.EqualTo(requests[1].Body), "the same batch");
            Assert.That(requests[3].Header("Idempotency-Key"), Is.EqualTo(requests[1].Header("Idempotency-Key")));
        });
    }

    [Test]
    public async Task DeliverBatch_StreamRefused_EveryEventGetsTheRefusalWithoutTheToken()
    {
        var refusal = "{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"invalid_token\",\"message\":\"Token " + Token + " is not valid.\"}}";
        _harness.Handler.Then(200, Session(Token, minutes: 15)).Then(401, refusal, "req_401");
        using var sink = _harness.StreamSink();

        var results = await sink.DeliverBatchAsync([StripeHarness.Delivery(identifier: "a"), StripeHarness.Delivery(identifier: "b")]);

        Assert.Multiple(() =>
        {
            Assert.That(results.Select(r => r.Outcome), Is.All.EqualTo(DeliveryOutcome.Permanent));
            Assert.That(results[0].Error, Does.Contain("401").And.Contain("is not valid").And.Not.Contain(Token));
            Assert.That(_harness.Logger.AllText, Does.Not.Contain(Token).And.Not.Contain(StripeHarness.ApiKey));
        });
    }

    [Test]
    public async Task DeliverBatch_SessionUnavailable_IsTransientForEveryEvent()
    {
        _harness.Options.MaxNetworkRetries = 0;
        _harness.Handler.Then(503, StubHttpHandler.ErrorBody("api_error", null, "Unavailable."), "req_503");
        using var sink = _harness.StreamSink();

        var results = await sink.DeliverBatchAsync([StripeHarness.Delivery(identifier: "a"), StripeHarness.Delivery(identifier: "b")]);

        Assert.Multiple(() =>
        {
            Assert.That(results.Select(r => r.Outcome), Is.All.EqualTo(DeliveryOutcome.Transient));
            Assert.That(results[0].Error, Does.Contain("/v2/billing/meter_event_session").And.Contain("503"));
        });
    }

    [Test]
    public async Task DeliverBatch_UnsendableEvents_AreRefusedAloneAndTheRestIsSent()
    {
        _harness.Handler.Then(200, Session(Token, minutes: 15)).Then(200, "{}", "req_ok");
        using var sink = _harness.StreamSink();

        var results = await sink.DeliverBatchAsync(
        [
            StripeHarness.Delivery(identifier: "good"),
            StripeHarness.Delivery(identifier: "no-customer", customer: null),
            StripeHarness.Delivery(identifier: "too-big", quantity: 1_000_000_000_000_000),
        ]);

        var events = JsonNode.Parse(_harness.Handler.Requests[1].Body!)!["events"]!.AsArray();
        Assert.Multiple(() =>
        {
            Assert.That(results.Select(r => r.Outcome), Is.EqualTo(new[] { DeliveryOutcome.Delivered, DeliveryOutcome.Permanent, DeliveryOutcome.Permanent }));
            Assert.That(events.Select(e => (string?)e!["identifier"]), Is.EqualTo(new[] { "good" }));
        });
    }

    private static string Session(string token, int minutes) =>
        $$"""{"id":"mes_1","object":"v2.billing.meter_event_session","authentication_token":"{{token}}","created":"2026-11-21T12:00:00.000Z","expires_at":"2026-11-21T12:{{minutes:D2}}:00.000Z","livemode":false}""";
}
