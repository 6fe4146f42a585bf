using Gravity.Usage.Testing.Tests.Support;

namespace Gravity.Usage.Testing.Tests;

/// <summary>
/// Identifier de-duplication on the stream: one 24-hour identifier table shared with v1 meter events; a duplicate on the
/// stream is dropped silently (counted as a duplicate, never an error), within one request too.
/// </summary>
[TestFixture(Transport.InProcess)]
[TestFixture(Transport.Loopback)]
public sealed class MeterEventStreamDeduplicationTests(Transport transport) : StandInTest(transport)
{
    private string _token = null!;

    [SetUp]
    public async Task ArrangeAsync()
    {
        Stripe.AddCustomer("cus_1");
        Stripe.AddMeter("api_calls");
        _token = await CreateSessionTokenAsync();
    }

    [Test]
    public async Task StreamDeduplication_StreamEventRepeatingAV1Identifier_IsDropped()
    {
        using var v1 = await PostMeterEventAsync("cus_1", "5", "evt-1");
        using var stream = await PostStreamAsync(_token, [StreamEvent("evt-1", value: "100")]);

        await ExpectOkAsync(v1);
        await ExpectOkAsync(stream);
        Assert.Multiple(() =>
        {
            Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(5));
            Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.EqualTo(1));
            Assert.That(Stripe.CountDuplicateIdentifier("evt-1"), Is.EqualTo(1));
            Assert.That(Stripe.MeterEventErrors, Is.Empty, "a duplicate is not an error");
        });
    }

    [Test]
    public async Task StreamDeduplication_V1EventRepeatingAStreamIdentifier_IsAV1Duplicate()
    {
        using var stream = await PostStreamAsync(_token, [StreamEvent("evt-1", value: "5")]);
        using var v1 = await PostMeterEventAsync("cus_1", "100", "evt-1");

        await ExpectOkAsync(stream);
        await ExpectErrorAsync(v1, 400, "invalid_request_error", "duplicate_meter_event", "identifier");
        Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(5));
        Assert.That(Stripe.CountDuplicateIdentifier("evt-1"), Is.EqualTo(1));
    }

    [Test]
    public async Task StreamDeduplication_IdentifierRepeatedInOneRequest_CountsOnce()
    {
        using var response = await PostStreamAsync(_token, [StreamEvent("evt-1", value: "5"), StreamEvent("evt-1", value: "7"), StreamEvent("evt-2", value: "1")]);

        await ExpectOkAsync(response);
        Assert.Multiple(() =>
        {
            Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(6), "the first one wins");
            Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.EqualTo(1));
            Assert.That(Stripe.CountDuplicateIdentifier("evt-1"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task StreamDeduplication_IdentifierRepeatedAcrossRequests_CountsOnce()
    {
        using var first = await PostStreamAsync(_token, [StreamEvent("evt-1", value: "5")]);
        Clock.Advance(TimeSpan.FromHours(23));
        var token = await CreateSessionTokenAsync();
        using var second = await PostStreamAsync(token, [StreamEvent("evt-1", value: "5")]);

        await ExpectOkAsync(first);
        await ExpectOkAsync(second);
        Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.EqualTo(1));
        Assert.That(Stripe.CountDuplicateIdentifier("evt-1"), Is.EqualTo(1));
    }

    [Test]
    public async Task StreamDeduplication_AfterTheUniquenessWindow_IdentifierCountsAgain()
    {
        using var first = await PostStreamAsync(_token, [StreamEvent("evt-1", value: "5")]);
        Clock.Advance(TimeSpan.FromHours(24));
        var token = await CreateSessionTokenAsync();
        using var second = await PostStreamAsync(token, [StreamEvent("evt-1", value: "5")]);

        await ExpectOkAsync(first);
        await ExpectOkAsync(second);
        Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.EqualTo(2));
        Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(10));
    }

    [Test]
    public async Task StreamDeduplication_AnyDuplicateIdentifierSetting_DuplicatesAreSilent()
    {
        await RecreateAsync(o => o.DuplicateIdentifier = DuplicateIdentifierBehavior.Reject);
        Stripe.AddCustomer("cus_1");
        Stripe.AddMeter("api_calls");
        var token = await CreateSessionTokenAsync();

        using var response = await PostStreamAsync(token, [StreamEvent("evt-1"), StreamEvent("evt-1")]);

        await ExpectOkAsync(response);
        Assert.That(Stripe.CountDuplicateIdentifier("evt-1"), Is.EqualTo(1));
    }

    [Test]
    public async Task StreamDeduplication_StreamEvent_CanBeCancelledByAV1Adjustment()
    {
        using var stream = await PostStreamAsync(_token, [StreamEvent("evt-1", value: "5")]);
        using var adjustment = await PostAsync("/v1/billing/meter_event_adjustments", "event_name=api_calls&type=cancel&cancel[identifier]=evt-1");

        await ExpectOkAsync(stream);
        await ExpectOkAsync(adjustment);
        Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.Zero);
    }
}
