using System.Net.Http.Headers;
using System.Text;
using Gravity.Usage.Testing.Tests.Support;

namespace Gravity.Usage.Testing.Tests;

[TestFixture(Transport.InProcess)]
[TestFixture(Transport.Loopback)]
public sealed class TransportTests(Transport transport) : StandInTest(transport)
{
    [Test]
    public async Task Transport_MissingApiKey_Is401WithAStripeError()
    {
        using var response = await GetAsync("/v1/billing/meters", apiKey: null);

        var error = await ExpectErrorAsync(response, 401, "invalid_request_error");
        Assert.That(error.GetProperty("message").GetString(), Does.Contain("did not provide an API key"));
        Assert.That(Header(response, "Request-Id"), Does.StartWith("req_"));
    }

    [TestCase("sk_live_0123456789abcdefghijklmnop")]
    [TestCase("rk_test_0123456789abcdefghijklmnop")]
    [TestCase("oops")]
    [TestCase("sk_live_x")]
    public async Task Transport_InvalidApiKey_Is401WithoutEchoingTheKey(string key)
    {
        using var response = await GetAsync("/v1/billing/meters", apiKey: key);

        var error = await ExpectErrorAsync(response, 401, "invalid_request_error");
        var message = error.GetProperty("message").GetString()!;
        Assert.That(message, Does.StartWith("Invalid API Key provided"));
        Assert.That(message, Does.Not.Contain(key));
    }

    [Test]
    public async Task Transport_BasicAuthWithTheKeyAsUsername_IsAccepted()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/billing/meters");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("sk_test_basic:")));
        using var response = await Client.SendAsync(request);

        await ExpectOkAsync(response);
    }

    [TestCase("Basic", "sk_live_nope:")]
    [TestCase("Token", "sk_test_abc")]
    public async Task Transport_OtherAuthorizationHeaders_Are401(string scheme, string value)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/billing/meters");
        request.Headers.Authorization = new AuthenticationHeaderValue(scheme, scheme == "Basic" ? Convert.ToBase64String(Encoding.UTF8.GetBytes(value)) : value);
        using var response = await Client.SendAsync(request);

        await ExpectErrorAsync(response, 401, "invalid_request_error");
    }

    [Test]
    public async Task Transport_CustomKeyRule_IsUsed()
    {
        await RecreateAsync(o => o.AcceptApiKey = key => key == "rk_test_restricted");

        using var accepted = await GetAsync("/v1/billing/meters", apiKey: "rk_test_restricted");
        using var rejected = await GetAsync("/v1/billing/meters", apiKey: StripeStandIn.DefaultApiKey);

        await ExpectOkAsync(accepted);
        await ExpectErrorAsync(rejected, 401, "invalid_request_error");
    }

    [Test]
    public async Task Transport_EveryAnswer_HasADistinctRequestIdAndEchoesTheStripeVersion()
    {
        using var first = await GetAsync("/v1/billing/meters", version: "2025-02-24.acacia");
        using var second = await GetAsync("/v1/billing/meters", apiKey: null, version: "2026-07-29.dahlia");
        using var third = await GetAsync("/v1/billing/meters", version: null);

        Assert.Multiple(() =>
        {
            Assert.That(Header(first, "Request-Id"), Does.Match("^req_[A-Za-z0-9]{14}$"));
            Assert.That(Header(second, "Request-Id"), Does.StartWith("req_").And.Not.EqualTo(Header(first, "Request-Id")));
            Assert.That(Header(first, "Stripe-Version"), Is.EqualTo("2025-02-24.acacia"));
            Assert.That(Header(second, "Stripe-Version"), Is.EqualTo("2026-07-29.dahlia"));
            Assert.That(Header(third, "Stripe-Version"), Is.EqualTo("2026-10-28.endive"), "the account's default version");
            Assert.That(first.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        });
    }

    [TestCase("POST", "/v1/customers")]
    [TestCase("GET", "/v1/billing/meter_events")]
    [TestCase("DELETE", "/v1/billing/meters")]
    [TestCase("POST", "/v2/billing/meter_events")]
    [TestCase("POST", "/v1/billing/meters/")]
    public async Task Transport_UnknownRoute_Is404UnrecognizedRequestUrl(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path.TrimStart('/'));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", StripeStandIn.DefaultApiKey);
        using var response = await Client.SendAsync(request);

        var error = await ExpectErrorAsync(response, 404, "invalid_request_error");
        Assert.That(error.GetProperty("message").GetString(), Does.StartWith($"Unrecognized request URL ({method}: {path})"));
    }

    [Test]
    public async Task Transport_InvalidStripeVersion_Is400()
    {
        using var response = await GetAsync("/v1/billing/meters", version: "banana");

        await ExpectErrorAsync(response, 400, "invalid_request_error");
    }

    [Test]
    public async Task Transport_JsonBodyOnV1_Is400()
    {
        using var response = await PostAsync("/v1/billing/meter_events", "{\"event_name\":\"api_calls\"}", contentType: "application/json");

        var error = await ExpectErrorAsync(response, 400, "invalid_request_error");
        Assert.That(error.GetProperty("message").GetString(), Does.Contain("application/json"));
    }

    [Test]
    public async Task Transport_Requests_AreRecordedWithTheApiKeyRedacted()
    {
        Stripe.AddCustomer("cus_1");
        Stripe.AddMeter("api_calls");

        using var response = await PostMeterEventAsync("cus_1", "3", "evt-1", idempotencyKey: "key-1");

        await ExpectOkAsync(response);
        var recorded = Stripe.Requests.Single();
        Assert.Multiple(() =>
        {
            Assert.That(recorded.Method, Is.EqualTo("POST"));
            Assert.That(recorded.Path, Is.EqualTo("/v1/billing/meter_events"));
            Assert.That(recorded.Headers["authorization"], Is.EqualTo("Bearer [REDACTED]"));
            Assert.That(recorded.Headers.Values, Has.None.Contains(StripeStandIn.DefaultApiKey));
            Assert.That(recorded.Body, Does.Contain("payload[stripe_customer_id]=cus_1"));
            Assert.That(recorded.IdempotencyKey, Is.EqualTo("key-1"));
            Assert.That(recorded.StripeVersion, Is.EqualTo("2026-10-28.endive"));
            Assert.That(recorded.StatusCode, Is.EqualTo(200));
            Assert.That(recorded.Outcome, Is.EqualTo(RecordedRequestOutcome.Responded));
            Assert.That(recorded.RequestId, Is.EqualTo(Header(response, "Request-Id")));
            Assert.That(recorded.ReceivedAt, Is.EqualTo(Start));
            Assert.That(recorded.IsReplay, Is.False);
            Assert.That(recorded.Fault, Is.Null);
            Assert.That(Header(response, "Idempotency-Key"), Is.EqualTo("key-1"));
        });
    }

    [Test]
    public async Task Transport_CountsAndClear_TrackRecordedRequests()
    {
        using (await GetAsync("/v1/billing/meters"))
        using (await GetAsync("/v1/billing/meters/mtr_missing"))
        using (await PostAsync("/v1/billing/meters", "display_name=x", idempotencyKey: "k"))
        {
        }

        Assert.Multiple(() =>
        {
            Assert.That(Stripe.RequestCount, Is.EqualTo(3));
            Assert.That(Stripe.CountRequests("GET", "/v1/billing/meters"), Is.EqualTo(2));
            Assert.That(Stripe.CountRequests(null, "/v1/billing/meters"), Is.EqualTo(3));
            Assert.That(Stripe.CountRequests("post", "/v1/billing/meters"), Is.EqualTo(1));
            Assert.That(Stripe.CountIdempotencyKeyAttempts("k"), Is.EqualTo(1));
        });

        Stripe.ClearRequests();

        Assert.That(Stripe.RequestCount, Is.Zero);
        Assert.That(Stripe.Requests, Is.Empty);
        Assert.That(Stripe.CountIdempotencyKeyAttempts("k"), Is.Zero);
    }
}
