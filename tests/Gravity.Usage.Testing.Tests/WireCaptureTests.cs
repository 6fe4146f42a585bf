using Gravity.Usage.Testing.Tests.Support;

namespace Gravity.Usage.Testing.Tests;

/// <summary>Replays the raw requests stripe-node sent to a loopback listener (reference/stripe-node-wire-captures.txt) verbatim.</summary>
[TestFixture(Transport.Loopback)]
public sealed class WireCaptureTests(Transport transport) : StandInTest(transport)
{
    private IReadOnlyList<WireCapture> _captures = null!;

    [SetUp]
    public void Arrange()
    {
        _captures = WireCapture.Load();
        Stripe.AddCustomer("cus_123");
        Stripe.AddLegacySubscriptionItem("cus_123", Start.AddDays(-15), Start.AddDays(15), "si_123");
    }

    [Test]
    public void WireCapture_File_HasTheExpectedRequests()
    {
        Assert.That(
            _captures.Select(c => $"{c.Method} {c.Path} {c.Attempt}"),
            Is.EqualTo(new[]
            {
                "POST /v1/billing/meter_events 1",
                "POST /v1/billing/meter_events 2",
                "POST /v1/billing/meter_event_adjustments 1",
                "GET /v1/billing/meters/mtr_1/event_summaries 1",
                "POST /v1/billing/meters 1",
                "POST /v2/billing/meter_event_session 1",
                "POST /v2/billing/meter_event_stream 1",
                "POST /v2/billing/meter_events 1",
                "POST /v1/subscription_items/si_123/usage_records 1",
                "POST /v1/subscription_items/si_123/usage_records 2",
                "GET /v1/subscription_items/si_123/usage_record_summaries 1",
            }));
    }

    [Test]
    public async Task WireCapture_MeterEventRetrySummariesAndAdjustment_AreServedAsCaptured()
    {
        Stripe.AddMeter("api_calls", id: "mtr_1");
        var meterEvents = _captures.Where(c => c.Path == "/v1/billing/meter_events").ToArray();

        using var first = await SendAsync(meterEvents[0]);
        using var retry = await SendAsync(meterEvents[1]);
        using var summaryBefore = await SendAsync(Capture("/v1/billing/meters/mtr_1/event_summaries"));
        using var adjustment = await SendAsync(Capture("/v1/billing/meter_event_adjustments"));
        using var summaryAfter = await SendAsync(Capture("/v1/billing/meters/mtr_1/event_summaries"));

        var created = await ExpectOkAsync(first);
        Assert.Multiple(() =>
        {
            Assert.That(created.GetProperty("event_name").GetString(), Is.EqualTo("api_calls"));
            Assert.That(created.GetProperty("identifier").GetString(), Is.EqualTo("evt-1"));
            Assert.That(created.GetProperty("payload").GetProperty("stripe_customer_id").GetString(), Is.EqualTo("cus_123"));
            Assert.That(created.GetProperty("payload").GetProperty("value").GetString(), Is.EqualTo("25"));
            Assert.That(created.GetProperty("timestamp").GetInt64(), Is.EqualTo(1_790_000_000));
            Assert.That(Header(first, "Stripe-Version"), Is.EqualTo("2026-10-28.endive"));
            Assert.That(Header(first, "Request-Id"), Does.StartWith("req_"));
        });
        await ExpectOkAsync(retry);
        Assert.That(Header(retry, "Idempotent-Replayed"), Is.EqualTo("true"));
        Assert.That(await retry.Content.ReadAsStringAsync(), Is.EqualTo(await first.Content.ReadAsStringAsync()));
        Assert.That(Stripe.CountIdempotencyKeyAttempts("idem-meter-evt-1"), Is.EqualTo(2));

        var before = await ExpectOkAsync(summaryBefore);
        Assert.That(before.GetProperty("data").GetArrayLength(), Is.EqualTo(1), "one hour: 1789999200 to 1790002800");
        Assert.That(before.GetProperty("data")[0].GetProperty("aggregated_value").GetDecimal(), Is.EqualTo(25m));

        var adjusted = await ExpectOkAsync(adjustment);
        Assert.That(adjusted.GetProperty("status").GetString(), Is.EqualTo("complete"));
        Assert.That(adjusted.GetProperty("cancel").GetProperty("identifier").GetString(), Is.EqualTo("evt-1"));

        var after = await ExpectOkAsync(summaryAfter);
        Assert.That(after.GetProperty("data")[0].GetProperty("aggregated_value").GetDecimal(), Is.Zero);
        Assert.That(Stripe.GetMeterTotal("api_calls", "cus_123"), Is.Zero);
    }

    [Test]
    public async Task WireCapture_MeterCreation_IsServedAsCaptured()
    {
        using var response = await SendAsync(Capture("/v1/billing/meters"));

        var meter = await ExpectOkAsync(response);
        Assert.Multiple(() =>
        {
            Assert.That(meter.GetProperty("display_name").GetString(), Is.EqualTo("API calls"));
            Assert.That(meter.GetProperty("event_name").GetString(), Is.EqualTo("api_calls"));
            Assert.That(meter.GetProperty("default_aggregation").GetProperty("formula").GetString(), Is.EqualTo("sum"));
            Assert.That(meter.GetProperty("customer_mapping").GetProperty("type").GetString(), Is.EqualTo("by_id"));
            Assert.That(meter.GetProperty("customer_mapping").GetProperty("event_payload_key").GetString(), Is.EqualTo("stripe_customer_id"));
            Assert.That(meter.GetProperty("value_settings").GetProperty("event_payload_key").GetString(), Is.EqualTo("value"));
        });
    }

    [Test]
    public async Task WireCapture_LegacyUsageRecordsAndSummaries_AreServedAsCaptured()
    {
        var usageRecords = _captures.Where(c => c.Path == "/v1/subscription_items/si_123/usage_records").ToArray();

        using var set = await SendAsync(usageRecords[0]);
        using var now = await SendAsync(usageRecords[1]);
        using var summaries = await SendAsync(Capture("/v1/subscription_items/si_123/usage_record_summaries"));

        var setJson = await ExpectOkAsync(set);
        Assert.That(setJson.GetProperty("quantity").GetInt64(), Is.EqualTo(5));
        Assert.That(setJson.GetProperty("timestamp").GetInt64(), Is.EqualTo(1_790_000_000));
        Assert.That(Header(set, "Stripe-Version"), Is.EqualTo("2025-02-24.acacia"));
        var nowJson = await ExpectOkAsync(now);
        Assert.That(nowJson.GetProperty("timestamp").GetInt64(), Is.EqualTo(NowUnix));
        var list = await ExpectOkAsync(summaries);
        Assert.That(list.GetProperty("data")[0].GetProperty("total_usage").GetInt64(), Is.EqualTo(7));
        Assert.That(Stripe.GetUsageRecordTotal("si_123"), Is.EqualTo(7));
    }

    [Test]
    public async Task WireCapture_V2SessionAndStream_AreServedAsCaptured()
    {
        Stripe.AddMeter("api_calls", id: "mtr_1");

        // The stream capture's event is stamped 2026-11-21T11:59:00.000Z: bring the clock a minute past it.
        Clock.SetUtcNow(new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero));
        using var sessionResponse = await SendAsync(Capture("/v2/billing/meter_event_session"));
        var session = await ExpectOkAsync(sessionResponse);
        var token = session.GetProperty("authentication_token").GetString()!;

        // The captured token was the capture server's own; swap in the one just issued, keep every other byte.
        using var streamRequest = Capture("/v2/billing/meter_event_stream").ToRequest();
        streamRequest.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var stream = await Client.SendAsync(streamRequest);

        Assert.Multiple(() =>
        {
            Assert.That(session.GetProperty("object").GetString(), Is.EqualTo("v2.billing.meter_event_session"));
            Assert.That(session.GetProperty("created").GetString(), Is.EqualTo("2026-11-21T12:00:00.000Z"));
            Assert.That(session.GetProperty("expires_at").GetString(), Is.EqualTo("2026-11-21T12:15:00.000Z"));
            Assert.That(session.GetProperty("livemode").GetBoolean(), Is.False);
        });
        Assert.That(await stream.Content.ReadAsStringAsync(), Is.EqualTo("{}"));
        Assert.That((int)stream.StatusCode, Is.EqualTo(200));
        Assert.Multiple(() =>
        {
            Assert.That(Stripe.GetMeterTotal("api_calls", "cus_123"), Is.EqualTo(7));
            Assert.That(Stripe.MeterEvents.Single().Timestamp, Is.EqualTo(new DateTimeOffset(2026, 11, 21, 11, 59, 0, TimeSpan.Zero)));
            Assert.That(Stripe.CountAcceptedIdentifier("evt-2"), Is.EqualTo(1));
            Assert.That(Stripe.MeterEventErrors, Is.Empty);
        });
    }

    [Test]
    public async Task WireCapture_CapturedStreamToken_IsNotASessionOfThisStandIn()
    {
        using var response = await SendAsync(Capture("/v2/billing/meter_event_stream"));

        await ExpectErrorAsync(response, 401, "invalid_request_error", "unauthorized");
    }

    [Test]
    public async Task WireCapture_V2MeterEventsWithSynchronousValidation_AreNotServed()
    {
        using var response = await SendAsync(Capture("/v2/billing/meter_events"));

        await ExpectErrorAsync(response, 404, "invalid_request_error", "not_found");
    }

    private WireCapture Capture(string path) => _captures.Single(c => c.Path == path);

    private async Task<HttpResponseMessage> SendAsync(WireCapture capture)
    {
        using var request = capture.ToRequest();
        return await Client.SendAsync(request);
    }
}
