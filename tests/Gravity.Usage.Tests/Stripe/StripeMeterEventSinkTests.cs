using Gravity.Usage.Stripe;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.Tests.Stripe;

public sealed class StripeMeterEventSinkTests
{
    private StripeHarness _harness = null!;

    [SetUp]
    public void SetUp() => _harness = new StripeHarness();

    [TearDown]
    public void TearDown() => _harness.Dispose();

    [Test]
    public async Task Deliver_AReport_PostsTheMeterEventWithItsIdentifierAsIdempotencyKey()
    {
        _harness.Handler.Then(200, "{\"object\":\"billing.meter_event\"}", "req_ok");
        using var sink = _harness.MeterEventSink();

        var result = await sink.DeliverAsync(StripeHarness.Delivery());

        var request = _harness.Handler.Requests.Single();
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(DeliveryResult.Delivered("req_ok")));
            Assert.That(request.Method, Is.EqualTo(HttpMethod.Post));
            Assert.That(request.Uri.AbsolutePath, Is.EqualTo("/v1/billing/meter_events"));
            Assert.That(request.Header("Stripe-Version"), Is.EqualTo("2026-10-28.endive"), "Stripe.net's pinned version");
            Assert.That(request.Header("Idempotency-Key"), Is.EqualTo("evt-1"));
            Assert.That(request.Header("Authorization"), Is.EqualTo("Bearer " + StripeHarness.ApiKey));
            Assert.That(request.Header("Content-Type"), Does.StartWith("application/x-www-form-urlencoded"));
            Assert.That(StripeHarness.Form(request.Body), Is.EquivalentTo(new Dictionary<string, string>
            {
                ["event_name"] = "api_calls",
                ["payload[stripe_customer_id]"] = "cus_123",
                ["payload[value]"] = "25",
                ["identifier"] = "evt-1",
                ["timestamp"] = "1790000000",
            }));
        });
    }

    [Test]
    public async Task Deliver_WithTheHostsStripeClient_SendsWithItsKeyAndNeedsNoneOfOurs()
    {
        const string HostKey = "sk_test_TheHostsOwnClientKey";
        _harness.Handler.Then(200, "{}", "req_host");
        _harness.Options.ApiKey = null;
        _harness.Options.Client = new global::Stripe.StripeClient(new global::Stripe.StripeClientOptions
        {
            ApiKey = HostKey,
            ApiBase = "https://stripe.host.test",
            HttpClient = new global::Stripe.SystemNetHttpClient(new HttpClient(_harness.Handler, disposeHandler: false)),
        });
        using var sink = _harness.MeterEventSink();

        var result = await sink.DeliverAsync(StripeHarness.Delivery());

        var request = _harness.Handler.Requests.Single();
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(DeliveryResult.Delivered("req_host")));
            Assert.That(request.Header("Authorization"), Is.EqualTo("Bearer " + HostKey));
            Assert.That(request.Uri.Host, Is.EqualTo("stripe.host.test"), "the client's own address");
        });
    }

    [Test]
    public async Task Deliver_ValueOfMoreThan15Digits_IsRefusedWithoutAnyRequest()
    {
        using var sink = _harness.MeterEventSink();

        var result = await sink.DeliverAsync(StripeHarness.Delivery(quantity: 1_000_000_000_000_000));

        Assert.Multiple(() =>
        {
            Assert.That(result.Outcome, Is.EqualTo(DeliveryOutcome.Permanent));
            Assert.That(result.Error, Does.Contain("15 significant digits"));
            Assert.That(_harness.Handler.Requests, Is.Empty);
        });
    }

    [Test]
    public async Task Deliver_LargeQuantity_IsAnInvariantInteger()
    {
        _harness.Handler.Then(200);
        using var sink = _harness.MeterEventSink();

        await sink.DeliverAsync(StripeHarness.Delivery(quantity: 999_999_999_999_999));

        Assert.That(StripeHarness.Form(_harness.Handler.Requests.Single().Body)["payload[value]"], Is.EqualTo("999999999999999"));
    }

    [Test]
    public async Task Deliver_AfterTransientFailures_IsDeliveredWithTheSameKey()
    {
        _harness.Handler.Then(500).Then(503).Then(200, "{}", "req_3");
        using var sink = _harness.MeterEventSink();

        var result = await sink.DeliverAsync(StripeHarness.Delivery(identifier: "rpt-42"));

        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(DeliveryResult.Delivered("req_3")));
            Assert.That(_harness.Handler.Requests.Select(r => r.Header("Idempotency-Key")), Is.EqualTo(new[] { "rpt-42", "rpt-42", "rpt-42" }));
        });
    }

    [Test]
    public async Task Deliver_DuplicateMeterEventCode_IsDelivered()
    {
        _harness.Handler.Then(400, StubHttpHandler.ErrorBody("invalid_request_error", "duplicate_meter_event", "This event has already been recorded."), "req_dup");
        using var sink = _harness.MeterEventSink();

        var result = await sink.DeliverAsync(StripeHarness.Delivery());

        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(DeliveryResult.Delivered("req_dup")));
            Assert.That(_harness.Logger.Entries.Any(e => e.Level >= LogLevel.Warning), Is.False);
        });
    }

    [TestCase("An event already exists with identifier evt-1.", null)]
    [TestCase("A meter event with identifier 'evt-1' already exists.", null)]
    [TestCase("This value already exists.", "identifier")]
    public async Task Deliver_IdentifierAlreadyExistsMessage_IsDelivered(string message, string? param)
    {
        _harness.Handler.Then(400, StubHttpHandler.ErrorBody("invalid_request_error", null, message, param), "req_dup");
        using var sink = _harness.MeterEventSink();

        var result = await sink.DeliverAsync(StripeHarness.Delivery());

        Assert.That(result.Outcome, Is.EqualTo(DeliveryOutcome.Delivered));
    }

    [Test]
    public async Task Deliver_UnknownCustomer_IsPermanentWithStripesMessageAndRequestId()
    {
        _harness.Handler.Then(400, StubHttpHandler.ErrorBody("invalid_request_error", "resource_missing", "No such customer: 'cus_x'", "payload[stripe_customer_id]"), "req_123");
        using var sink = _harness.MeterEventSink();

        var result = await sink.DeliverAsync(StripeHarness.Delivery(customer: "cus_x"));

        Assert.Multiple(() =>
        {
            Assert.That(result.Outcome, Is.EqualTo(DeliveryOutcome.Permanent));
            Assert.That(result.RequestId, Is.EqualTo("req_123"));
            Assert.That(result.Error, Is.EqualTo("Stripe refused POST /v1/billing/meter_events (400 invalid_request_error/resource_missing, param payload[stripe_customer_id], request req_123): No such customer: 'cus_x'"));
            Assert.That(_harness.Handler.Requests, Has.Count.EqualTo(1));
            var error = _harness.Logger.Entries.Single(e => e.Level == LogLevel.Error);
            Assert.That(error.Message, Does.Contain("/v1/billing/meter_events").And.Contain("400").And.Contain("invalid_request_error/resource_missing").And.Contain("req_123"));
        });
    }

    [TestCase(401)]
    [TestCase(402)]
    [TestCase(403)]
    [TestCase(404)]
    public async Task Deliver_OtherClientErrors_ArePermanent(int status)
    {
        _harness.Handler.Then(status, StubHttpHandler.ErrorBody("invalid_request_error", null, "Refused."), "req_x");
        using var sink = _harness.MeterEventSink();

        var result = await sink.DeliverAsync(StripeHarness.Delivery());

        Assert.Multiple(() =>
        {
            Assert.That(result.Outcome, Is.EqualTo(DeliveryOutcome.Permanent));
            Assert.That(_harness.Handler.Requests, Has.Count.EqualTo(1));
        });
    }

    [Test]
    public async Task Deliver_IdempotencyError_IsPermanent()
    {
        _harness.Handler.Then(400, StubHttpHandler.ErrorBody("idempotency_error", null, "Keys for idempotent requests can only be used with the same parameters they were first used with."), "req_idem");
        using var sink = _harness.MeterEventSink();

        var result = await sink.DeliverAsync(StripeHarness.Delivery());

        Assert.That(result.Outcome, Is.EqualTo(DeliveryOutcome.Permanent));
    }

    [Test]
    public async Task Deliver_Unauthorized_NeverShowsTheKey()
    {
        // A misbehaving stand-in that echoes the key everywhere it can: in 500 and 401 bodies and in a request id.
        var echo = StubHttpHandler.ErrorBody("invalid_request_error", null, "Invalid API Key provided: " + StripeHarness.ApiKey, StripeHarness.ApiKey);
        _harness.Handler
            .Then(500, echo, "req_500")
            .ThenThrow(new HttpRequestException("Connection reset"))
            .Then(401, echo, "req_" + StripeHarness.ApiKey);
        using var sink = _harness.MeterEventSink();

        var result = await sink.DeliverAsync(StripeHarness.Delivery());

        Assert.Multiple(() =>
        {
            Assert.That(result.Outcome, Is.EqualTo(DeliveryOutcome.Permanent));
            Assert.That(result.ToString(), Does.Not.Contain(StripeHarness.ApiKey));
            Assert.That(result.Error, Does.Contain("401").And.Contain("Invalid API Key provided"));
            Assert.That(_harness.Handler.Requests, Has.Count.EqualTo(3), "Stripe.net retried the 500 and the reset");
            Assert.That(_harness.Logger.Entries.Count(e => e.Level == LogLevel.Error), Is.EqualTo(1));
            Assert.That(_harness.Logger.AllText, Does.Not.Contain(StripeHarness.ApiKey));
            Assert.That(_harness.Logger.AllText, Does.Not.Contain("Authorization").IgnoreCase);
        });
    }

    [Test]
    public async Task Deliver_TransientAfterRetries_IsTransientWithRetryAfterAndRequestId()
    {
        _harness.Handler.Always(503, StubHttpHandler.ErrorBody("api_error", null, "Service unavailable."), "req_503", ("Retry-After", "2"));
        using var sink = _harness.MeterEventSink();

        var result = await sink.DeliverAsync(StripeHarness.Delivery());

        Assert.Multiple(() =>
        {
            Assert.That(result.Outcome, Is.EqualTo(DeliveryOutcome.Transient));
            Assert.That(result.RequestId, Is.EqualTo("req_503"));
            Assert.That(result.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(2)));
            Assert.That(result.Error, Is.EqualTo("Stripe refused POST /v1/billing/meter_events (503 api_error, request req_503): Service unavailable."));
            Assert.That(_harness.Handler.Requests, Has.Count.EqualTo(3), "Stripe.net's two retries");
            Assert.That(_harness.Handler.Requests.Select(r => r.Header("Idempotency-Key")).Distinct(), Is.EqualTo(new[] { "evt-1" }));
            Assert.That(_harness.Logger.Entries.Count(e => e.Level == LogLevel.Warning), Is.EqualTo(1), "the transient failure");
            Assert.That(_harness.Logger.Entries.Any(e => e.Level == LogLevel.Error), Is.False);
        });
    }

    [TestCase(409, 3)]
    [TestCase(429, 1)]
    [TestCase(500, 3)]
    public async Task Deliver_RetryableStatusesExhausted_AreTransient(int status, int requests)
    {
        _harness.Handler.Always(status);
        using var sink = _harness.MeterEventSink();

        var result = await sink.DeliverAsync(StripeHarness.Delivery());

        Assert.Multiple(() =>
        {
            Assert.That(result.Outcome, Is.EqualTo(DeliveryOutcome.Transient));
            // Stripe.net retries 409 and 5xx within the call, not 429: a rate limit waits for a later run.
            Assert.That(_harness.Handler.Requests, Has.Count.EqualTo(requests));
        });
    }

    [Test]
    public async Task Deliver_ReplayedStoredServerError_AsksForAFreshKey()
    {
        _harness.Options.MaxNetworkRetries = 0;
        _harness.Handler.Then(500, StubHttpHandler.ErrorBody("api_error", null, "Stored."), "req_replayed", ("Idempotent-Replayed", "true"));
        using var sink = _harness.MeterEventSink();

        var result = await sink.DeliverAsync(StripeHarness.Delivery());

        Assert.Multiple(() =>
        {
            Assert.That(result.Outcome, Is.EqualTo(DeliveryOutcome.Transient));
            Assert.That(result.RotateIdempotencyKey, Is.True, "the identifier still de-duplicates, so a fresh key is safe");
        });
    }

    [Test]
    public async Task Deliver_ConnectionErrorsExhausted_AreTransientWithoutRequestId()
    {
        _harness.Handler.ThenThrow(new HttpRequestException("Connection refused")).ThenThrow(new HttpRequestException("Connection refused")).ThenThrow(new HttpRequestException("Connection refused"));
        using var sink = _harness.MeterEventSink();

        var result = await sink.DeliverAsync(StripeHarness.Delivery());

        Assert.Multiple(() =>
        {
            Assert.That(result.Outcome, Is.EqualTo(DeliveryOutcome.Transient));
            Assert.That(result.RequestId, Is.Null);
            Assert.That(result.Error, Is.EqualTo("Stripe could not be reached for POST /v1/billing/meter_events: Connection refused"));
            Assert.That(_harness.Handler.Requests, Has.Count.EqualTo(3), "Stripe.net retried twice");
        });
    }

    [Test]
    public async Task Deliver_HostsHttpClientWithoutATimeout_TheCallIsStillCutAtRequestTimeoutAndIsTransient()
    {
        // The harness's HttpClient has no timeout of its own, like many a host's; the answer never comes.
        _harness.Options.RequestTimeout = TimeSpan.FromMilliseconds(200);
        _harness.Options.MaxNetworkRetries = 0;
        _harness.Handler.ThenHang();
        using var sink = _harness.MeterEventSink();
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var result = await sink.DeliverAsync(StripeHarness.Delivery(), guard.Token);

        Assert.Multiple(() =>
        {
            Assert.That(result.Outcome, Is.EqualTo(DeliveryOutcome.Transient));
            Assert.That(result.Error, Is.EqualTo("Stripe did not answer POST /v1/billing/meter_events in time."));
            Assert.That(guard.IsCancellationRequested, Is.False, "cut by the call's own limit, not the test's guard");
        });
    }

    [Test]
    public async Task Deliver_ServerErrorMarkedDoNotRetry_IsPermanent()
    {
        _harness.Handler.Then(500, StubHttpHandler.ErrorBody("api_error", null, "Failed."), "req_500", ("Stripe-Should-Retry", "false"));
        using var sink = _harness.MeterEventSink();

        var result = await sink.DeliverAsync(StripeHarness.Delivery());

        Assert.Multiple(() =>
        {
            Assert.That(result.Outcome, Is.EqualTo(DeliveryOutcome.Permanent));
            Assert.That(_harness.Handler.Requests, Has.Count.EqualTo(1));
        });
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("  ")]
    public async Task Deliver_NoStripeCustomer_IsPermanentWithoutAnyRequest(string? customer)
    {
        using var sink = _harness.MeterEventSink();

        var result = await sink.DeliverAsync(StripeHarness.Delivery(customer: customer));

        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(DeliveryResult.Permanent("Account 'acme' has no Stripe customer id; map it with IUsageAccountStore.SaveAccountAsync or the account resolver.")));
            Assert.That(_harness.Handler.Requests, Is.Empty);
        });
    }

    [Test]
    public async Task Deliver_IdentifierStripeCannotTake_IsPermanentWithoutAnyRequest()
    {
        using var sink = _harness.MeterEventSink();

        var result = await sink.DeliverAsync(StripeHarness.Delivery(identifier: new string('x', 101)));

        Assert.Multiple(() =>
        {
            Assert.That(result.Outcome, Is.EqualTo(DeliveryOutcome.Permanent));
            Assert.That(_harness.Handler.Requests, Is.Empty);
        });
    }

    [Test]
    public void Deliver_CallerCancelled_Propagates()
    {
        _harness.Handler.Always(200);
        using var sink = _harness.MeterEventSink();
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();

        Assert.That(async () => await sink.DeliverAsync(StripeHarness.Delivery(), cancellation.Token), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(_harness.Handler.Requests, Is.Empty);
    }

    [Test]
    public async Task Deliver_CallerCancelledDuringAttempt_Propagates()
    {
        _harness.Handler.ThenHang();
        using var sink = _harness.MeterEventSink();
        using var cancellation = new CancellationTokenSource();
        var entered = _harness.Handler.Entered.Task;

        var delivery = sink.DeliverAsync(StripeHarness.Delivery(), cancellation.Token);
        await entered;
        await cancellation.CancelAsync();

        Assert.That(async () => await delivery, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task PublicConstructor_HostsHttpClientAndTimeProvider_AreUsed()
    {
        _harness.Handler.Then(200, "{}", "req_public");
        var logger = new TestLogger<StripeMeterEventSink>();
        using var sink = new StripeMeterEventSink(_harness.Options, _harness.Clock, logger);

        var result = await sink.DeliverAsync(StripeHarness.Delivery());

        Assert.That(result, Is.EqualTo(DeliveryResult.Delivered("req_public")));
    }

    [Test]
    public void PublicConstructor_InvalidOptions_ThrowsListingFailuresWithoutTheKey()
    {
        const string Secret = "xk_live_ThisIsNotAValidPrefixButStillSecret";
        var options = new StripeOptions { ApiKey = Secret, MaxRequestsPerSecond = 0 };

        var exception = Assert.Throws<OptionsValidationException>(() => new StripeMeterEventSink(options));

        Assert.Multiple(() =>
        {
            Assert.That(exception!.Failures.Count(), Is.EqualTo(2));
            Assert.That(exception.Message, Does.Not.Contain(Secret));
            Assert.That(exception.ToString(), Does.Not.Contain(Secret));
        });
    }

    [Test]
    public void Factory_EachApi_ChoosesItsSink()
    {
        var meterEvents = new StripeOptions { ApiKey = StripeHarness.ApiKey };
        var legacy = new StripeOptions { ApiKey = StripeHarness.ApiKey, Api = StripeUsageApi.LegacyUsageRecords };
        var stream = new StripeOptions { ApiKey = StripeHarness.ApiKey, Api = StripeUsageApi.MeterEventStream };

        var first = StripeSinks.Create(meterEvents, TimeProvider.System, loggerFactory: null);
        var second = StripeSinks.Create(legacy);
        var third = StripeSinks.Create(stream);
        try
        {
            Assert.Multiple(() =>
            {
                Assert.That(first, Is.InstanceOf<StripeMeterEventSink>());
                Assert.That(second, Is.InstanceOf<StripeUsageRecordSink>());
                Assert.That(third, Is.InstanceOf<StripeMeterEventStreamSink>().And.Property(nameof(IUsageSink.MaxBatchSize)).EqualTo(100));
            });
        }
        finally
        {
            ((IDisposable)first).Dispose();
            ((IDisposable)second).Dispose();
            ((IDisposable)third).Dispose();
        }
    }
}
