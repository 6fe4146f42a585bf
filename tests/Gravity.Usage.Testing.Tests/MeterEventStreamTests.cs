using Gravity.Usage.Testing.Tests.Support;

namespace Gravity.Usage.Testing.Tests;

/// <summary>
/// <c>POST /v2/billing/meter_event_stream</c>: session-token authentication, the request's shape (checked before the
/// answer: a malformed request counts nothing), and accepted events counting everywhere v1 events do.
/// </summary>
[TestFixture(Transport.InProcess)]
[TestFixture(Transport.Loopback)]
public sealed class MeterEventStreamTests(Transport transport) : StandInTest(transport)
{
    private const string Path = "/v2/billing/meter_event_stream";
    private string _token = null!;

    [SetUp]
    public async Task ArrangeAsync()
    {
        Stripe.AddCustomer("cus_1");
        Stripe.AddMeter("api_calls", id: "mtr_1");
        _token = await CreateSessionTokenAsync();
    }

    [Test]
    public async Task Stream_AcceptedEvents_AnswerAnEmptyObjectAndCountLikeV1Events()
    {
        using var stream = await PostStreamAsync(_token, [StreamEvent("evt-1", value: "5", timestamp: Start.AddMinutes(-1)), StreamEvent("evt-2", value: "7")]);
        using var v1 = await PostMeterEventAsync("cus_1", "3", "evt-3");

        Assert.That(await stream.Content.ReadAsStringAsync(), Is.EqualTo("{}"));
        Assert.That((int)stream.StatusCode, Is.EqualTo(200));
        await ExpectOkAsync(v1);
        Assert.Multiple(() =>
        {
            Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(15));
            Assert.That(Stripe.AcceptedIdentifiers, Is.EquivalentTo(new[] { "evt-1", "evt-2", "evt-3" }));
            Assert.That(Stripe.CountAcceptedIdentifier("evt-2"), Is.EqualTo(1));
            Assert.That(Stripe.MeterEvents.Select(e => e.Identifier), Is.EqualTo(new[] { "evt-1", "evt-2", "evt-3" }));
            Assert.That(Stripe.MeterEvents[0].Timestamp, Is.EqualTo(Start.AddMinutes(-1)));
            Assert.That(Stripe.MeterEvents[1].Timestamp, Is.EqualTo(Start), "no timestamp: the receive time");
            Assert.That(Stripe.MeterEvents[0].RequestId, Is.EqualTo(Header(stream, "Request-Id")));
            Assert.That(Stripe.MeterEventErrors, Is.Empty);
        });
    }

    [Test]
    public async Task Stream_AcceptedEvents_AppearInEventSummaries()
    {
        const long hour = 1_789_999_200; // the hour holding Start
        using var stream = await PostStreamAsync(_token, [StreamEvent("evt-1", value: "5"), StreamEvent("evt-2", value: "2")]);
        await ExpectOkAsync(stream);

        using var summaries = await GetAsync($"/v1/billing/meters/mtr_1/event_summaries?customer=cus_1&start_time={hour}&end_time={hour + 3600}");

        var json = await ExpectOkAsync(summaries);
        Assert.That(json.GetProperty("data")[0].GetProperty("aggregated_value").GetDecimal(), Is.EqualTo(7m));
    }

    [Test]
    public async Task Stream_EventWithoutIdentifier_GetsOne()
    {
        using var response = await PostStreamAsync(_token, [StreamEvent(null)]);

        await ExpectOkAsync(response);
        Assert.That(Stripe.MeterEvents.Single().Identifier, Does.StartWith("mev_"));
    }

    [Test]
    public async Task Stream_TimestampWithFractionalSecondsOrOffset_IsAccepted()
    {
        var withMilliseconds = StreamEvent("evt-1");
        withMilliseconds["timestamp"] = "2026-09-21T14:22:20.123Z";
        var withOffset = StreamEvent("evt-2");
        withOffset["timestamp"] = "2026-09-21T16:22:20+02:00";

        using var response = await PostStreamAsync(_token, [withMilliseconds, withOffset]);

        await ExpectOkAsync(response);
        Assert.That(Stripe.MeterEvents.Select(e => e.Timestamp), Is.All.EqualTo(Start.AddMinutes(-1)));
    }

    [Test]
    public async Task Stream_OneHundredEvents_AreAccepted()
    {
        var events = Enumerable.Range(0, 100).Select(i => StreamEvent($"evt-{i}", value: "1"));

        using var response = await PostStreamAsync(_token, events);

        await ExpectOkAsync(response);
        Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(100));
    }

    [TestCase(0)]
    [TestCase(101)]
    public async Task Stream_ZeroOrMoreThan100Events_Is400AndCountsNothing(int count)
    {
        var events = Enumerable.Range(0, count).Select(i => StreamEvent($"evt-{i}", value: "1"));

        using var response = await PostStreamAsync(_token, events);

        var error = await ExpectErrorAsync(response, 400, "invalid_request_error", "parameter_invalid");
        Assert.Multiple(() =>
        {
            Assert.That(error.TryGetProperty("param", out _), Is.False, "the v2 envelope has no param");
            Assert.That(Stripe.MeterEvents, Is.Empty);
            Assert.That(Stripe.MeterEventErrors, Is.Empty);
        });
    }

    [TestCase("""{"events":[{"event_name":"api_calls","payload":{"stripe_customer_id":"cus_1","value":5}}]}""", "parameter_invalid", TestName = "{m}(A payload value that is not a string)")]
    [TestCase("""{"events":[{"event_name":"api_calls","payload":{"stripe_customer_id":"cus_1","value":"5"},"timestamp":1790000000}]}""", "parameter_invalid", TestName = "{m}(A Unix timestamp)")]
    [TestCase("""{"events":[{"event_name":"api_calls","payload":{"stripe_customer_id":"cus_1","value":"5"},"timestamp":"2026-09-21 14:22:20"}]}""", "parameter_invalid", TestName = "{m}(A timestamp that is not RFC 3339)")]
    [TestCase("""{"events":[{"event_name":"api_calls","payload":{"stripe_customer_id":"cus_1","value":"5"},"dimensions":{}}]}""", "parameter_unknown", TestName = "{m}(An unknown event property)")]
    [TestCase("""{"events":[{"payload":{"stripe_customer_id":"cus_1","value":"5"}}]}""", "parameter_missing", TestName = "{m}(No event_name)")]
    [TestCase("""{"events":[{"event_name":"api_calls"}]}""", "parameter_missing", TestName = "{m}(No payload)")]
    [TestCase("""{"events":"evt"}""", "parameter_invalid", TestName = "{m}(Events that are not an array)")]
    [TestCase("""{"events":[1]}""", "parameter_invalid", TestName = "{m}(An event that is not an object)")]
    [TestCase("""{}""", "parameter_missing", TestName = "{m}(No events)")]
    [TestCase("""{"events":[],"extra":1}""", "parameter_unknown", TestName = "{m}(An unknown top-level property)")]
    [TestCase("""{"events":[""", "invalid_request", TestName = "{m}(Malformed JSON)")]
    [TestCase("""[]""", "invalid_request", TestName = "{m}(A JSON array body)")]
    public async Task Stream_MalformedRequest_Is400AndCountsNothing(string body, string code)
    {
        using var response = await PostAsync(Path, body, apiKey: _token, contentType: "application/json");

        await ExpectErrorAsync(response, 400, "invalid_request_error", code);
        Assert.That(Stripe.MeterEvents, Is.Empty);
    }

    [Test]
    public async Task Stream_FormBody_Is400()
    {
        using var response = await PostAsync(Path, "events[0][event_name]=api_calls", apiKey: _token);

        var error = await ExpectErrorAsync(response, 400, "invalid_request_error", "invalid_request");
        Assert.That(error.GetProperty("message").GetString(), Does.Contain("application/json"));
    }

    [Test]
    public async Task Stream_OneMalformedEvent_RejectsTheWholeRequest()
    {
        var bad = StreamEvent("evt-2");
        bad["timestamp"] = "yesterday";

        using var response = await PostStreamAsync(_token, [StreamEvent("evt-1"), bad]);

        await ExpectErrorAsync(response, 400, "invalid_request_error", "parameter_invalid");
        Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.Zero);
    }

    [TestCase(StripeStandIn.DefaultApiKey, TestName = "{m}(The API key)")]
    [TestCase("mes_tok_unknown000000000000000", TestName = "{m}(An unknown token)")]
    [TestCase(null, TestName = "{m}(No Authorization header)")]
    public async Task Stream_AnythingButASessionToken_IsRefused(string? credential)
    {
        using var response = await PostAsync(Path, StreamBody([StreamEvent("evt-1")]), apiKey: credential, contentType: "application/json");

        await ExpectErrorAsync(response, 401, "invalid_request_error", "unauthorized");
        Assert.That(Stripe.MeterEvents, Is.Empty);
        Assert.That(response.Headers.WwwAuthenticate.ToString(), Does.StartWith("Bearer"));
    }

    [Test]
    public async Task Stream_BasicAuthWithAToken_IsRefused()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Path.TrimStart('/'))
        {
            Content = new StringContent(StreamBody([StreamEvent("evt-1")]), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(_token + ":")));

        using var response = await Client.SendAsync(request);

        await ExpectErrorAsync(response, 401, "invalid_request_error", "unauthorized");
    }

    [Test]
    public async Task Stream_Requests_AreRecordedWithTheTokenRedacted()
    {
        using var response = await PostStreamAsync(_token, [StreamEvent("evt-1")], idempotencyKey: "key-1");
        await ExpectOkAsync(response);

        var recorded = Stripe.Requests[^1];
        Assert.Multiple(() =>
        {
            Assert.That(recorded.Path, Is.EqualTo(Path));
            Assert.That(recorded.Headers["Authorization"], Is.EqualTo("Bearer [REDACTED]"));
            Assert.That(recorded.Body, Does.Contain("evt-1"));
            Assert.That(recorded.IdempotencyKey, Is.EqualTo("key-1"));
            Assert.That(recorded.StatusCode, Is.EqualTo(200));
            Assert.That(Stripe.CountRequests("POST", "/v2/billing/"), Is.EqualTo(2), "the session and the stream");
            Assert.That(Stripe.MeterEvents.Single().IdempotencyKey, Is.EqualTo("key-1"));
        });
    }

    [Test]
    public async Task Stream_InactiveMeterReactivated_AcceptsEventsAgain()
    {
        Stripe.DeactivateMeter("mtr_1");
        using var inactive = await PostStreamAsync(_token, [StreamEvent("evt-1")]);
        Stripe.ReactivateMeter("mtr_1");
        using var active = await PostStreamAsync(_token, [StreamEvent("evt-2")]);

        await ExpectOkAsync(inactive);
        await ExpectOkAsync(active);
        Assert.That(Stripe.AcceptedIdentifiers, Is.EquivalentTo(new[] { "evt-2" }));
        Assert.That(Stripe.MeterEventErrors.Single().Code, Is.EqualTo("archived_meter"));
    }

    [Test]
    public async Task Stream_AutoCreatedMetersAndCustomers_Apply()
    {
        await RecreateAsync(o =>
        {
            o.AutoCreateMeters = true;
            o.AutoCreateCustomers = true;
        });
        var token = await CreateSessionTokenAsync();

        using var response = await PostStreamAsync(token, [StreamEvent("evt-1", customer: "cus_new", eventName: "tokens")]);

        await ExpectOkAsync(response);
        Assert.That(Stripe.GetMeterTotal("tokens", "cus_new"), Is.EqualTo(5));
        Assert.That(Stripe.HasCustomer("cus_new"), Is.True);
    }

    [Test]
    public async Task Stream_DecimalValues_FollowIntegerValuesOnly()
    {
        await RecreateAsync(o => o.IntegerValuesOnly = false);
        Stripe.AddCustomer("cus_1");
        Stripe.AddMeter("api_calls");
        var token = await CreateSessionTokenAsync();

        using var response = await PostStreamAsync(token, [StreamEvent("evt-1", value: "2.5")]);

        await ExpectOkAsync(response);
        Assert.That(Stripe.GetMeterAggregate("api_calls", "cus_1"), Is.EqualTo(2.5m));
    }
}
