using System.Net.Sockets;
using Gravity.Usage.Stripe;
using Microsoft.Extensions.Logging;

namespace Gravity.Usage.Tests.Stripe;

public sealed class StripeClientTests
{
    private const string MeterEvents = "/v1/billing/meter_events";

    private StripeHarness _harness = null!;

    [SetUp]
    public void SetUp() => _harness = new StripeHarness();

    [TearDown]
    public void TearDown() => _harness.Dispose();

    [Test]
    public async Task PostForm_SendsKeyVersionIdempotencyKeyAndFormBody()
    {
        _harness.Handler.Then(200, "{\"object\":\"billing.meter_event\"}", "req_ok");
        using var client = _harness.Client();

        var response = await client.PostFormAsync(MeterEvents, StripeHarness.MeterEventForm(), "idem-1", "2026-10-28.endive", CancellationToken.None);

        var request = _harness.Handler.Requests.Single();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(200));
            Assert.That(response.RequestId, Is.EqualTo("req_ok"));
            Assert.That(response.Body, Is.EqualTo("{\"object\":\"billing.meter_event\"}"));
            Assert.That(response.Attempts, Is.EqualTo(1));
            Assert.That(request.Method, Is.EqualTo(HttpMethod.Post));
            Assert.That(request.Uri.AbsoluteUri, Is.EqualTo("https://stripe.test/v1/billing/meter_events"));
            Assert.That(request.Header("Authorization"), Is.EqualTo("Bearer " + StripeHarness.ApiKey));
            Assert.That(request.Header("Stripe-Version"), Is.EqualTo("2026-10-28.endive"));
            Assert.That(request.Header("Idempotency-Key"), Is.EqualTo("idem-1"));
            Assert.That(request.Header("Accept"), Is.EqualTo("application/json"));
            Assert.That(request.Header("User-Agent"), Does.Match(@"^Gravity\.Usage/\d+\.\d+\.\d+"));
            Assert.That(request.Header("Content-Type"), Is.EqualTo("application/x-www-form-urlencoded"));
            Assert.That(request.Body, Is.EqualTo("event_name=api_calls&payload[stripe_customer_id]=cus_123&payload[value]=25&identifier=evt-1&timestamp=1790000000"));
        });
    }

    [Test]
    public async Task PostForm_ApiBaseWithPath_KeepsThePath()
    {
        _harness.Options.ApiBase = new Uri("http://127.0.0.1:8421/stripe/");
        _harness.Handler.Then(200);
        using var client = _harness.Client();

        await client.PostFormAsync(MeterEvents, StripeHarness.MeterEventForm(), "idem-1", "2026-10-28.endive", CancellationToken.None);

        Assert.That(_harness.Handler.Requests.Single().Uri.AbsoluteUri, Is.EqualTo("http://127.0.0.1:8421/stripe/v1/billing/meter_events"));
    }

    [Test]
    public async Task Get_EncodesQueryAndSendsNoIdempotencyKeyOrBody()
    {
        _harness.Handler.Then(200, "{\"object\":\"list\"}");
        using var client = _harness.Client();
        KeyValuePair<string, string>[] query = [new("customer", "cus_123"), new("start_time", "1789999200"), new("end_time", "1790002800"), new("value_grouping_window", "hour")];

        await client.GetAsync("/v1/billing/meters/mtr_1/event_summaries", query, "2026-10-28.endive", CancellationToken.None);

        var request = _harness.Handler.Requests.Single();
        Assert.Multiple(() =>
        {
            Assert.That(request.Method, Is.EqualTo(HttpMethod.Get));
            Assert.That(request.Uri.PathAndQuery, Is.EqualTo("/v1/billing/meters/mtr_1/event_summaries?customer=cus_123&start_time=1789999200&end_time=1790002800&value_grouping_window=hour"));
            Assert.That(request.Header("Idempotency-Key"), Is.Null);
            Assert.That(request.Body, Is.Null);
            Assert.That(request.Header("Stripe-Version"), Is.EqualTo("2026-10-28.endive"));
        });
    }

    [Test]
    public async Task IdempotentReplay_IsReported()
    {
        _harness.Handler.Then(200, "{}", "req_replay", ("Idempotent-Replayed", "true"), ("Original-Request", "req_first"));
        using var client = _harness.Client();

        var response = await client.PostFormAsync(MeterEvents, StripeHarness.MeterEventForm(), "idem-1", "2026-10-28.endive", CancellationToken.None);

        Assert.That(response.IdempotentReplayed, Is.True);
    }

    [Test]
    public async Task ServerErrors_ThenSuccess_RetriesWithTheSameIdempotencyKeyAndBody()
    {
        _harness.Handler.Then(500, "{}", "req_1").Then(503, "{}", "req_2").Then(200, "{}", "req_3");
        using var client = _harness.Client();

        var response = await client.PostFormAsync(MeterEvents, StripeHarness.MeterEventForm(), "idem-retry", "2026-10-28.endive", CancellationToken.None);

        var requests = _harness.Handler.Requests;
        Assert.Multiple(() =>
        {
            Assert.That(requests, Has.Count.EqualTo(3));
            Assert.That(requests.Select(r => r.Header("Idempotency-Key")), Is.All.EqualTo("idem-retry"));
            Assert.That(requests.Select(r => r.Body).Distinct().Count(), Is.EqualTo(1));
            Assert.That(response.RequestId, Is.EqualTo("req_3"));
            Assert.That(response.Attempts, Is.EqualTo(3));
            Assert.That(_harness.Waits, Is.EqualTo(new[] { TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(1) }));
        });
    }

    [TestCase(409)]
    [TestCase(429)]
    [TestCase(500)]
    [TestCase(502)]
    [TestCase(503)]
    [TestCase(504)]
    public async Task RetryableStatus_IsRetried(int status)
    {
        _harness.Handler.Then(status).Then(200);
        using var client = _harness.Client();

        var response = await client.PostFormAsync(MeterEvents, StripeHarness.MeterEventForm(), "idem-1", "2026-10-28.endive", CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(_harness.Handler.Requests, Has.Count.EqualTo(2));
            Assert.That(response.StatusCode, Is.EqualTo(200));
        });
    }

    [TestCase(400)]
    [TestCase(401)]
    [TestCase(402)]
    [TestCase(403)]
    [TestCase(404)]
    [TestCase(424)]
    public void ClientError_IsNotRetried(int status)
    {
        _harness.Handler.Then(status, StubHttpHandler.ErrorBody("invalid_request_error", "resource_missing", "Nope."), "req_4xx").Then(200);
        using var client = _harness.Client();

        var exception = Assert.ThrowsAsync<StripeException>(() => client.PostFormAsync(MeterEvents, StripeHarness.MeterEventForm(), "idem-1", "2026-10-28.endive", CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(_harness.Handler.Requests, Has.Count.EqualTo(1));
            Assert.That(exception!.StatusCode, Is.EqualTo(status));
            Assert.That(exception.IsTransient, Is.False);
            Assert.That(exception.Attempts, Is.EqualTo(1));
            Assert.That(_harness.Waits, Is.Empty);
        });
    }

    [Test]
    public void ShouldRetryFalse_OnServerError_IsNotRetried()
    {
        _harness.Handler.Then(500, StubHttpHandler.ErrorBody("api_error", null, "Something went wrong."), "req_500", ("Stripe-Should-Retry", "false")).Then(200);
        using var client = _harness.Client();

        var exception = Assert.ThrowsAsync<StripeException>(() => client.PostFormAsync(MeterEvents, StripeHarness.MeterEventForm(), "idem-1", "2026-10-28.endive", CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(_harness.Handler.Requests, Has.Count.EqualTo(1));
            Assert.That(exception!.IsTransient, Is.False);
            Assert.That(exception.StatusCode, Is.EqualTo(500));
        });
    }

    [Test]
    public async Task ShouldRetryTrue_OnClientError_IsRetried()
    {
        _harness.Handler.Then(400, StubHttpHandler.ErrorBody("invalid_request_error", "lock_timeout", "Try again."), "req_400", ("Stripe-Should-Retry", "true")).Then(200);
        using var client = _harness.Client();

        await client.PostFormAsync(MeterEvents, StripeHarness.MeterEventForm(), "idem-1", "2026-10-28.endive", CancellationToken.None);

        Assert.That(_harness.Handler.Requests, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task ConnectionError_IsRetried()
    {
        _harness.Handler.ThenThrow(new HttpRequestException("Connection refused (stripe.test:443)", new SocketException(111))).ThenThrow(new IOException("Connection reset")).Then(200);
        using var client = _harness.Client();

        var response = await client.PostFormAsync(MeterEvents, StripeHarness.MeterEventForm(), "idem-1", "2026-10-28.endive", CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(response.Attempts, Is.EqualTo(3));
            Assert.That(_harness.Logger.Entries.Count(e => e.Level == LogLevel.Warning), Is.EqualTo(2));
        });
    }

    [Test]
    public async Task AttemptTimeout_IsRetried()
    {
        _harness.Options.RequestTimeout = TimeSpan.FromSeconds(30);
        _harness.Handler.ThenHang().Then(200, "{}", "req_after_timeout");
        using var client = _harness.Client();
        var entered = _harness.Handler.Entered.Task;

        var call = client.PostFormAsync(MeterEvents, StripeHarness.MeterEventForm(), "idem-1", "2026-10-28.endive", CancellationToken.None);
        await entered;
        _harness.Clock.Advance(TimeSpan.FromSeconds(30));
        var response = await call;

        Assert.Multiple(() =>
        {
            Assert.That(response.RequestId, Is.EqualTo("req_after_timeout"));
            Assert.That(_harness.Handler.Requests, Has.Count.EqualTo(2));
            Assert.That(_harness.Handler.Requests.Select(r => r.Header("Idempotency-Key")), Is.All.EqualTo("idem-1"));
        });
    }

    [Test]
    public async Task AttemptTimeouts_Exhausted_ThrowTransientWithoutStatus()
    {
        _harness.Options.MaxNetworkRetries = 1;
        _harness.Handler.ThenHang().ThenHang();
        using var client = _harness.Client();

        var entered = _harness.Handler.Entered.Task;
        var call = client.PostFormAsync(MeterEvents, StripeHarness.MeterEventForm(), "idem-1", "2026-10-28.endive", CancellationToken.None);
        await entered;
        entered = _harness.Handler.Entered.Task;
        _harness.Clock.Advance(TimeSpan.FromSeconds(30));
        await entered;
        _harness.Clock.Advance(TimeSpan.FromSeconds(30));

        var exception = Assert.ThrowsAsync<StripeException>(() => call);
        Assert.Multiple(() =>
        {
            Assert.That(exception!.IsTransient, Is.True);
            Assert.That(exception.StatusCode, Is.Null);
            Assert.That(exception.Attempts, Is.EqualTo(2));
            Assert.That(exception.InnerException, Is.InstanceOf<TimeoutException>());
            Assert.That(exception.Message, Is.EqualTo("Stripe did not answer POST /v1/billing/meter_events within 30 s (2 attempts)."));
        });
    }

    [Test]
    public async Task CallerCancellation_DuringAttempt_IsNotRetried()
    {
        _harness.Handler.ThenHang().Then(200);
        using var client = _harness.Client();
        using var cancellation = new CancellationTokenSource();
        var entered = _harness.Handler.Entered.Task;

        var call = client.PostFormAsync(MeterEvents, StripeHarness.MeterEventForm(), "idem-1", "2026-10-28.endive", cancellation.Token);
        await entered;
        await cancellation.CancelAsync();

        Assert.That(async () => await call, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(_harness.Handler.Requests, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task CallerCancellation_DuringBackoff_EndsTheWaitAtOnce()
    {
        _harness.Handler.Then(503).Then(200);
        using var client = _harness.Client(realWaits: true);
        using var cancellation = new CancellationTokenSource();

        var call = client.PostFormAsync(MeterEvents, StripeHarness.MeterEventForm(), "idem-1", "2026-10-28.endive", cancellation.Token);
        await _harness.Clock.WaitForTimerAsync(TimeSpan.FromSeconds(0.5));
        Assert.That(call.IsCompleted, Is.False, "the client should be waiting out its back-off on the fake clock");
        await cancellation.CancelAsync();

        Assert.That(async () => await call, Throws.InstanceOf<OperationCanceledException>());
        Assert.Multiple(() =>
        {
            Assert.That(_harness.Clock.GetUtcNow(), Is.EqualTo(StripeHarness.Start));
            Assert.That(_harness.Handler.Requests, Has.Count.EqualTo(1));
        });
    }

    [Test]
    public async Task Backoff_OnTheFakeClock_ResumesWhenTheClockReachesIt()
    {
        _harness.Handler.Then(503).Then(200, "{}", "req_2");
        using var client = _harness.Client(realWaits: true);

        var call = client.PostFormAsync(MeterEvents, StripeHarness.MeterEventForm(), "idem-1", "2026-10-28.endive", CancellationToken.None);
        await _harness.Clock.WaitForTimerAsync(TimeSpan.FromSeconds(0.5));
        _harness.Clock.Advance(TimeSpan.FromSeconds(0.4));
        Assert.That(call.IsCompleted, Is.False);
        _harness.Clock.Advance(TimeSpan.FromSeconds(0.1));

        Assert.That((await call).RequestId, Is.EqualTo("req_2"));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(3)]
    public void Retries_AreBoundedByMaxNetworkRetries(int maxRetries)
    {
        _harness.Options.MaxNetworkRetries = maxRetries;
        _harness.Handler.Always(503, StubHttpHandler.ErrorBody("api_error", null, "Unavailable."), "req_503");
        using var client = _harness.Client();

        var exception = Assert.ThrowsAsync<StripeException>(() => client.PostFormAsync(MeterEvents, StripeHarness.MeterEventForm(), "idem-1", "2026-10-28.endive", CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(_harness.Handler.Requests, Has.Count.EqualTo(maxRetries + 1));
            Assert.That(exception!.Attempts, Is.EqualTo(maxRetries + 1));
            Assert.That(exception.IsTransient, Is.True);
            Assert.That(exception.StatusCode, Is.EqualTo(503));
            Assert.That(exception.RequestId, Is.EqualTo("req_503"));
        });
    }

    [TestCase(1.0, new[] { 0.5, 1, 2, 4, 5, 5 })]
    [TestCase(0.0, new[] { 0.5, 0.5, 1, 2, 2.5, 2.5 })]
    public void Backoff_IsExponentialJitteredAndCapped(double random, double[] expectedSeconds)
    {
        _harness.Random = () => random;
        _harness.Options.MaxNetworkRetries = 6;
        _harness.Handler.Always(500);
        using var client = _harness.Client();

        Assert.ThrowsAsync<StripeException>(() => client.PostFormAsync(MeterEvents, StripeHarness.MeterEventForm(), "idem-1", "2026-10-28.endive", CancellationToken.None));

        Assert.That(_harness.Waits.Select(w => w.TotalSeconds), Is.EqualTo(expectedSeconds));
    }

    [TestCase("7", 7)]
    [TestCase("0", 0.5)]
    [TestCase("3600", 60)]
    public async Task RetryAfter_IsHonouredUpToAMinute(string retryAfter, double expectedSeconds)
    {
        _harness.Handler.Then(429, StubHttpHandler.ErrorBody("invalid_request_error", "rate_limit", "Too many requests."), "req_429", ("Retry-After", retryAfter)).Then(200);
        using var client = _harness.Client();

        await client.PostFormAsync(MeterEvents, StripeHarness.MeterEventForm(), "idem-1", "2026-10-28.endive", CancellationToken.None);

        Assert.That(_harness.Waits, Is.EqualTo(new[] { TimeSpan.FromSeconds(expectedSeconds) }));
    }

    [Test]
    public void FinalFailure_CarriesRetryAfterAndStripeDetails()
    {
        _harness.Options.MaxNetworkRetries = 0;
        _harness.Handler.Then(429, StubHttpHandler.ErrorBody("invalid_request_error", "rate_limit", "Too many requests."), "req_429", ("Retry-After", "12"));
        using var client = _harness.Client();

        var exception = Assert.ThrowsAsync<StripeException>(() => client.PostFormAsync(MeterEvents, StripeHarness.MeterEventForm(), "idem-1", "2026-10-28.endive", CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(exception!.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(12)));
            Assert.That(exception.IsTransient, Is.True);
            Assert.That(exception.Code, Is.EqualTo("rate_limit"));
            Assert.That(exception.DocUrl, Is.EqualTo("https://stripe.com/docs/error-codes/rate_limit"));
        });
    }

    [Test]
    public void Refusal_MessageNamesRequestStatusTypeCodeParamAndRequestId()
    {
        _harness.Handler.Then(400, StubHttpHandler.ErrorBody("invalid_request_error", "resource_missing", "No such customer: 'cus_x'", "payload[stripe_customer_id]"), "req_123");
        using var client = _harness.Client();

        var exception = Assert.ThrowsAsync<StripeException>(() => client.PostFormAsync(MeterEvents, StripeHarness.MeterEventForm(), "idem-1", "2026-10-28.endive", CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(exception!.Message, Is.EqualTo("Stripe refused POST /v1/billing/meter_events (400 invalid_request_error/resource_missing, param payload[stripe_customer_id], request req_123): No such customer: 'cus_x'"));
            Assert.That(exception.StatusCode, Is.EqualTo(400));
            Assert.That(exception.Type, Is.EqualTo("invalid_request_error"));
            Assert.That(exception.Code, Is.EqualTo("resource_missing"));
            Assert.That(exception.Param, Is.EqualTo("payload[stripe_customer_id]"));
            Assert.That(exception.RequestId, Is.EqualTo("req_123"));
            Assert.That(exception.StripeMessage, Is.EqualTo("No such customer: 'cus_x'"));
            Assert.That(exception.Method, Is.EqualTo("POST"));
            Assert.That(exception.Path, Is.EqualTo("/v1/billing/meter_events"));
        });
    }

    [Test]
    public void NonJsonErrorBody_StillDescribesTheAnswer()
    {
        _harness.Options.MaxNetworkRetries = 1;
        _harness.Handler.Always(502, "<html>Bad gateway</html>", requestId: null);
        using var client = _harness.Client();

        var exception = Assert.ThrowsAsync<StripeException>(() => client.PostFormAsync(MeterEvents, StripeHarness.MeterEventForm(), "idem-1", "2026-10-28.endive", CancellationToken.None));

        Assert.That(exception!.Message, Is.EqualTo("Stripe refused POST /v1/billing/meter_events (502, after 2 attempts)."));
    }

    [Test]
    public async Task Pacing_SpacesSequentialRequestsByTheRate()
    {
        _harness.Options.MaxRequestsPerSecond = 10;
        _harness.Handler.Always(200);
        using var client = _harness.Client();

        for (var i = 0; i < 3; i++)
        {
            await client.PostFormAsync(MeterEvents, StripeHarness.MeterEventForm(), "idem-" + i, "2026-10-28.endive", CancellationToken.None);
        }

        Assert.Multiple(() =>
        {
            Assert.That(_harness.Waits, Is.EqualTo(new[] { TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100) }));
            Assert.That(
                _harness.Handler.Requests.Select(r => r.At - StripeHarness.Start),
                Is.EqualTo(new[] { TimeSpan.Zero, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200) }));
        });
    }

    [Test]
    public async Task Pacing_ConcurrentRequestsGetDistinctSlots()
    {
        _harness.Options.MaxRequestsPerSecond = 4;
        _harness.WaitsAdvanceClock = false;
        _harness.Handler.Always(200);
        using var client = _harness.Client();

        await Task.WhenAll(Enumerable.Range(0, 5).Select(i => Task.Run(() =>
            client.PostFormAsync(MeterEvents, StripeHarness.MeterEventForm(), "idem-" + i, "2026-10-28.endive", CancellationToken.None))));

        Assert.That(
            _harness.Waits.Order(),
            Is.EqualTo(new[] { 250, 500, 750, 1000 }.Select(ms => TimeSpan.FromMilliseconds(ms))));
    }

    [Test]
    public async Task Pacing_AfterAnIdlePeriod_DoesNotWait()
    {
        _harness.Options.MaxRequestsPerSecond = 1;
        _harness.Handler.Always(200);
        using var client = _harness.Client();

        await client.PostFormAsync(MeterEvents, StripeHarness.MeterEventForm(), "idem-1", "2026-10-28.endive", CancellationToken.None);
        _harness.Clock.Advance(TimeSpan.FromSeconds(5));
        await client.PostFormAsync(MeterEvents, StripeHarness.MeterEventForm(), "idem-2", "2026-10-28.endive", CancellationToken.None);

        Assert.That(_harness.Waits, Is.Empty);
    }

    [TestCase("")]
    [TestCase("has space")]
    [TestCase("ünicode")]
    public void InvalidIdempotencyKey_IsRefusedBeforeSending(string key)
    {
        using var client = _harness.Client();

        Assert.ThrowsAsync<ArgumentException>(() => client.PostFormAsync(MeterEvents, StripeHarness.MeterEventForm(), key, "2026-10-28.endive", CancellationToken.None));
        Assert.That(_harness.Handler.Requests, Is.Empty);
    }

    [Test]
    public void KeyEchoedByTheServer_IsRedacted()
    {
        var echo = StubHttpHandler.ErrorBody("invalid_request_error", null, "Invalid API Key provided: " + StripeHarness.ApiKey, StripeHarness.ApiKey);
        _harness.Handler.Then(401, echo, "req_" + StripeHarness.ApiKey);
        using var client = _harness.Client();

        var exception = Assert.ThrowsAsync<StripeException>(() => client.PostFormAsync(MeterEvents, StripeHarness.MeterEventForm(), "idem-1", "2026-10-28.endive", CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(exception!.ToString(), Does.Not.Contain(StripeHarness.ApiKey));
            Assert.That(exception.StripeMessage, Does.Not.Contain(StripeHarness.ApiKey));
            Assert.That(exception.Param, Does.Not.Contain(StripeHarness.ApiKey));
            Assert.That(exception.RequestId, Does.Not.Contain(StripeHarness.ApiKey));
        });
    }

    [Test]
    public void InvalidOptions_AreRefusedWhenTheClientIsCreated()
    {
        _harness.Options.ApiKey = "pk_test_publishable";
        _harness.Options.MaxNetworkRetries = -1;

        var exception = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => _harness.Client());

        Assert.That(exception!.Failures.Count(), Is.EqualTo(2));
    }
}
