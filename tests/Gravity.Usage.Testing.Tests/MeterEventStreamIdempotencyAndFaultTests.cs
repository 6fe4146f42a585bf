using Gravity.Usage.Testing.Tests.Support;

namespace Gravity.Usage.Testing.Tests;

/// <summary>The v2 routes go through the same idempotency layer and fault injection as v1, with errors in the v2 envelope.</summary>
[TestFixture(Transport.InProcess)]
[TestFixture(Transport.Loopback)]
public sealed class MeterEventStreamIdempotencyAndFaultTests(Transport transport) : StandInTest(transport)
{
    private const string Stream = "/v2/billing/meter_event_stream";
    private const string Session = "/v2/billing/meter_event_session";
    private string _token = null!;

    [SetUp]
    public async Task ArrangeAsync()
    {
        Stripe.AddCustomer("cus_1");
        Stripe.AddMeter("api_calls");
        _token = await CreateSessionTokenAsync();
    }

    [Test]
    public async Task StreamIdempotency_ReplayedRequest_CountsAndReportsNothingAgain()
    {
        var events = new[] { StreamEvent("evt-1", value: "5"), StreamEvent("evt-bad", customer: "cus_nobody") };

        using var first = await PostStreamAsync(_token, events, idempotencyKey: "k");
        using var replay = await PostStreamAsync(_token, events, idempotencyKey: "k");

        await ExpectOkAsync(first);
        Assert.That(await replay.Content.ReadAsStringAsync(), Is.EqualTo("{}"));
        Assert.Multiple(() =>
        {
            Assert.That(Header(replay, "Idempotent-Replayed"), Is.EqualTo("true"));
            Assert.That(Header(replay, "Original-Request"), Is.EqualTo(Header(first, "Request-Id")));
            Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(5));
            Assert.That(Stripe.CountDuplicateIdentifier("evt-1"), Is.Zero, "a replay is not a duplicate");
            Assert.That(Stripe.MeterEventErrors, Has.Count.EqualTo(1));
            Assert.That(Stripe.CountIdempotencyKeyAttempts("k"), Is.EqualTo(2));
            Assert.That(Stripe.Requests[^1].IsReplay, Is.True);
        });
    }

    [Test]
    public async Task StreamIdempotency_PropertiesInAnotherOrder_AreTheSameRequest()
    {
        const string Body = """{"events":[{"event_name":"api_calls","identifier":"evt-1","payload":{"stripe_customer_id":"cus_1","value":"5"}}]}""";
        const string Reordered = """{"events":[{"payload":{"value":"5","stripe_customer_id":"cus_1"},"identifier":"evt-1","event_name":"api_calls"}]}""";

        using var first = await PostAsync(Stream, Body, "k", apiKey: _token, contentType: "application/json");
        using var replay = await PostAsync(Stream, Reordered, "k", apiKey: _token, contentType: "application/json");

        await ExpectOkAsync(first);
        await ExpectOkAsync(replay);
        Assert.That(Header(replay, "Idempotent-Replayed"), Is.EqualTo("true"));
    }

    [Test]
    public async Task StreamIdempotency_KeyReusedWithOtherEvents_IsAnIdempotencyErrorInTheV2Envelope()
    {
        using var first = await PostStreamAsync(_token, [StreamEvent("evt-1")], idempotencyKey: "k");
        using var other = await PostStreamAsync(_token, [StreamEvent("evt-2")], idempotencyKey: "k");

        await ExpectOkAsync(first);
        await ExpectErrorAsync(other, 400, "idempotency_error", "idempotency_error");
        Assert.That(Stripe.CountAcceptedIdentifier("evt-2"), Is.Zero);
    }

    [Test]
    public async Task StreamIdempotency_KeyReusedAcrossV2Endpoints_IsAnIdempotencyError()
    {
        using var session = await PostAsync(Session, "{}", "k", contentType: "application/json");
        using var stream = await PostStreamAsync(_token, [StreamEvent("evt-1")], idempotencyKey: "k");

        await ExpectOkAsync(session);
        await ExpectErrorAsync(stream, 400, "idempotency_error", "idempotency_error");
    }

    [Test]
    public async Task StreamIdempotency_ReplayedSessionRequest_ReturnsTheSameSession()
    {
        using var first = await PostAsync(Session, "{}", "k", contentType: "application/json");
        using var replay = await PostAsync(Session, "{}", "k", contentType: "application/json");

        Assert.That(await replay.Content.ReadAsStringAsync(), Is.EqualTo(await first.Content.ReadAsStringAsync()));
        Assert.That(Header(replay, "Idempotent-Replayed"), Is.EqualTo("true"));
    }

    [Test]
    public async Task StreamIdempotency_MalformedRequest_IsNotStoredUnderItsKey()
    {
        using var bad = await PostAsync(Stream, """{"events":[]}""", "k", apiKey: _token, contentType: "application/json");
        using var good = await PostStreamAsync(_token, [StreamEvent("evt-1")], idempotencyKey: "k");

        await ExpectErrorAsync(bad, 400, "invalid_request_error");
        await ExpectOkAsync(good);
        Assert.That(Header(good, "Idempotent-Replayed"), Is.Null);
    }

    [Test]
    public async Task StreamIdempotency_ExpiredSession401_IsNotStoredUnderItsKey()
    {
        Stripe.ExpireMeterEventSessions();
        using var expired = await PostStreamAsync(_token, [StreamEvent("evt-1")], idempotencyKey: "k");
        var fresh = await CreateSessionTokenAsync();
        using var retry = await PostStreamAsync(fresh, [StreamEvent("evt-1")], idempotencyKey: "k");

        await ExpectErrorAsync(expired, 401, "temporary_session_expired");
        await ExpectOkAsync(retry);
        Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.EqualTo(1));
    }

    [Test]
    public async Task StreamFaults_BeforeProcessing_CountNothingAndUseTheV2Envelope()
    {
        Stripe.Faults.FailNext("POST", Stream, StripeFault.ServerError(503, shouldRetry: true));

        using var response = await PostStreamAsync(_token, [StreamEvent("evt-1")], idempotencyKey: "k");

        await ExpectErrorAsync(response, 503, "api_error", "internal_error");
        Assert.That(Header(response, "Stripe-Should-Retry"), Is.EqualTo("true"));
        Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.Zero);
        Assert.That(Stripe.Requests[^1].FaultTiming, Is.EqualTo(FaultTiming.BeforeProcessing));
    }

    [Test]
    public async Task StreamFaults_AfterProcessing_CountTheEventsAndARetryReplaysSuccess()
    {
        Stripe.Faults.FailNext("POST", Stream, StripeFault.ServerError(500), timing: FaultTiming.AfterProcessing);

        using var lost = await PostStreamAsync(_token, [StreamEvent("evt-1", value: "5")], idempotencyKey: "k");
        using var retry = await PostStreamAsync(_token, [StreamEvent("evt-1", value: "5")], idempotencyKey: "k");

        await ExpectErrorAsync(lost, 500, "api_error", "internal_error");
        await ExpectOkAsync(retry);
        Assert.That(Header(retry, "Idempotent-Replayed"), Is.EqualTo("true"));
        Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(5));
    }

    [Test]
    public async Task StreamFaults_RetryWithANewKeyAfterALostAnswer_IsDroppedAsADuplicate()
    {
        Stripe.Faults.FailNext("POST", Stream, StripeFault.ServerError(502), timing: FaultTiming.AfterProcessing);

        using var lost = await PostStreamAsync(_token, [StreamEvent("evt-1", value: "5")], idempotencyKey: "k1");
        using var retry = await PostStreamAsync(_token, [StreamEvent("evt-1", value: "5")], idempotencyKey: "k2");

        await ExpectErrorAsync(lost, 502, "api_error");
        await ExpectOkAsync(retry);
        Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(5));
        Assert.That(Stripe.CountDuplicateIdentifier("evt-1"), Is.EqualTo(1));
    }

    [Test]
    public async Task StreamFaults_RateLimitAndConflict_KeepTheirCodes()
    {
        Stripe.Faults.FailNext("POST", Stream, StripeFault.TooManyRequests(shouldRetry: true));
        Stripe.Faults.FailNext("POST", Session, StripeFault.Conflict());

        using var limited = await PostStreamAsync(_token, [StreamEvent("evt-1")]);
        using var conflict = await PostAsync(Session, "{}", contentType: "application/json");

        await ExpectErrorAsync(limited, 429, "invalid_request_error", "rate_limit");
        await ExpectErrorAsync(conflict, 409, "idempotency_error", "idempotency_key_in_use");
    }

    [Test]
    public async Task StreamFaults_StatusDuringProcessing_IsStoredAndReplayed()
    {
        Stripe.Faults.FailNext("POST", Stream, StripeFault.ServerError(500), timing: FaultTiming.DuringProcessing);

        using var first = await PostStreamAsync(_token, [StreamEvent("evt-1")], idempotencyKey: "k");
        using var replay = await PostStreamAsync(_token, [StreamEvent("evt-1")], idempotencyKey: "k");

        await ExpectErrorAsync(first, 500, "api_error", "internal_error");
        await ExpectErrorAsync(replay, 500, "api_error", "internal_error");
        Assert.That(Header(replay, "Idempotent-Replayed"), Is.EqualTo("true"));
        Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.Zero);
    }

    [TestCase(FaultTiming.BeforeProcessing, 0)]
    [TestCase(FaultTiming.AfterProcessing, 1)]
    public async Task StreamFaults_DroppedConnection_FailsTheRequest(FaultTiming timing, int accepted)
    {
        Stripe.Faults.FailNext("POST", Stream, StripeFault.DropConnection(), timing: timing);

        Assert.That(async () => await PostStreamAsync(_token, [StreamEvent("evt-1")]), Throws.InstanceOf<HttpRequestException>());

        await Poll.UntilAsync(() => Stripe.Requests[^1].Outcome != RecordedRequestOutcome.InFlight);
        Assert.That(Stripe.Requests[^1].Outcome, Is.EqualTo(RecordedRequestOutcome.ConnectionDropped));
        Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.EqualTo(accepted));
    }

    [Test]
    public async Task StreamFaults_OnTheSessionRoute_FailSessionCreationOnly()
    {
        Stripe.Faults.FailNext("POST", Session, StripeFault.ServerError(500));

        using var failed = await PostAsync(Session, "{}", contentType: "application/json");
        using var stream = await PostStreamAsync(_token, [StreamEvent("evt-1")]);

        await ExpectErrorAsync(failed, 500, "api_error", "internal_error");
        await ExpectOkAsync(stream);
    }

    [Test]
    public async Task StreamFaults_Probabilistic_ApplyToTheStream()
    {
        var rule = Stripe.Faults.FailRandomly("POST", Stream, StripeFault.ServerError(500), probability: 1.0);

        using var response = await PostStreamAsync(_token, [StreamEvent("evt-1")]);

        await ExpectErrorAsync(response, 500, "api_error");
        Assert.That(rule.Strikes, Is.EqualTo(1));
    }
}
