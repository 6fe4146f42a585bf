using Gravity.Usage.Testing.Tests.Support;

namespace Gravity.Usage.Testing.Tests;

[TestFixture(Transport.InProcess)]
public sealed class AdjustmentTests(Transport transport) : StandInTest(transport)
{
    private const string Adjustments = "/v1/billing/meter_event_adjustments";

    [SetUp]
    public async Task ArrangeAsync()
    {
        Stripe.AddCustomer("cus_1");
        Stripe.AddMeter("api_calls");
        using var a = await PostMeterEventAsync("cus_1", "25", "evt-1");
        using var b = await PostMeterEventAsync("cus_1", "10", "evt-2");
        await ExpectOkAsync(a);
        await ExpectOkAsync(b);
    }

    [Test]
    public async Task Cancel_RecordedEvent_IsRemovedFromTotals()
    {
        using var response = await PostAsync(Adjustments, "event_name=api_calls&type=cancel&cancel[identifier]=evt-1");

        var json = await ExpectOkAsync(response);
        Assert.Multiple(() =>
        {
            Assert.That(json.GetProperty("object").GetString(), Is.EqualTo("billing.meter_event_adjustment"));
            Assert.That(json.GetProperty("event_name").GetString(), Is.EqualTo("api_calls"));
            Assert.That(json.GetProperty("type").GetString(), Is.EqualTo("cancel"));
            Assert.That(json.GetProperty("status").GetString(), Is.EqualTo("complete"));
            Assert.That(json.GetProperty("livemode").GetBoolean(), Is.False);
            Assert.That(json.GetProperty("cancel").GetProperty("identifier").GetString(), Is.EqualTo("evt-1"));
            Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(10));
            Assert.That(Stripe.MeterEvents.Single(e => e.Identifier == "evt-1").IsCancelled, Is.True);
            Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.EqualTo(1), "acceptance history is kept");
        });
    }

    [Test]
    public async Task Cancel_IdentifierWithinTheWindow_StaysTaken()
    {
        using var cancel = await PostAsync(Adjustments, "event_name=api_calls&type=cancel&cancel[identifier]=evt-1");
        using var resend = await PostMeterEventAsync("cus_1", "25", "evt-1");

        await ExpectOkAsync(cancel);
        await ExpectErrorAsync(resend, 400, "invalid_request_error", "duplicate_meter_event");
    }

    [Test]
    public async Task Cancel_EventOlderThan24Hours_IsRejected()
    {
        Clock.Advance(TimeSpan.FromHours(24));

        using var response = await PostAsync(Adjustments, "event_name=api_calls&type=cancel&cancel[identifier]=evt-1");

        await ExpectErrorAsync(response, 400, "invalid_request_error", "resource_missing", "cancel[identifier]");
        Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(35));
    }

    [TestCase("event_name=api_calls&type=cancel&cancel[identifier]=evt-9", 400, "resource_missing", "cancel[identifier]")]
    [TestCase("event_name=tokens&type=cancel&cancel[identifier]=evt-1", 400, "no_meter", "event_name")]
    [TestCase("type=cancel&cancel[identifier]=evt-1", 400, "parameter_missing", "event_name")]
    [TestCase("event_name=api_calls&cancel[identifier]=evt-1", 400, "parameter_missing", "type")]
    [TestCase("event_name=api_calls&type=cancel", 400, "parameter_missing", "cancel[identifier]")]
    [TestCase("event_name=api_calls&type=cancel&cancel[identifier]=", 400, "parameter_missing", "cancel[identifier]")]
    [TestCase("event_name=api_calls&type=period&cancel[identifier]=evt-1", 400, null, "type")]
    public async Task Cancel_InvalidAdjustment_IsRejected(string body, int status, string? code, string param)
    {
        using var response = await PostAsync(Adjustments, body);

        await ExpectErrorAsync(response, status, "invalid_request_error", code, param);
        Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(35));
    }

    [Test]
    public async Task Cancel_Twice_IsRejected()
    {
        using var first = await PostAsync(Adjustments, "event_name=api_calls&type=cancel&cancel[identifier]=evt-1");
        using var second = await PostAsync(Adjustments, "event_name=api_calls&type=cancel&cancel[identifier]=evt-1");

        await ExpectOkAsync(first);
        await ExpectErrorAsync(second, 400, "invalid_request_error", param: "cancel[identifier]");
        Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(10));
    }
}
