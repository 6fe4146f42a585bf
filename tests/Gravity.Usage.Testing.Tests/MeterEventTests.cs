using System.Globalization;
using Gravity.Usage.Testing.Tests.Support;

namespace Gravity.Usage.Testing.Tests;

[TestFixture(Transport.InProcess)]
[TestFixture(Transport.Loopback)]
public sealed class MeterEventTests(Transport transport) : StandInTest(transport)
{
    private static readonly long ThirtyFiveDays = (long)TimeSpan.FromDays(35).TotalSeconds;

    [SetUp]
    public void Arrange()
    {
        Stripe.AddCustomer("cus_1");
        Stripe.AddMeter("api_calls");
    }

    [Test]
    public async Task MeterEvents_Valid_IsAcceptedAndReturnedAsBillingMeterEvent()
    {
        using var response = await PostMeterEventAsync("cus_1", "25", "evt-1", timestamp: 1_790_000_000);

        var json = await ExpectOkAsync(response);
        Assert.Multiple(() =>
        {
            Assert.That(json.GetProperty("object").GetString(), Is.EqualTo("billing.meter_event"));
            Assert.That(json.GetProperty("created").GetInt64(), Is.EqualTo(NowUnix));
            Assert.That(json.GetProperty("event_name").GetString(), Is.EqualTo("api_calls"));
            Assert.That(json.GetProperty("identifier").GetString(), Is.EqualTo("evt-1"));
            Assert.That(json.GetProperty("livemode").GetBoolean(), Is.False);
            Assert.That(json.GetProperty("payload").GetProperty("stripe_customer_id").GetString(), Is.EqualTo("cus_1"));
            Assert.That(json.GetProperty("payload").GetProperty("value").GetString(), Is.EqualTo("25"));
            Assert.That(json.GetProperty("timestamp").GetInt64(), Is.EqualTo(1_790_000_000));
            Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(25));
            Assert.That(Stripe.AcceptedIdentifiers, Is.EquivalentTo(new[] { "evt-1" }));
        });

        var recorded = Stripe.MeterEvents.Single();
        Assert.Multiple(() =>
        {
            Assert.That(recorded.EventName, Is.EqualTo("api_calls"));
            Assert.That(recorded.CustomerId, Is.EqualTo("cus_1"));
            Assert.That(recorded.Value, Is.EqualTo(25m));
            Assert.That(recorded.Timestamp, Is.EqualTo(DateTimeOffset.FromUnixTimeSeconds(1_790_000_000)));
            Assert.That(recorded.ReceivedAt, Is.EqualTo(Start));
            Assert.That(recorded.IsCancelled, Is.False);
            Assert.That(recorded.RequestId, Is.EqualTo(Header(response, "Request-Id")));
        });
    }

    [Test]
    public async Task MeterEvents_WithoutTimestampAndIdentifier_DefaultToNowAndAGeneratedOne()
    {
        using var first = await PostAsync("/v1/billing/meter_events", "event_name=api_calls&payload[stripe_customer_id]=cus_1&payload[value]=1");
        using var second = await PostAsync("/v1/billing/meter_events", "event_name=api_calls&payload[stripe_customer_id]=cus_1&payload[value]=1");

        var a = await ExpectOkAsync(first);
        var b = await ExpectOkAsync(second);
        Assert.That(a.GetProperty("timestamp").GetInt64(), Is.EqualTo(NowUnix));
        Assert.That(a.GetProperty("identifier").GetString(), Is.Not.Empty.And.Not.EqualTo(b.GetProperty("identifier").GetString()));
        Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(2));
    }

    [Test]
    public async Task MeterEvents_MissingEventName_IsParameterMissing()
    {
        using var response = await PostAsync("/v1/billing/meter_events", "payload[stripe_customer_id]=cus_1&payload[value]=1");

        await ExpectErrorAsync(response, 400, "invalid_request_error", "parameter_missing", "event_name");
    }

    [TestCase("event_name=api_calls")]
    [TestCase("event_name=api_calls&payload=")]
    public async Task MeterEvents_MissingPayload_IsParameterMissing(string body)
    {
        using var response = await PostAsync("/v1/billing/meter_events", body);

        await ExpectErrorAsync(response, 400, "invalid_request_error", "parameter_missing", "payload");
    }

    [Test]
    public async Task MeterEvents_UnknownMeter_Is400NoMeterNamingTheEvent()
    {
        using var response = await PostMeterEventAsync("cus_1", "1", "evt-1", eventName: "tokens");

        var error = await ExpectErrorAsync(response, 400, "invalid_request_error", "no_meter", "event_name");
        Assert.That(error.GetProperty("message").GetString(), Does.Contain("'tokens'"));
    }

    [Test]
    public async Task MeterEvents_InactiveMeter_Is400ArchivedMeterUntilReactivated()
    {
        var meterId = Stripe.AddMeter("tokens");
        Stripe.DeactivateMeter(meterId);

        using var rejected = await PostMeterEventAsync("cus_1", "1", "evt-1", eventName: "tokens");
        Stripe.ReactivateMeter(meterId);
        using var accepted = await PostMeterEventAsync("cus_1", "1", "evt-1", eventName: "tokens");

        await ExpectErrorAsync(rejected, 400, "invalid_request_error", "archived_meter", "event_name");
        await ExpectOkAsync(accepted);
    }

    [Test]
    public async Task MeterEvents_UnknownCustomer_Is400ResourceMissingOnThePayloadKey()
    {
        using var response = await PostMeterEventAsync("cus_unknown", "5", "evt-1");

        var error = await ExpectErrorAsync(response, 400, "invalid_request_error", "resource_missing", "payload[stripe_customer_id]");
        Assert.That(error.GetProperty("message").GetString(), Is.EqualTo("No such customer: 'cus_unknown'"));
        Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.Zero);
    }

    [Test]
    public async Task MeterEvents_AutoCreateOptions_CreateUnknownCustomersAndMeters()
    {
        await RecreateAsync(o =>
        {
            o.AutoCreateCustomers = true;
            o.AutoCreateMeters = true;
        });

        using var response = await PostMeterEventAsync("cus_new", "5", "evt-1", eventName: "brand_new");

        await ExpectOkAsync(response);
        Assert.That(Stripe.HasCustomer("cus_new"), Is.True);
        Assert.That(Stripe.GetMeterTotal("brand_new", "cus_new"), Is.EqualTo(5));
    }

    [Test]
    public async Task MeterEvents_PayloadWithoutCustomerOrValue_IsRejected()
    {
        using var noCustomer = await PostAsync("/v1/billing/meter_events", "event_name=api_calls&payload[value]=1");
        using var noValue = await PostAsync("/v1/billing/meter_events", "event_name=api_calls&payload[stripe_customer_id]=cus_1");

        await ExpectErrorAsync(noCustomer, 400, "invalid_request_error", "payload_no_customer_defined", "payload[stripe_customer_id]");
        await ExpectErrorAsync(noValue, 400, "invalid_request_error", "payload_no_value_defined", "payload[value]");
    }

    [Test]
    public async Task MeterEvents_CountMeter_NeedsNoValue()
    {
        Stripe.AddMeter("logins", "count");

        using var first = await PostAsync("/v1/billing/meter_events", "event_name=logins&payload[stripe_customer_id]=cus_1");
        using var second = await PostAsync("/v1/billing/meter_events", "event_name=logins&payload[stripe_customer_id]=cus_1&payload[value]=7");

        await ExpectOkAsync(first);
        await ExpectOkAsync(second);
        Assert.That(Stripe.GetMeterTotal("logins", "cus_1"), Is.EqualTo(2));
    }

    [TestCase("abc")]
    [TestCase("-5")]
    [TestCase("+5")]
    [TestCase("2.5")]
    [TestCase(" 5")]
    [TestCase("1e3")]
    [TestCase("")]
    [TestCase("1234567890123456")]
    public async Task MeterEvents_InvalidValuesWhenIntegersOnly_AreRejected(string value)
    {
        using var response = await PostMeterEventAsync("cus_1", value, "evt-1");

        await ExpectErrorAsync(response, 400, "invalid_request_error", "payload_invalid_value", "payload[value]");
        Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.Zero);
    }

    [TestCase("0", 0)]
    [TestCase("000123", 123)]
    [TestCase("123456789012345", 123456789012345)]
    public async Task MeterEvents_IntegerValues_AreAccepted(string value, long expected)
    {
        using var response = await PostMeterEventAsync("cus_1", value, "evt-1");

        await ExpectOkAsync(response);
        Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(expected));
    }

    [Test]
    public async Task MeterEvents_DecimalValuesWhenAllowed_AreAcceptedUpTo15SignificantDigits()
    {
        await RecreateAsync(o => o.IntegerValuesOnly = false);
        Stripe.AddCustomer("cus_1");
        Stripe.AddMeter("api_calls");

        using var a = await PostMeterEventAsync("cus_1", "2.5", "evt-1");
        using var b = await PostMeterEventAsync("cus_1", "0.000000000000001", "evt-2");
        using var tooPrecise = await PostMeterEventAsync("cus_1", "1.234567890123456", "evt-3");
        using var negative = await PostMeterEventAsync("cus_1", "-1.5", "evt-4");
        using var dot = await PostMeterEventAsync("cus_1", "1.", "evt-5");

        await ExpectOkAsync(a);
        await ExpectOkAsync(b);
        await ExpectErrorAsync(tooPrecise, 400, "invalid_request_error", "payload_invalid_value", "payload[value]");
        await ExpectErrorAsync(negative, 400, "invalid_request_error", "payload_invalid_value", "payload[value]");
        await ExpectErrorAsync(dot, 400, "invalid_request_error", "payload_invalid_value", "payload[value]");
        Assert.That(Stripe.GetMeterAggregate("api_calls", "cus_1"), Is.EqualTo(2.500000000000001m));
        Assert.Throws<InvalidOperationException>(() => Stripe.GetMeterTotal("api_calls", "cus_1"));
    }

    [Test]
    public async Task MeterEvents_Timestamp_Is35DaysBackTo5MinutesAheadOfTheStandInClock()
    {
        using var oldest = await PostMeterEventAsync("cus_1", "1", "a", timestamp: NowUnix - ThirtyFiveDays);
        using var tooOld = await PostMeterEventAsync("cus_1", "1", "b", timestamp: NowUnix - ThirtyFiveDays - 1);
        using var newest = await PostMeterEventAsync("cus_1", "1", "c", timestamp: NowUnix + 300);
        using var tooNew = await PostMeterEventAsync("cus_1", "1", "d", timestamp: NowUnix + 301);

        await ExpectOkAsync(oldest);
        await ExpectErrorAsync(tooOld, 400, "invalid_request_error", param: "timestamp");
        await ExpectOkAsync(newest);
        await ExpectErrorAsync(tooNew, 400, "invalid_request_error", param: "timestamp");
        Assert.That(Stripe.AcceptedIdentifiers, Is.EquivalentTo(new[] { "a", "c" }));
    }

    [Test]
    public async Task MeterEvents_ClockMoved_TimestampWindowMovesWithIt()
    {
        var timestamp = NowUnix - (long)TimeSpan.FromDays(34).TotalSeconds;
        using var accepted = await PostMeterEventAsync("cus_1", "1", "a", timestamp: timestamp);
        Clock.Advance(TimeSpan.FromDays(2));
        using var rejected = await PostMeterEventAsync("cus_1", "1", "b", timestamp: timestamp);
        using var recent = await PostMeterEventAsync("cus_1", "1", "c", timestamp: Start.ToUnixTimeSeconds() + 600);

        await ExpectOkAsync(accepted);
        await ExpectErrorAsync(rejected, 400, "invalid_request_error", param: "timestamp");
        await ExpectOkAsync(recent);
    }

    [Test]
    public async Task MeterEvents_NonIntegerTimestamp_IsParameterInvalidInteger()
    {
        using var response = await PostAsync("/v1/billing/meter_events", "event_name=api_calls&payload[stripe_customer_id]=cus_1&payload[value]=1&timestamp=soon");

        await ExpectErrorAsync(response, 400, "invalid_request_error", "parameter_invalid_integer", "timestamp");
    }

    [Test]
    public async Task MeterEvents_IdentifierOrEventNameOver100Characters_IsRejected()
    {
        Stripe.AddMeter(new string('e', 100));

        using var longest = await PostMeterEventAsync("cus_1", "1", new string('i', 100));
        using var tooLong = await PostMeterEventAsync("cus_1", "1", new string('j', 101));
        using var longestName = await PostMeterEventAsync("cus_1", "1", "x", eventName: new string('e', 100));
        using var tooLongName = await PostMeterEventAsync("cus_1", "1", "y", eventName: new string('e', 101));

        await ExpectOkAsync(longest);
        await ExpectErrorAsync(tooLong, 400, "invalid_request_error", param: "identifier");
        await ExpectOkAsync(longestName);
        await ExpectErrorAsync(tooLongName, 400, "invalid_request_error", param: "event_name");
    }

    [Test]
    public async Task MeterEvents_MeterWithCustomPayloadKeys_ReadsThem()
    {
        using var meter = await PostAsync(
            "/v1/billing/meters",
            "display_name=Tokens&event_name=tokens&default_aggregation[formula]=sum&customer_mapping[type]=by_id&customer_mapping[event_payload_key]=cust&value_settings[event_payload_key]=qty");
        await ExpectOkAsync(meter);

        using var ok = await PostAsync("/v1/billing/meter_events", "event_name=tokens&payload[cust]=cus_1&payload[qty]=9");
        using var defaultKeys = await PostAsync("/v1/billing/meter_events", "event_name=tokens&payload[stripe_customer_id]=cus_1&payload[value]=9");

        await ExpectOkAsync(ok);
        await ExpectErrorAsync(defaultKeys, 400, "invalid_request_error", "payload_no_customer_defined", "payload[cust]");
        Assert.That(Stripe.GetMeterTotal("tokens", "cus_1"), Is.EqualTo(9));
    }

    [Test]
    public async Task MeterEvents_Totals_ArePerMeterAndCustomer()
    {
        Stripe.AddCustomer("cus_2");
        Stripe.AddMeter("tokens");
        for (var i = 0; i < 5; i++)
        {
            using var a = await PostMeterEventAsync("cus_1", "10", $"a{i}");
            using var b = await PostMeterEventAsync("cus_2", "1", $"b{i}");
            using var c = await PostMeterEventAsync("cus_1", "100", $"c{i}", eventName: "tokens");
            await ExpectOkAsync(a);
            await ExpectOkAsync(b);
            await ExpectOkAsync(c);
        }

        Assert.Multiple(() =>
        {
            Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(50));
            Assert.That(Stripe.GetMeterTotal("api_calls", "cus_2"), Is.EqualTo(5));
            Assert.That(Stripe.GetMeterTotal("tokens", "cus_1"), Is.EqualTo(500));
            Assert.That(Stripe.GetMeterTotal("tokens", "cus_2"), Is.Zero);
            Assert.That(Stripe.AcceptedIdentifiers, Has.Count.EqualTo(15));
            Assert.That(Stripe.MeterEvents, Has.Count.EqualTo(15));
            Assert.That(
                Stripe.GetMeterAggregate("api_calls", "cus_1", Start, Start.AddSeconds(1)),
                Is.EqualTo(50m),
                string.Create(CultureInfo.InvariantCulture, $"events are at {NowUnix}"));
            Assert.That(Stripe.GetMeterAggregate("api_calls", "cus_1", Start.AddSeconds(1)), Is.Zero);
        });
        Assert.Throws<ArgumentException>(() => Stripe.GetMeterTotal("nope", "cus_1"));
    }

    [Test]
    public async Task MeterEvents_LastFormula_KeepsTheValueWithTheLatestTimestamp()
    {
        Stripe.AddMeter("seats", "last");

        using var newer = await PostMeterEventAsync("cus_1", "7", "a", timestamp: NowUnix - 10, eventName: "seats");
        using var older = await PostMeterEventAsync("cus_1", "3", "b", timestamp: NowUnix - 20, eventName: "seats");

        await ExpectOkAsync(newer);
        await ExpectOkAsync(older);
        Assert.That(Stripe.GetMeterTotal("seats", "cus_1"), Is.EqualTo(7));
    }
}
