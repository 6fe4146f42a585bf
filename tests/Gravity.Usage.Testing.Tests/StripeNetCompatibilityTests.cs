using System.Net;
using Gravity.Usage.Testing.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using global::Stripe.V2.Billing;
using Stripe;

namespace Gravity.Usage.Testing.Tests;

/// <summary>
/// Drives the stand-in with Stripe.net (the version the library ships with), so what the stand-in accepts and answers
/// is exactly what the real client sends and expects: v2 meter event sessions and the stream, and v1 meter events.
/// </summary>
[TestFixture(Transport.InProcess)]
[TestFixture(Transport.Loopback)]
public sealed class StripeNetCompatibilityTests(Transport transport)
{
    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeSeconds(1_790_000_600);
    private FakeTimeProvider _clock = null!;
    private StripeStandIn _stripe = null!;
    private HttpClient _http = null!;
    private StripeClient _client = null!;

    [SetUp]
    public async Task CreateAsync()
    {
        _clock = new FakeTimeProvider(Start);
        _stripe = new StripeStandIn(new StripeStandInOptions { TimeProvider = _clock });
        _stripe.AddCustomer("cus_123");
        _stripe.AddMeter("api_calls", id: "mtr_1");
        Uri baseAddress;
        if (transport == Transport.Loopback)
        {
            baseAddress = await _stripe.StartAsync();
            _http = new HttpClient();
        }
        else
        {
            baseAddress = StripeStandIn.InProcessBaseAddress;
            _http = new HttpClient(_stripe.CreateHandler());
        }

        // Stripe.net appends "/v2/..." to the base: no trailing slash.
        var stripeBase = baseAddress.ToString().TrimEnd('/');
        _client = new StripeClient(new StripeClientOptions
        {
            ApiKey = StripeStandIn.DefaultApiKey,
            ApiBase = stripeBase,
            MeterEventsBase = stripeBase,
            HttpClient = new SystemNetHttpClient(_http, maxNetworkRetries: 0),
        });
    }

    [TearDown]
    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _stripe.DisposeAsync();
    }

    [TestCase(2028, 1, 31, "2028-02-29", "2028-03-31")]
    [TestCase(2027, 1, 31, "2027-02-28", "2027-03-31")]
    [TestCase(2028, 1, 30, "2028-02-29", "2028-03-30")]
    [TestCase(2027, 1, 29, "2027-02-28", "2027-03-29")]
    public async Task StripeNet_Subscription_DeserializesWithAnchorIntervalAndCurrentPeriod(int year, int month, int day, string periodStart, string periodEnd)
    {
        var anchor = new DateTimeOffset(year, month, day, 14, 37, 12, TimeSpan.Zero);
        var id = _stripe.AddSubscription("cus_123", anchor, "month", 1);
        _clock.SetUtcNow(DateTimeOffset.Parse(periodStart, System.Globalization.CultureInfo.InvariantCulture).AddHours(15));

        var subscription = await _client.V1.Subscriptions.GetAsync(id);

        var item = subscription.Items.Data.Single();
        Assert.Multiple(() =>
        {
            Assert.That(subscription.BillingCycleAnchor, Is.EqualTo(anchor.UtcDateTime));
            Assert.That(subscription.CustomerId, Is.EqualTo("cus_123"));
            Assert.That((item.Price.Recurring.Interval, item.Price.Recurring.IntervalCount), Is.EqualTo(("month", 1L)));
            Assert.That(item.CurrentPeriodStart, Is.EqualTo(DateTime.Parse(periodStart, System.Globalization.CultureInfo.InvariantCulture).AddHours(14).AddMinutes(37).AddSeconds(12)));
            Assert.That(item.CurrentPeriodEnd, Is.EqualTo(DateTime.Parse(periodEnd, System.Globalization.CultureInfo.InvariantCulture).AddHours(14).AddMinutes(37).AddSeconds(12)));
        });
    }

    [Test]
    public void StripeNet_SubscriptionWithABadIntervalOrCount_IsRefused()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<ArgumentException>(() => _stripe.AddSubscription("cus_123", Start, "fortnight"))!.ParamName, Is.EqualTo("interval"));
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => _stripe.AddSubscription("cus_123", Start, "month", 37))!.ParamName, Is.EqualTo("intervalCount"));
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => _stripe.AddSubscription("cus_123", Start, "week", 0))!.ParamName, Is.EqualTo("intervalCount"));
        });
    }

    [Test]
    public async Task StripeNet_Session_DeserializesWithItsTokenAndTimes()
    {
        var session = await _client.V2.Billing.MeterEventSession.CreateAsync(new MeterEventSessionCreateOptions());

        Assert.Multiple(() =>
        {
            Assert.That(session.Id, Does.StartWith("mes_"));
            Assert.That(session.Object, Is.EqualTo("v2.billing.meter_event_session"));
            Assert.That(session.AuthenticationToken, Does.StartWith("mes_tok_"));
            Assert.That(session.Created, Is.EqualTo(Start.UtcDateTime));
            Assert.That(session.ExpiresAt, Is.EqualTo(Start.UtcDateTime.AddMinutes(15)));
            Assert.That(session.ExpiresAt.Kind, Is.EqualTo(DateTimeKind.Utc));
            Assert.That(session.Livemode, Is.False);
        });
        var request = _stripe.Requests.Single();
        Assert.Multiple(() =>
        {
            Assert.That(request.Body, Is.EqualTo("{}"), "Stripe.net sends an empty JSON object");
            Assert.That(request.Headers["Content-Type"], Does.StartWith("application/json"));
            Assert.That(request.IdempotencyKey, Is.Not.Null.And.Not.Empty, "Stripe.net sends an Idempotency-Key on every v2 POST");
            Assert.That(request.Headers["Authorization"], Is.EqualTo("Bearer [REDACTED]"));
        });
    }

    [Test]
    public async Task StripeNet_StreamEvents_AreCountedAndTheWireShapeIsPinned()
    {
        var session = await _client.V2.Billing.MeterEventSession.CreateAsync(new MeterEventSessionCreateOptions());

        var answer = await SendStreamAsync(session, Event("evt-1", "7", Start.UtcDateTime.AddMinutes(-1)), Event(null, "3"));

        Assert.That(answer, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(_stripe.GetMeterTotal("api_calls", "cus_123"), Is.EqualTo(10));
            Assert.That(_stripe.CountAcceptedIdentifier("evt-1"), Is.EqualTo(1));
            Assert.That(_stripe.MeterEvents.Single(e => e.Identifier == "evt-1").Timestamp, Is.EqualTo(Start.AddMinutes(-1)));
            Assert.That(_stripe.MeterEventErrors, Is.Empty);
        });
        var request = _stripe.Requests[^1];
        Assert.Multiple(() =>
        {
            // Null members are left out; timestamps are RFC 3339 in UTC, whole seconds, with a 'Z'.
            Assert.That(request.Body, Is.EqualTo(
                "{\"events\":[{\"event_name\":\"api_calls\",\"identifier\":\"evt-1\",\"payload\":{\"stripe_customer_id\":\"cus_123\",\"value\":\"7\"},\"timestamp\":\"2026-09-21T14:22:20Z\"},"
                + "{\"event_name\":\"api_calls\",\"payload\":{\"stripe_customer_id\":\"cus_123\",\"value\":\"3\"}}]}"));
            Assert.That(request.Headers["Content-Type"], Does.StartWith("application/json"));
            Assert.That(request.IdempotencyKey, Is.Not.Null.And.Not.Empty);
            Assert.That(request.StatusCode, Is.EqualTo(200));
        });
    }

    [Test]
    public async Task StripeNet_ExpiredToken_ThrowsTemporarySessionExpiredAndANewSessionWorks()
    {
        var session = await _client.V2.Billing.MeterEventSession.CreateAsync(new MeterEventSessionCreateOptions());
        _clock.Advance(TimeSpan.FromMinutes(15));

        var e = Assert.ThrowsAsync<global::Stripe.V2.TemporarySessionExpiredException>(() => SendStreamAsync(session, Event("evt-1", "7")));

        Assert.Multiple(() =>
        {
            Assert.That(e!.HttpStatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(e.StripeError.Type, Is.EqualTo("temporary_session_expired"));
            Assert.That(e.StripeError.Code, Is.EqualTo("billing_meter_event_session_expired"));
            Assert.That(e, Is.InstanceOf<StripeException>());
        });
        var renewed = await _client.V2.Billing.MeterEventSession.CreateAsync(new MeterEventSessionCreateOptions());
        await SendStreamAsync(renewed, Event("evt-1", "7"));
        Assert.That(_stripe.GetMeterTotal("api_calls", "cus_123"), Is.EqualTo(7));
    }

    [Test]
    public async Task ExpireMeterEventSessions_StripeNetStream_ThrowsTheExpiryException()
    {
        var session = await _client.V2.Billing.MeterEventSession.CreateAsync(new MeterEventSessionCreateOptions());
        _stripe.ExpireMeterEventSessions();

        Assert.ThrowsAsync<global::Stripe.V2.TemporarySessionExpiredException>(() => SendStreamAsync(session, Event("evt-1", "7")));
        Assert.That(_stripe.GetMeterTotal("api_calls", "cus_123"), Is.Zero);
    }

    [Test]
    public void StripeNet_ApiKeyOnTheStream_IsAPlain401NotAnExpiry()
    {
        var e = Assert.ThrowsAsync<StripeException>(() => _client.V2.Billing.MeterEventStream.CreateAsync(
            new MeterEventStreamCreateOptions { Events = [Event("evt-1", "7")] }));

        Assert.Multiple(() =>
        {
            Assert.That(e, Is.Not.InstanceOf<global::Stripe.V2.TemporarySessionExpiredException>());
            Assert.That(e!.HttpStatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(e.StripeError.Code, Is.EqualTo("unauthorized"));
        });
    }

    [Test]
    public async Task StripeNet_MoreThan100Events_IsA400StripeException()
    {
        var session = await _client.V2.Billing.MeterEventSession.CreateAsync(new MeterEventSessionCreateOptions());
        var events = Enumerable.Range(0, 101).Select(i => Event($"evt-{i}", "1")).ToArray();

        var e = Assert.ThrowsAsync<StripeException>(() => SendStreamAsync(session, events));

        Assert.Multiple(() =>
        {
            Assert.That(e!.HttpStatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(e.StripeError.Type, Is.EqualTo("invalid_request_error"));
            Assert.That(e.StripeError.Code, Is.EqualTo("parameter_invalid"));
        });
        Assert.That(_stripe.MeterEvents, Is.Empty);
    }

    [Test]
    public async Task StripeNet_InvalidEvents_DoNotThrowAndAreRecordedAsErrors()
    {
        var session = await _client.V2.Billing.MeterEventSession.CreateAsync(new MeterEventSessionCreateOptions());
        var unknownCustomer = Event("evt-1", "7");
        unknownCustomer.Payload["stripe_customer_id"] = "cus_nobody";

        await SendStreamAsync(session, unknownCustomer, Event("evt-2", "2"));

        var error = _stripe.MeterEventErrors.Single();
        Assert.Multiple(() =>
        {
            Assert.That(error.Code, Is.EqualTo("meter_event_customer_not_found"));
            Assert.That(error.Identifier, Is.EqualTo("evt-1"));
            Assert.That(error.CustomerId, Is.EqualTo("cus_nobody"));
            Assert.That(_stripe.GetMeterTotal("api_calls", "cus_123"), Is.EqualTo(2));
        });
    }

    [Test]
    public async Task StripeNet_V1MeterEvents_AreDeduplicatedWithTheStream()
    {
        var created = await _client.V1.Billing.MeterEvents.CreateAsync(new global::Stripe.Billing.MeterEventCreateOptions
        {
            EventName = "api_calls",
            Identifier = "evt-1",
            Payload = new Dictionary<string, string> { ["stripe_customer_id"] = "cus_123", ["value"] = "5" },
            Timestamp = Start.UtcDateTime.AddMinutes(-2),
        });
        var session = await _client.V2.Billing.MeterEventSession.CreateAsync(new MeterEventSessionCreateOptions());
        await SendStreamAsync(session, Event("evt-1", "100"));

        Assert.Multiple(() =>
        {
            Assert.That(created.Identifier, Is.EqualTo("evt-1"));
            Assert.That(created.Timestamp, Is.EqualTo(Start.UtcDateTime.AddMinutes(-2)));
            Assert.That(created.Payload["value"], Is.EqualTo("5"));
            Assert.That(_stripe.GetMeterTotal("api_calls", "cus_123"), Is.EqualTo(5));
            Assert.That(_stripe.CountDuplicateIdentifier("evt-1"), Is.EqualTo(1));
            Assert.That(_stripe.MeterEventErrors, Is.Empty);
        });
    }

    [Test]
    public async Task StripeNet_LostStreamAnswerRetriedWithTheSameKey_EventsCountOnce()
    {
        using var retrying = new HttpClient(_stripe.CreateHandler());
        var client = new StripeClient(new StripeClientOptions
        {
            ApiKey = StripeStandIn.DefaultApiKey,
            ApiBase = StripeStandIn.InProcessBaseAddress.ToString().TrimEnd('/'),
            MeterEventsBase = StripeStandIn.InProcessBaseAddress.ToString().TrimEnd('/'),
            HttpClient = new SystemNetHttpClient(retrying, maxNetworkRetries: 1),
        });
        var session = await client.V2.Billing.MeterEventSession.CreateAsync(new MeterEventSessionCreateOptions());
        _stripe.Faults.FailNext("POST", "/v2/billing/meter_event_stream", StripeFault.ServerError(500), timing: FaultTiming.AfterProcessing);

        await client.V2.Billing.MeterEventStream.CreateAsync(
            new MeterEventStreamCreateOptions { Events = [Event("evt-1", "7")] },
            new RequestOptions { ApiKey = session.AuthenticationToken });

        var attempts = _stripe.Requests.Where(r => r.Path == "/v2/billing/meter_event_stream").ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(attempts.Select(r => r.StatusCode), Is.EqualTo(new int?[] { 500, 200 }));
            Assert.That(attempts[1].IdempotencyKey, Is.EqualTo(attempts[0].IdempotencyKey));
            Assert.That(attempts[1].IsReplay, Is.True);
            Assert.That(_stripe.GetMeterTotal("api_calls", "cus_123"), Is.EqualTo(7));
            Assert.That(_stripe.CountAcceptedIdentifier("evt-1"), Is.EqualTo(1));
        });
    }

    private static MeterEventStreamCreateEventOptions Event(string? identifier, string value, DateTime? timestamp = null) => new()
    {
        EventName = "api_calls",
        Identifier = identifier,
        Payload = new Dictionary<string, string> { ["stripe_customer_id"] = "cus_123", ["value"] = value },
        Timestamp = timestamp,
    };

    private Task<EmptyStripeEntity> SendStreamAsync(MeterEventSession session, params MeterEventStreamCreateEventOptions[] events) =>
        _client.V2.Billing.MeterEventStream.CreateAsync(
            new MeterEventStreamCreateOptions { Events = [.. events] },
            new RequestOptions { ApiKey = session.AuthenticationToken });
}
