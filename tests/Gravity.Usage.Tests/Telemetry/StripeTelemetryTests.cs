using System.Diagnostics;
using Gravity.Usage.Stripe;
using Gravity.Usage.Telemetry;
using Gravity.Usage.Tests.Stripe;
using static Gravity.Usage.Tests.Telemetry.GroupCommitTelemetryTests;

namespace Gravity.Usage.Tests.Telemetry;

public sealed class StripeTelemetryTests
{
    private const string Token = "mes_tok_SessionTokenThatIsASecretToo";

    private StripeHarness _harness = null!;
    private TelemetryScope _telemetry = null!;

    [SetUp]
    public void SetUp()
    {
        _harness = new StripeHarness();
        _harness.Options.MaxStreamEventsPerSecond = 1_000_000;
        _telemetry = new TelemetryScope();
    }

    [TearDown]
    public void TearDown()
    {
        _telemetry.Dispose();
        _harness.Dispose();
    }

    private UsageInstruments Instruments => UsageInstruments.For(_telemetry.MeterFactory);

    [Test]
    public async Task MeterEvents_EveryCall_IsTimedByApiAndOutcome()
    {
        var durations = _telemetry.Collect<double>("gravity.usage.stripe.request.duration");
        _harness.Options.MaxNetworkRetries = 0;
        _harness.Handler
            .Then(200, "{}", "req_ok")
            .Then(400, StubHttpHandler.ErrorBody("invalid_request_error", "duplicate_meter_event", "This event has already been recorded."), "req_dup")
            .Then(400, StubHttpHandler.ErrorBody("invalid_request_error", "resource_missing", "No such customer: 'cus_x'", "payload[stripe_customer_id]"), "req_missing")
            .Then(503, StubHttpHandler.ErrorBody("api_error", null, "Service unavailable."), "req_503");
        using var sink = _harness.MeterEventSink(Instruments);

        for (var i = 0; i < 4; i++)
        {
            await sink.DeliverAsync(StripeHarness.Delivery(identifier: $"evt-{i}"));
        }

        var measured = durations.GetMeasurementSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(
                measured.Select(m => (Tag(m, "gravity.usage.stripe.api"), Tag(m, "gravity.usage.stripe.outcome"))),
                Is.EqualTo(new[] { ("meter_events", "delivered"), ("meter_events", "duplicate"), ("meter_events", "permanent"), ("meter_events", "transient") }));
            Assert.That(measured.Select(m => m.Value), Is.All.GreaterThanOrEqualTo(0.0).And.All.LessThan(60.0));
            Assert.That(durations.Instrument!.Unit, Is.EqualTo("s"));
        });
    }

    [Test]
    public async Task MeterEventStream_SessionAndStreamCallsAreTimedApart_AnExpiredSessionIsTransient()
    {
        _harness.Options.Api = StripeUsageApi.MeterEventStream;
        var durations = _telemetry.Collect<double>("gravity.usage.stripe.request.duration");
        var expired = "{\"error\":{\"type\":\"temporary_session_expired\",\"code\":\"billing_meter_event_session_expired\",\"message\":\"The session has expired.\"}}";
        _harness.Handler
            .Then(200, Session("mes_tok_first")).Then(401, expired)
            .Then(200, Session("mes_tok_second")).Then(200);
        using var sink = _harness.StreamSink(Instruments);

        var results = await sink.DeliverBatchAsync([StripeHarness.Delivery(identifier: "evt-1"), StripeHarness.Delivery(identifier: "evt-2")]);

        Assert.Multiple(() =>
        {
            Assert.That(results.Select(r => r.Outcome), Is.All.EqualTo(DeliveryOutcome.Delivered));
            Assert.That(
                durations.GetMeasurementSnapshot().Select(m => (Tag(m, "gravity.usage.stripe.api"), Tag(m, "gravity.usage.stripe.outcome"))),
                Is.EqualTo(new[]
                {
                    ("session", "delivered"),
                    ("meter_event_stream", "transient"),
                    ("session", "delivered"),
                    ("meter_event_stream", "delivered"),
                }));
        });
    }

    [Test]
    public async Task UsageRecords_EveryCall_IsTimedAsAUsageRecord()
    {
        var durations = _telemetry.Collect<double>("gravity.usage.stripe.request.duration");
        _harness.Handler.Then(200, "{}", "req_ur");
        using var sink = _harness.UsageRecordSink(Instruments);

        await sink.DeliverAsync(StripeHarness.Delivery());

        Assert.That(
            durations.GetMeasurementSnapshot().Select(m => (Tag(m, "gravity.usage.stripe.api"), Tag(m, "gravity.usage.stripe.outcome"))),
            Is.EqualTo(new[] { ("usage_records", "delivered") }));
    }

    [Test]
    public async Task StripeCalls_AreClientSpansWithApiOutcomeAndRequestId_AndNoTagHoldsTheKeyOrToken()
    {
        using var spans = new SpanRecorder();
        var durations = _telemetry.Collect<double>("gravity.usage.stripe.request.duration");

        // A misbehaving stand-in that echoes the key and the session token wherever it can, request ids included.
        var echo = StubHttpHandler.ErrorBody("invalid_request_error", null, "Invalid API Key provided: " + StripeHarness.ApiKey, StripeHarness.ApiKey);
        _harness.Options.MaxNetworkRetries = 0;
        _harness.Handler
            .Then(200, "{}", "req_ok")
            .Then(401, echo, "req_" + StripeHarness.ApiKey)
            .Then(200, Session(Token), "req_session_" + StripeHarness.ApiKey)
            .Then(400, StubHttpHandler.ErrorBody("invalid_request_error", null, "Bad token " + Token, Token), "req_" + Token)
            .Then(200, Session(Token), "req_session")
            .Then(200, "{}", "req_stream_" + Token);
        using (var meterEvents = _harness.MeterEventSink(Instruments))
        {
            await meterEvents.DeliverAsync(StripeHarness.Delivery(identifier: "evt-1"));
            await meterEvents.DeliverAsync(StripeHarness.Delivery(identifier: "evt-2"));
        }

        _harness.Options.Api = StripeUsageApi.MeterEventStream;
        using (var stream = _harness.StreamSink(Instruments))
        {
            await stream.DeliverAsync(StripeHarness.Delivery(identifier: "evt-3"));
        }

        using (var stream = _harness.StreamSink(Instruments))
        {
            await stream.DeliverAsync(StripeHarness.Delivery(identifier: "evt-4"));
        }

        var calls = spans.Named("usage.stripe_request");
        var tagValues = spans.Spans.SelectMany(s => s.TagObjects).Select(t => t.Value?.ToString() ?? string.Empty)
            .Concat(durations.GetMeasurementSnapshot().SelectMany(m => m.Tags).Select(t => t.Value?.ToString() ?? string.Empty))
            .ToList();
        Assert.Multiple(() =>
        {
            Assert.That(
                calls.Select(s => (s.GetTagItem("gravity.usage.stripe.api"), s.GetTagItem("gravity.usage.stripe.outcome"), s.Status)),
                Is.EqualTo(new[]
                {
                    ((object)"meter_events", (object)"delivered", ActivityStatusCode.Unset),
                    ("meter_events", "permanent", ActivityStatusCode.Error),
                    ("session", "delivered", ActivityStatusCode.Unset),
                    ("meter_event_stream", "permanent", ActivityStatusCode.Error),
                    ("session", "delivered", ActivityStatusCode.Unset),
                    ("meter_event_stream", "delivered", ActivityStatusCode.Unset),
                }));
            Assert.That(calls.Select(s => s.Kind), Is.All.EqualTo(ActivityKind.Client));
            Assert.That(calls[0].GetTagItem("gravity.usage.stripe.request_id"), Is.EqualTo("req_ok"));
            Assert.That(calls[0].GetTagItem("gravity.usage.stripe.events"), Is.EqualTo(1));
            Assert.That(calls[1].GetTagItem("gravity.usage.stripe.request_id"), Is.EqualTo("req_[redacted key]"));
            Assert.That(calls[4].GetTagItem("gravity.usage.stripe.request_id"), Is.EqualTo("req_session"));
            Assert.That(tagValues, Has.Count.GreaterThan(20));
            Assert.That(tagValues, Has.None.Contains(StripeHarness.ApiKey));
            Assert.That(tagValues, Has.None.Contains(Token));
        });
    }

    private static string Session(string token) =>
        $$"""{"id":"mes_1","object":"v2.billing.meter_event_session","authentication_token":"{{token}}","created":"2026-11-21T12:00:00.000Z","expires_at":"2026-11-21T12:15:00.000Z","livemode":false}""";
}
