using Gravity.Usage.Testing.Tests.Support;

namespace Gravity.Usage.Testing.Tests;

/// <summary><c>POST /v2/billing/meter_event_session</c>: the answer, API-key authentication and token lifetime on the stand-in's clock.</summary>
[TestFixture(Transport.InProcess)]
[TestFixture(Transport.Loopback)]
public sealed class MeterEventSessionTests(Transport transport) : StandInTest(transport)
{
    [SetUp]
    public void Arrange()
    {
        Stripe.AddCustomer("cus_1");
        Stripe.AddMeter("api_calls");
    }

    [Test]
    public async Task Sessions_Create_HaveATokenValidFor15MinutesInRfc3339()
    {
        using var response = await PostAsync("/v2/billing/meter_event_session", "{}", contentType: "application/json");

        var json = await ExpectOkAsync(response);
        Assert.Multiple(() =>
        {
            Assert.That(json.GetProperty("id").GetString(), Does.StartWith("mes_"));
            Assert.That(json.GetProperty("object").GetString(), Is.EqualTo("v2.billing.meter_event_session"));
            Assert.That(json.GetProperty("authentication_token").GetString(), Does.StartWith("mes_tok_"));
            Assert.That(json.GetProperty("created").GetString(), Is.EqualTo("2026-09-21T14:23:20.000Z"));
            Assert.That(json.GetProperty("expires_at").GetString(), Is.EqualTo("2026-09-21T14:38:20.000Z"));
            Assert.That(json.GetProperty("livemode").GetBoolean(), Is.False);
            Assert.That(Header(response, "Request-Id"), Does.StartWith("req_"));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        });
    }

    [Test]
    public async Task Sessions_EachCreated_HasItsOwnToken()
    {
        var first = await CreateSessionTokenAsync();
        var second = await CreateSessionTokenAsync();

        Assert.That(first, Is.Not.EqualTo(second));
    }

    [Test]
    public async Task Sessions_EmptyBody_IsAnEmptyObject()
    {
        using var response = await PostAsync("/v2/billing/meter_event_session", string.Empty, contentType: "application/json");

        await ExpectOkAsync(response);
    }

    [TestCase(null)]
    [TestCase("sk_live_not_accepted")]
    public async Task Sessions_WithoutAnAcceptedApiKey_AreRefused(string? apiKey)
    {
        using var response = await PostAsync("/v2/billing/meter_event_session", "{}", apiKey: apiKey, contentType: "application/json");

        await ExpectErrorAsync(response, 401, "invalid_request_error", "unauthorized");
    }

    [Test]
    public async Task Sessions_TokenAsApiKey_IsRefused()
    {
        var token = await CreateSessionTokenAsync();

        using var session = await PostAsync("/v2/billing/meter_event_session", "{}", apiKey: token, contentType: "application/json");
        using var v1 = await PostAsync("/v1/billing/meter_events", "event_name=api_calls&payload[stripe_customer_id]=cus_1&payload[value]=1", apiKey: token);

        await ExpectErrorAsync(session, 401, "invalid_request_error", "unauthorized");
        var v1Error = await ExpectErrorAsync(v1, 401, "invalid_request_error");
        Assert.That(v1Error.TryGetProperty("code", out _), Is.False, "v1 errors keep the v1 shape");
    }

    [Test]
    public async Task Sessions_UnknownParametersOrFormBody_Are400()
    {
        using var unknown = await PostAsync("/v2/billing/meter_event_session", """{"ttl":60}""", contentType: "application/json");
        using var form = await PostAsync("/v2/billing/meter_event_session", "a=b");

        await ExpectErrorAsync(unknown, 400, "invalid_request_error", "parameter_unknown");
        await ExpectErrorAsync(form, 400, "invalid_request_error", "invalid_request");
    }

    [Test]
    public async Task Sessions_TokenPastItsLifetime_GetsTemporarySessionExpired()
    {
        var token = await CreateSessionTokenAsync();

        Clock.Advance(TimeSpan.FromMinutes(15) - TimeSpan.FromSeconds(1));
        using var before = await PostStreamAsync(token, [StreamEvent("evt-1")]);
        Clock.Advance(TimeSpan.FromSeconds(1));
        using var after = await PostStreamAsync(token, [StreamEvent("evt-2")]);

        await ExpectOkAsync(before);
        var error = await ExpectErrorAsync(after, 401, "temporary_session_expired", "billing_meter_event_session_expired");
        Assert.That(error.GetProperty("doc_url").GetString(), Does.StartWith("https://"));
        Assert.That(Stripe.CountAcceptedIdentifier("evt-2"), Is.Zero);
    }

    [Test]
    public async Task Sessions_LifetimeConfigured_IsApplied()
    {
        await RecreateAsync(o => o.MeterEventSessionLifetime = TimeSpan.FromMinutes(1));
        Stripe.AddCustomer("cus_1");
        Stripe.AddMeter("api_calls");
        using var created = await PostAsync("/v2/billing/meter_event_session", "{}", contentType: "application/json");
        var token = (await ExpectOkAsync(created)).GetProperty("authentication_token").GetString()!;

        Clock.Advance(TimeSpan.FromMinutes(1));
        using var response = await PostStreamAsync(token, [StreamEvent("evt-1")]);

        await ExpectErrorAsync(response, 401, "temporary_session_expired", "billing_meter_event_session_expired");
    }

    [Test]
    public async Task ExpireMeterEventSessions_Called_EndsExistingSessionsOnly()
    {
        var old = await CreateSessionTokenAsync();
        Stripe.ExpireMeterEventSessions();
        var fresh = await CreateSessionTokenAsync();

        using var oldResponse = await PostStreamAsync(old, [StreamEvent("evt-1")]);
        using var freshResponse = await PostStreamAsync(fresh, [StreamEvent("evt-2")]);

        await ExpectErrorAsync(oldResponse, 401, "temporary_session_expired", "billing_meter_event_session_expired");
        await ExpectOkAsync(freshResponse);
        Assert.That(Stripe.AcceptedIdentifiers, Is.EquivalentTo(new[] { "evt-2" }));
    }

    [Test]
    public void Sessions_NonPositiveLifetime_IsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => _ = new StripeStandIn(new StripeStandInOptions { MeterEventSessionLifetime = TimeSpan.Zero }));

        Assert.That(e!.Message, Does.Contain("MeterEventSessionLifetime"));
    }
}
