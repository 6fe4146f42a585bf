using Gravity.Usage.Testing.Tests.Support;

namespace Gravity.Usage.Testing.Tests;

[TestFixture(Transport.InProcess)]
[TestFixture(Transport.Loopback)]
public sealed class FaultInjectionTests(Transport transport) : StandInTest(transport)
{
    private const string MeterEvents = "/v1/billing/meter_events";

    [SetUp]
    public void Arrange()
    {
        Stripe.AddCustomer("cus_1");
        Stripe.AddMeter("api_calls");
    }

    [TestCase(null)]
    [TestCase(true)]
    [TestCase(false)]
    public async Task Faults_TooManyRequests_AnswerWithOrWithoutShouldRetry(bool? shouldRetry)
    {
        var rule = Stripe.Faults.FailNext("POST", MeterEvents, StripeFault.TooManyRequests(shouldRetry));

        using var faulted = await PostMeterEventAsync("cus_1", "5", "evt-1");
        using var next = await PostMeterEventAsync("cus_1", "5", "evt-1");

        await ExpectErrorAsync(faulted, 429, "invalid_request_error", "rate_limit");
        Assert.Multiple(() =>
        {
            Assert.That(Header(faulted, "Stripe-Should-Retry"), Is.EqualTo(shouldRetry switch { null => null, true => "true", false => "false" }));
            Assert.That(Header(faulted, "Request-Id"), Does.StartWith("req_"));
            Assert.That(rule.Strikes, Is.EqualTo(1));
            Assert.That(rule.IsExhausted, Is.True);
            Assert.That(Stripe.Faults.TotalStrikes, Is.EqualTo(1));
        });
        await ExpectOkAsync(next);
        Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(5));
    }

    [Test]
    public async Task Faults_Conflict_Is409()
    {
        Stripe.Faults.FailNext("POST", MeterEvents, StripeFault.Conflict(shouldRetry: true));

        using var response = await PostMeterEventAsync("cus_1", "5", "evt-1");

        await ExpectErrorAsync(response, 409, "idempotency_error", "idempotency_key_in_use");
        Assert.That(Header(response, "Stripe-Should-Retry"), Is.EqualTo("true"));
        Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.Zero);
    }

    [TestCase(500, null)]
    [TestCase(500, true)]
    [TestCase(502, false)]
    [TestCase(503, true)]
    [TestCase(503, false)]
    [TestCase(504, null)]
    public async Task Faults_ServerErrorBeforeProcessing_RecordsNothing(int status, bool? shouldRetry)
    {
        Stripe.Faults.FailNext("POST", MeterEvents, StripeFault.ServerError(status, shouldRetry));

        using var response = await PostMeterEventAsync("cus_1", "5", "evt-1", idempotencyKey: "k");

        await ExpectErrorAsync(response, status, "api_error");
        Assert.That(Header(response, "Stripe-Should-Retry"), Is.EqualTo(shouldRetry?.ToString().ToLowerInvariant()));
        Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.Zero);
        var recorded = Stripe.Requests.Single();
        Assert.That(recorded.StatusCode, Is.EqualTo(status));
        Assert.That(recorded.Fault?.StatusCode, Is.EqualTo(status));
        Assert.That(recorded.FaultTiming, Is.EqualTo(FaultTiming.BeforeProcessing));
    }

    [Test]
    public async Task Faults_ServerErrorAfterProcessing_RecordsTheEventAndARetryReplaysSuccess()
    {
        Stripe.Faults.FailNext("POST", MeterEvents, StripeFault.ServerError(503, shouldRetry: true), timing: FaultTiming.AfterProcessing);

        using var lost = await PostMeterEventAsync("cus_1", "5", "evt-1", timestamp: 1_790_000_000, idempotencyKey: "k");
        using var retry = await PostMeterEventAsync("cus_1", "5", "evt-1", timestamp: 1_790_000_000, idempotencyKey: "k");

        await ExpectErrorAsync(lost, 503, "api_error");
        Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.EqualTo(1), "Stripe accepted it; only the answer was lost");
        await ExpectOkAsync(retry);
        Assert.That(Header(retry, "Idempotent-Replayed"), Is.EqualTo("true"));
        Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(5));
        Assert.That(Stripe.CountIdempotencyKeyAttempts("k"), Is.EqualTo(2));
    }

    [Test]
    public async Task Faults_LostAnswerThenRetryWithANewKey_HitsIdentifierDeduplication()
    {
        Stripe.Faults.FailNext("POST", MeterEvents, StripeFault.ServerError(502), timing: FaultTiming.AfterProcessing);

        using var lost = await PostMeterEventAsync("cus_1", "5", "evt-1", idempotencyKey: "k1");
        using var retry = await PostMeterEventAsync("cus_1", "5", "evt-1", idempotencyKey: "k2");

        await ExpectErrorAsync(lost, 502, "api_error");
        await ExpectErrorAsync(retry, 400, "invalid_request_error", "duplicate_meter_event", "identifier");
        Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(5));
    }

    [TestCase(FaultTiming.BeforeProcessing, 0)]
    [TestCase(FaultTiming.DuringProcessing, 1)]
    [TestCase(FaultTiming.AfterProcessing, 1)]
    public async Task Faults_DroppedConnection_FailsTheRequest(FaultTiming timing, int accepted)
    {
        Stripe.Faults.FailNext("POST", MeterEvents, StripeFault.DropConnection(), timing: timing);

        Assert.That(async () => await PostMeterEventAsync("cus_1", "5", "evt-1"), Throws.InstanceOf<HttpRequestException>());

        await Poll.UntilAsync(() => Stripe.Requests.Single().Outcome != RecordedRequestOutcome.InFlight);
        Assert.That(Stripe.Requests.Single().Outcome, Is.EqualTo(RecordedRequestOutcome.ConnectionDropped));
        Assert.That(Stripe.Requests.Single().StatusCode, Is.Null);
        Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.EqualTo(accepted));
        using var next = await PostMeterEventAsync("cus_1", "5", "evt-2");
        await ExpectOkAsync(next);
    }

    [TestCase(FaultTiming.BeforeProcessing, 0)]
    [TestCase(FaultTiming.AfterProcessing, 1)]
    public async Task Faults_DroppedReusedConnection_FailsTheRequest(FaultTiming timing, int accepted)
    {
        using (var warmUp = await GetAsync("/v1/billing/meters"))
        {
            await ExpectOkAsync(warmUp);
        }

        Stripe.Faults.FailNext("POST", MeterEvents, StripeFault.DropConnection(), timing: timing);

        Assert.That(async () => await PostMeterEventAsync("cus_1", "5", "evt-1"), Throws.InstanceOf<HttpRequestException>());

        Assert.That(Stripe.CountRequests("POST", MeterEvents), Is.EqualTo(1));
        Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.EqualTo(accepted));
    }

    [TestCase(FaultTiming.BeforeProcessing, 0)]
    [TestCase(FaultTiming.DuringProcessing, 1)]
    [TestCase(FaultTiming.AfterProcessing, 1)]
    public async Task Faults_Timeout_HoldsTheRequestUntilTheClientGivesUp(FaultTiming timing, int accepted)
    {
        var rule = Stripe.Faults.FailNext("POST", MeterEvents, StripeFault.Timeout(), timing: timing);
        using var giveUp = new CancellationTokenSource();

        var held = PostMeterEventAsync("cus_1", "5", "evt-1", cancellationToken: giveUp.Token);
        await Poll.UntilAsync(() => rule.Strikes == 1 && (timing != FaultTiming.AfterProcessing || Stripe.CountAcceptedIdentifier("evt-1") == 1));
        Assert.That(held.IsCompleted, Is.False, "held");
        await giveUp.CancelAsync();

        Assert.That(async () => await held, Throws.InstanceOf<OperationCanceledException>());
        await Poll.UntilAsync(() => Stripe.Requests.Single().Outcome != RecordedRequestOutcome.InFlight);
        Assert.That(Stripe.Requests.Single().Outcome, Is.EqualTo(RecordedRequestOutcome.ClientAborted));
        Assert.That(Stripe.Requests.Single().StatusCode, Is.Null);
        Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.EqualTo(accepted));
    }

    [Test]
    public void Faults_Timeout_SurfacesAsTheHttpClientTimeout()
    {
        Stripe.Faults.FailNext("POST", MeterEvents, StripeFault.Timeout());
        using var impatient = Transport == Transport.Loopback
            ? new HttpClient { BaseAddress = Stripe.BaseAddress }
            : new HttpClient(Stripe.CreateHandler()) { BaseAddress = StripeStandIn.InProcessBaseAddress };
        impatient.Timeout = TimeSpan.FromMilliseconds(300);

        Assert.That(
            async () => await PostAsync(MeterEvents, "event_name=api_calls&payload[stripe_customer_id]=cus_1&payload[value]=5&identifier=evt-1", client: impatient),
            Throws.InstanceOf<TaskCanceledException>().With.InnerException.InstanceOf<TimeoutException>());
        Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.Zero);
    }

    [Test]
    public async Task Faults_TimeoutWithAMaximumHold_DropsTheConnection()
    {
        Stripe.Faults.FailNext("POST", MeterEvents, StripeFault.Timeout(TimeSpan.FromMilliseconds(50)), timing: FaultTiming.AfterProcessing);

        Assert.That(async () => await PostMeterEventAsync("cus_1", "5", "evt-1"), Throws.InstanceOf<HttpRequestException>());

        await Poll.UntilAsync(() => Stripe.Requests.Single().Outcome != RecordedRequestOutcome.InFlight);
        Assert.That(Stripe.Requests.Single().Outcome, Is.EqualTo(RecordedRequestOutcome.ConnectionDropped));
        Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.EqualTo(1));
    }

    [TestCase(FaultTiming.BeforeProcessing)]
    [TestCase(FaultTiming.DuringProcessing)]
    [TestCase(FaultTiming.AfterProcessing)]
    public async Task Faults_Delay_ThenNormalAnswer(FaultTiming timing)
    {
        var rule = Stripe.Faults.FailNext("POST", MeterEvents, StripeFault.Delay(TimeSpan.FromMilliseconds(20)), timing: timing);

        using var response = await PostMeterEventAsync("cus_1", "5", "evt-1");

        await ExpectOkAsync(response);
        Assert.That(rule.Strikes, Is.EqualTo(1));
        Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.EqualTo(1));
        Assert.That(Stripe.Requests.Single().Fault?.Kind, Is.EqualTo(StripeFaultKind.Delay));
    }

    [Test]
    public async Task Faults_NextNRequests_ThenNormalAndMatchMethodAndPathPrefix()
    {
        var rule = Stripe.Faults.FailNext("POST", MeterEvents, StripeFault.ServerError(500), count: 2);

        using var get = await GetAsync("/v1/billing/meters");
        using var adjustments = await PostAsync("/v1/billing/meter_event_adjustments", "event_name=api_calls&type=cancel&cancel[identifier]=nope");
        using var first = await PostMeterEventAsync("cus_1", "1", "a");
        using var second = await PostMeterEventAsync("cus_1", "1", "b");
        using var third = await PostMeterEventAsync("cus_1", "1", "c");

        await ExpectOkAsync(get);
        await ExpectErrorAsync(adjustments, 400, "invalid_request_error", "resource_missing");
        Assert.That((int)first.StatusCode, Is.EqualTo(500));
        Assert.That((int)second.StatusCode, Is.EqualTo(500));
        await ExpectOkAsync(third);
        Assert.Multiple(() =>
        {
            Assert.That(rule.Matches, Is.EqualTo(2));
            Assert.That(rule.Strikes, Is.EqualTo(2));
            Assert.That(rule.IsExhausted, Is.True);
            Assert.That(Stripe.AcceptedIdentifiers, Is.EquivalentTo(new[] { "c" }));
            Assert.That(Stripe.CountRequests("POST", MeterEvents), Is.EqualTo(3), "faulted attempts are counted");
        });
    }

    [Test]
    public async Task Faults_AnyMethodAnyPath_MatchEveryRequest()
    {
        Stripe.Faults.Add(null, "/", StripeFault.ServerError(503), times: 1);
        Stripe.Faults.Add("*", "/v1", StripeFault.ServerError(502), times: 1);

        using var first = await GetAsync("/v1/billing/meters");
        using var second = await PostMeterEventAsync("cus_1", "1", "a");
        using var third = await GetAsync("/v1/billing/meters");

        Assert.That((int)first.StatusCode, Is.EqualTo(503));
        Assert.That((int)second.StatusCode, Is.EqualTo(502));
        await ExpectOkAsync(third);
    }

    [Test]
    public async Task Faults_ProbabilisticWithASeed_AreReproducible()
    {
        async Task<string> RunAsync()
        {
            await RecreateAsync(o => o.FaultSeed = 42);
            Stripe.AddCustomer("cus_1");
            Stripe.AddMeter("api_calls");
            Stripe.Faults.FailRandomly("POST", MeterEvents, StripeFault.ServerError(500), probability: 0.5);
            var pattern = new char[40];
            for (var i = 0; i < pattern.Length; i++)
            {
                using var response = await PostMeterEventAsync("cus_1", "1", $"e{i}");
                pattern[i] = response.IsSuccessStatusCode ? '.' : 'x';
            }

            return new string(pattern);
        }

        var first = await RunAsync();
        var second = await RunAsync();

        Assert.That(second, Is.EqualTo(first));
        Assert.That(first, Does.Contain(".").And.Contain("x"));
        Assert.That(Stripe.AcceptedIdentifiers, Has.Count.EqualTo(first.Count(c => c == '.')));
        Assert.That(Stripe.Faults.Rules.Single().Matches, Is.EqualTo(40));
    }

    [Test]
    public async Task Faults_ProbabilityAndCount_CombineAndRulesCanBeRemoved()
    {
        var limited = Stripe.Faults.Add("POST", MeterEvents, StripeFault.ServerError(500), times: 3, probability: 0.5);
        for (var i = 0; i < 40; i++)
        {
            using var response = await PostMeterEventAsync("cus_1", "1", $"e{i}");
        }

        Assert.That(limited.Strikes, Is.EqualTo(3));
        Assert.That(Stripe.AcceptedIdentifiers, Has.Count.EqualTo(37));

        var always = Stripe.Faults.Add("GET", "/v1/billing/meters", StripeFault.ServerError(500));
        Assert.That(Stripe.Faults.Remove(always), Is.True);
        using var get = await GetAsync("/v1/billing/meters");
        await ExpectOkAsync(get);

        Stripe.Faults.Add("GET", "/v1/billing/meters", StripeFault.ServerError(500));
        Stripe.Faults.Clear();
        Assert.That(Stripe.Faults.Rules, Is.Empty);
    }

    [Test]
    public void Faults_InvalidRule_IsRejected()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => Stripe.Faults.Add("POST", "v1/no-slash", StripeFault.DropConnection()), Throws.ArgumentException);
            Assert.That(() => Stripe.Faults.Add("POST", "/", StripeFault.DropConnection(), times: 0), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => Stripe.Faults.Add("POST", "/", StripeFault.DropConnection(), probability: 0), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => Stripe.Faults.Add("POST", "/", StripeFault.DropConnection(), probability: 1.5), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => StripeFault.ServerError(404), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => StripeFault.Status(302, "api_error", "x"), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => StripeFault.Delay(TimeSpan.FromSeconds(-1)), Throws.InstanceOf<ArgumentOutOfRangeException>());
        });
    }

    [Test]
    public async Task Faults_CustomStatus_IsAnswered()
    {
        Stripe.Faults.FailNext("POST", MeterEvents, StripeFault.Status(403, "invalid_request_error", "This key lacks permission.", "secret_key_required", shouldRetry: false));

        using var response = await PostMeterEventAsync("cus_1", "1", "a");

        await ExpectErrorAsync(response, 403, "invalid_request_error", "secret_key_required");
        Assert.That(Header(response, "Stripe-Should-Retry"), Is.EqualTo("false"));
    }

    [Test]
    public async Task Dispose_HeldRequests_AreEnded()
    {
        Stripe.Faults.FailNext("POST", MeterEvents, StripeFault.Timeout());
        var held = PostMeterEventAsync("cus_1", "1", "a");
        await Poll.UntilAsync(() => Stripe.RequestCount == 1);

        await Stripe.DisposeAsync();

        Assert.That(async () => await held, Throws.InstanceOf<HttpRequestException>());
    }

    [Test]
    public async Task ResponseDelay_Set_IsAppliedToEveryRequest()
    {
        await RecreateAsync(o => o.ResponseDelay = TimeSpan.FromMilliseconds(5));
        Stripe.AddCustomer("cus_1");
        Stripe.AddMeter("api_calls");

        using var response = await PostMeterEventAsync("cus_1", "5", "evt-1");

        await ExpectOkAsync(response);
    }
}
