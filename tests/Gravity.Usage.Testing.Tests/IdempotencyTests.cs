using Gravity.Usage.Testing.Tests.Support;

namespace Gravity.Usage.Testing.Tests;

[TestFixture(Transport.InProcess)]
[TestFixture(Transport.Loopback)]
public sealed class IdempotencyTests(Transport transport) : StandInTest(transport)
{
    private const string Body = "event_name=api_calls&payload[stripe_customer_id]=cus_1&payload[value]=25&identifier=evt-1&timestamp=1790000000";

    [SetUp]
    public void Arrange()
    {
        Stripe.AddCustomer("cus_1");
        Stripe.AddMeter("api_calls");
    }

    [Test]
    public async Task IdempotencyKey_Repeated_ReplaysTheStoredAnswer()
    {
        using var first = await PostAsync("/v1/billing/meter_events", Body, "key-1");
        Clock.Advance(TimeSpan.FromMinutes(5));
        using var retry = await PostAsync("/v1/billing/meter_events", Body, "key-1");

        var firstBody = await first.Content.ReadAsStringAsync();
        var retryBody = await retry.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That((int)retry.StatusCode, Is.EqualTo(200));
            Assert.That(retryBody, Is.EqualTo(firstBody), "the stored body, including the original 'created'");
            Assert.That(Header(retry, "Idempotent-Replayed"), Is.EqualTo("true"));
            Assert.That(Header(retry, "Original-Request"), Is.EqualTo(Header(first, "Request-Id")));
            Assert.That(Header(retry, "Request-Id"), Is.Not.EqualTo(Header(first, "Request-Id")));
            Assert.That(Header(first, "Idempotent-Replayed"), Is.Null);
            Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(25));
            Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.EqualTo(1));
            Assert.That(Stripe.CountDuplicateIdentifier("evt-1"), Is.Zero, "a replay never reaches the endpoint");
            Assert.That(Stripe.CountIdempotencyKeyAttempts("key-1"), Is.EqualTo(2));
            Assert.That(Stripe.Requests.Select(r => r.IsReplay), Is.EqualTo(new[] { false, true }));
        });
    }

    [Test]
    public async Task IdempotencyKey_OtherParameterOrderOrEncoding_IsTheSameRequest()
    {
        using var first = await PostAsync("/v1/billing/meter_events", Body, "key-1");
        using var retry = await PostAsync(
            "/v1/billing/meter_events",
            "timestamp=1790000000&identifier=evt-1&payload%5Bvalue%5D=25&payload%5Bstripe_customer_id%5D=cus_1&event_name=api_calls",
            "key-1");

        await ExpectOkAsync(first);
        await ExpectOkAsync(retry);
        Assert.That(Header(retry, "Idempotent-Replayed"), Is.EqualTo("true"));
    }

    [Test]
    public async Task IdempotencyKey_WithDifferentParameters_IsAnIdempotencyError()
    {
        using var first = await PostAsync("/v1/billing/meter_events", Body, "key-1");
        using var changed = await PostAsync("/v1/billing/meter_events", Body.Replace("value]=25", "value]=26", StringComparison.Ordinal), "key-1");
        using var otherEndpoint = await PostAsync("/v1/billing/meters", "display_name=x&event_name=y&default_aggregation[formula]=sum", "key-1");

        await ExpectOkAsync(first);
        var error = await ExpectErrorAsync(changed, 400, "idempotency_error");
        Assert.That(error.GetProperty("message").GetString(), Does.Contain("same parameters"));
        await ExpectErrorAsync(otherEndpoint, 400, "idempotency_error");
        Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(25));
    }

    [Test]
    public async Task IdempotencyKey_UnauthorizedRequest_IsNotStored()
    {
        using var unauthorized = await PostAsync("/v1/billing/meter_events", Body, "key-1", apiKey: "sk_live_wrong0000000000000");
        using var retry = await PostAsync("/v1/billing/meter_events", Body, "key-1");

        await ExpectErrorAsync(unauthorized, 401, "invalid_request_error");
        await ExpectOkAsync(retry);
        Assert.That(Header(retry, "Idempotent-Replayed"), Is.Null);
        Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(25));
    }

    [Test]
    public async Task IdempotencyKey_RateLimitedRequest_IsNotStored()
    {
        Stripe.Faults.FailNext("POST", "/v1/billing/meter_events", StripeFault.TooManyRequests());

        using var limited = await PostAsync("/v1/billing/meter_events", Body, "key-1");
        using var retry = await PostAsync("/v1/billing/meter_events", Body, "key-1");

        await ExpectErrorAsync(limited, 429, "invalid_request_error", "rate_limit");
        await ExpectOkAsync(retry);
        Assert.That(Header(retry, "Idempotent-Replayed"), Is.Null);
        Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.EqualTo(1));
    }

    [Test]
    public async Task IdempotencyKey_ParameterValidationError_IsNotStored()
    {
        using var invalid = await PostAsync("/v1/billing/meter_events", "event_name=api_calls", "key-1");
        using var fixedRequest = await PostAsync("/v1/billing/meter_events", Body, "key-1");

        await ExpectErrorAsync(invalid, 400, "invalid_request_error", "parameter_missing");
        await ExpectOkAsync(fixedRequest);
        Assert.That(Header(fixedRequest, "Idempotent-Replayed"), Is.Null);
    }

    [Test]
    public async Task IdempotencyKey_EndpointError_IsStoredAndReplayed()
    {
        const string unknownCustomer = "event_name=api_calls&payload[stripe_customer_id]=cus_later&payload[value]=5&identifier=evt-2";
        using var first = await PostAsync("/v1/billing/meter_events", unknownCustomer, "key-2");
        Stripe.AddCustomer("cus_later");
        using var retry = await PostAsync("/v1/billing/meter_events", unknownCustomer, "key-2");
        using var newKey = await PostAsync("/v1/billing/meter_events", unknownCustomer, "key-3");

        await ExpectErrorAsync(first, 400, "invalid_request_error", "resource_missing");
        await ExpectErrorAsync(retry, 400, "invalid_request_error", "resource_missing");
        Assert.That(Header(retry, "Idempotent-Replayed"), Is.EqualTo("true"));
        await ExpectOkAsync(newKey);
        Assert.That(Stripe.GetMeterTotal("api_calls", "cus_later"), Is.EqualTo(5));
    }

    [Test]
    public async Task IdempotencyKey_EndpointErrorWithTheOptionOff_IsNotStored()
    {
        await RecreateAsync(o => o.ReplayEndpointErrors = false);
        Stripe.AddMeter("api_calls");
        const string unknownCustomer = "event_name=api_calls&payload[stripe_customer_id]=cus_later&payload[value]=5";

        using var first = await PostAsync("/v1/billing/meter_events", unknownCustomer, "key-2");
        Stripe.AddCustomer("cus_later");
        using var retry = await PostAsync("/v1/billing/meter_events", unknownCustomer, "key-2");

        await ExpectErrorAsync(first, 400, "invalid_request_error", "resource_missing");
        await ExpectOkAsync(retry);
    }

    [Test]
    public async Task IdempotencyKey_Endpoint500_IsStoredAndReplayed()
    {
        Stripe.Faults.FailNext("POST", "/v1/billing/meter_events", StripeFault.ServerError(500), timing: FaultTiming.DuringProcessing);

        using var first = await PostAsync("/v1/billing/meter_events", Body, "key-1");
        using var retry = await PostAsync("/v1/billing/meter_events", Body, "key-1");

        await ExpectErrorAsync(first, 500, "api_error");
        await ExpectErrorAsync(retry, 500, "api_error");
        Assert.That(Header(retry, "Idempotent-Replayed"), Is.EqualTo("true"));
        Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.Zero);
    }

    [Test]
    public async Task IdempotencyKey_After24HoursOfTheStandInClock_Expires()
    {
        const string noIdentifier = "event_name=api_calls&payload[stripe_customer_id]=cus_1&payload[value]=5&timestamp=1790000000";
        using var first = await PostAsync("/v1/billing/meter_events", noIdentifier, "key-1");
        Clock.Advance(TimeSpan.FromHours(23));
        using var replayed = await PostAsync("/v1/billing/meter_events", noIdentifier, "key-1");
        Clock.Advance(TimeSpan.FromHours(1));
        using var executedAgain = await PostAsync("/v1/billing/meter_events", noIdentifier, "key-1");
        using var replayedAgain = await PostAsync("/v1/billing/meter_events", noIdentifier, "key-1");

        await ExpectOkAsync(first);
        Assert.That(Header(replayed, "Idempotent-Replayed"), Is.EqualTo("true"));
        await ExpectOkAsync(executedAgain);
        Assert.That(Header(executedAgain, "Idempotent-Replayed"), Is.Null);
        Assert.That(Header(replayedAgain, "Idempotent-Replayed"), Is.EqualTo("true"));
        Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(10));
    }

    [Test]
    public async Task IdempotencyKey_OnAGet_IsIgnored()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/billing/meters");
        request.Headers.Authorization = new("Bearer", StripeStandIn.DefaultApiKey);
        request.Headers.Add("Idempotency-Key", "key-1");
        using var response = await Client.SendAsync(request);
        using var post = await PostAsync("/v1/billing/meter_events", Body, "key-1");

        await ExpectOkAsync(response);
        await ExpectOkAsync(post);
        Assert.That(Header(post, "Idempotent-Replayed"), Is.Null);
    }

    [Test]
    public async Task IdempotencyKey_LongerThan255Characters_Is400()
    {
        using var response = await PostAsync("/v1/billing/meter_events", Body, new string('k', 256));

        await ExpectErrorAsync(response, 400, "invalid_request_error");
        Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.Zero);
    }

    [Test]
    public async Task IdempotencyKey_InFlight_Gets409AndTheFirstRequestCompletes()
    {
        Stripe.Faults.FailNext("POST", "/v1/billing/meter_events", StripeFault.Timeout(), timing: FaultTiming.DuringProcessing);
        using var giveUp = new CancellationTokenSource();
        var held = PostAsync("/v1/billing/meter_events", Body, "key-1", cancellationToken: giveUp.Token);
        await Poll.UntilAsync(() => Stripe.IsIdempotencyKeyInFlight("key-1"));

        using var concurrent = await PostAsync("/v1/billing/meter_events", Body, "key-1");
        var error = await ExpectErrorAsync(concurrent, 409, "idempotency_error", "idempotency_key_in_use");
        Assert.That(error.GetProperty("message").GetString(), Does.Contain("in-progress"));

        await giveUp.CancelAsync();
        Assert.That(async () => await held, Throws.InstanceOf<OperationCanceledException>());
        await Poll.UntilAsync(() => !Stripe.IsIdempotencyKeyInFlight("key-1"));

        using var retry = await PostAsync("/v1/billing/meter_events", Body, "key-1");
        await ExpectOkAsync(retry);
        Assert.That(Header(retry, "Idempotent-Replayed"), Is.EqualTo("true"));
        Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.EqualTo(1));
        Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(25));
    }

    [Test]
    public async Task IdempotencyKey_ConcurrentRequests_ExecuteOnce()
    {
        var tasks = Enumerable.Range(0, 12).Select(_ => PostAsync("/v1/billing/meter_events", Body, "key-1")).ToArray();
        var responses = await Task.WhenAll(tasks);

        var statuses = responses.Select(r => (int)r.StatusCode).ToArray();
        Assert.That(statuses, Is.All.AnyOf(200, 409));
        Assert.That(responses.Count(r => r.StatusCode == System.Net.HttpStatusCode.OK && Header(r, "Idempotent-Replayed") is null), Is.EqualTo(1));
        Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.EqualTo(1));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }
}
