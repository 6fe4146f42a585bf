using System.Text.Json.Nodes;
using Gravity.Usage.Testing.Tests.Support;

namespace Gravity.Usage.Testing.Tests;

/// <summary>
/// The stream's asynchronous validation: a well-formed request is answered 200, then each event is validated like a v1
/// meter event; invalid ones are not counted and are recorded in <see cref="StripeStandIn.MeterEventErrors"/> with
/// Stripe's error report codes.
/// </summary>
[TestFixture(Transport.InProcess)]
public sealed class MeterEventStreamValidationTests(Transport transport) : StandInTest(transport)
{
    private string _token = null!;

    public static IEnumerable<TestCaseData> InvalidEvents()
    {
        yield return Case("no_meter", null, StreamEvent("evt-x", eventName: "unknown_event"), "No meter for the event name");
        yield return Case("meter_event_no_customer_defined", null, WithoutCustomer(), "No customer in the payload");
        yield return Case("meter_event_customer_not_found", "cus_nobody", StreamEvent("evt-x", customer: "cus_nobody"), "An unknown customer");
        yield return Case("meter_event_invalid_value", "cus_1", StreamEvent("evt-x", value: "abc"), "A value that is not a number");
        yield return Case("meter_event_invalid_value", "cus_1", StreamEvent("evt-x", value: "-1"), "A negative value");
        yield return Case("meter_event_invalid_value", "cus_1", StreamEvent("evt-x", value: "2.5"), "A decimal value with IntegerValuesOnly");
        yield return Case("meter_event_invalid_value", "cus_1", StreamEvent("evt-x", value: null), "No value on a sum meter");
        yield return Case("meter_event_value_too_many_digits", "cus_1", StreamEvent("evt-x", value: "1234567890123456"), "Sixteen significant digits");
        yield return Case("timestamp_too_far_in_past", "cus_1", StreamEvent("evt-x", timestamp: Start.AddDays(-35).AddSeconds(-1)), "Older than 35 days");
        yield return Case("timestamp_in_future", "cus_1", StreamEvent("evt-x", timestamp: Start.AddMinutes(5).AddSeconds(1)), "More than 5 minutes ahead");
    }

    [SetUp]
    public async Task ArrangeAsync()
    {
        Stripe.AddCustomer("cus_1");
        Stripe.AddMeter("api_calls", id: "mtr_1");
        _token = await CreateSessionTokenAsync();
    }

    [TestCaseSource(nameof(InvalidEvents))]
    public async Task StreamValidation_InvalidEvent_IsAcceptedThenRecordedAsAnErrorAndNotCounted(string code, string? customer, JsonObject invalid)
    {
        using var response = await PostStreamAsync(_token, [invalid, StreamEvent("evt-ok", value: "2")]);

        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("{}"));
        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        var error = Stripe.MeterEventErrors.Single();
        Assert.Multiple(() =>
        {
            Assert.That(error.Code, Is.EqualTo(code));
            Assert.That(error.Identifier, Is.EqualTo("evt-x"));
            Assert.That(error.EventName, Is.EqualTo((string?)invalid["event_name"]));
            Assert.That(error.CustomerId, Is.EqualTo(customer));
            Assert.That(error.MeterId, Is.EqualTo(code == "no_meter" ? null : "mtr_1"));
            Assert.That(error.Message, Is.Not.Empty);
            Assert.That(error.OccurredAt, Is.EqualTo(Start));
            Assert.That(error.RequestId, Is.EqualTo(Header(response, "Request-Id")));
            Assert.That(Stripe.CountAcceptedIdentifier("evt-x"), Is.Zero);
            Assert.That(Stripe.AcceptedIdentifiers, Is.EquivalentTo(new[] { "evt-ok" }), "the valid event beside it counts");
            Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(2));
        });
    }

    [Test]
    public async Task StreamValidation_Error_KeepsTheTimestampTheEventWasSentWith()
    {
        var old = Start.AddDays(-40);

        using var response = await PostStreamAsync(_token, [StreamEvent("evt-1", timestamp: old)]);

        await ExpectOkAsync(response);
        Assert.That(Stripe.MeterEventErrors.Single().Timestamp, Is.EqualTo(old));
    }

    [Test]
    public async Task StreamValidation_WindowEdges_AreAccepted()
    {
        using var response = await PostStreamAsync(_token, [
            StreamEvent("evt-oldest", timestamp: Start.AddDays(-35)),
            StreamEvent("evt-newest", timestamp: Start.AddMinutes(5))]);

        await ExpectOkAsync(response);
        Assert.That(Stripe.AcceptedIdentifiers, Is.EquivalentTo(new[] { "evt-oldest", "evt-newest" }));
        Assert.That(Stripe.MeterEventErrors, Is.Empty);
    }

    [Test]
    public async Task StreamValidation_CountMeter_NeedsNoValue()
    {
        Stripe.AddMeter("logins", formula: "count");

        using var response = await PostStreamAsync(_token, [StreamEvent("evt-1", value: null, eventName: "logins")]);

        await ExpectOkAsync(response);
        Assert.That(Stripe.GetMeterTotal("logins", "cus_1"), Is.EqualTo(1));
    }

    [Test]
    public async Task StreamValidation_InvalidEvent_DoesNotReserveItsIdentifier()
    {
        using var invalid = await PostStreamAsync(_token, [StreamEvent("evt-1", customer: "cus_nobody")]);
        using var valid = await PostStreamAsync(_token, [StreamEvent("evt-1")]);

        await ExpectOkAsync(invalid);
        await ExpectOkAsync(valid);
        Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.EqualTo(1));
        Assert.That(Stripe.CountDuplicateIdentifier("evt-1"), Is.Zero);
    }

    [Test]
    public async Task StreamValidation_Errors_AccumulateInOrderAsASnapshot()
    {
        using var first = await PostStreamAsync(_token, [StreamEvent("evt-1", customer: "cus_a")]);
        var snapshot = Stripe.MeterEventErrors;
        using var second = await PostStreamAsync(_token, [StreamEvent("evt-2", customer: "cus_b"), StreamEvent("evt-3", value: "x")]);

        Assert.That(snapshot, Has.Count.EqualTo(1));
        Assert.That(snapshot[0].Timestamp, Is.EqualTo(Start), "no timestamp sent: the receive time");
        Assert.That(Stripe.MeterEventErrors.Select(e => (e.Identifier, e.Code)), Is.EqualTo(new[]
        {
            ("evt-1", "meter_event_customer_not_found"),
            ("evt-2", "meter_event_customer_not_found"),
            ("evt-3", "meter_event_invalid_value"),
        }));
    }

    private static TestCaseData Case(string code, string? customer, JsonObject e, string name) =>
        new TestCaseData(code, customer, e).SetName($"{{m}}: {name}");

    private static JsonObject WithoutCustomer()
    {
        var e = StreamEvent("evt-x");
        e["payload"]!.AsObject().Remove("stripe_customer_id");
        return e;
    }
}
