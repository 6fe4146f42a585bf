using Gravity.Usage.Testing.Tests.Support;

namespace Gravity.Usage.Testing.Tests;

[TestFixture(Transport.InProcess)]
[TestFixture(Transport.Loopback)]
public sealed class IdentifierTests(Transport transport) : StandInTest(transport)
{
    [SetUp]
    public void Arrange()
    {
        Stripe.AddCustomer("cus_1");
        Stripe.AddMeter("api_calls");
    }

    [Test]
    public async Task Identifier_RepeatedByDefault_IsRejectedAndNotCountedAgain()
    {
        using var first = await PostMeterEventAsync("cus_1", "25", "evt-1", idempotencyKey: "k1");
        using var second = await PostMeterEventAsync("cus_1", "25", "evt-1", idempotencyKey: "k2");

        await ExpectOkAsync(first);
        var json = await JsonAsync(second);
        Assert.That((int)second.StatusCode, Is.EqualTo(400));
        Assert.That(
            json.ToString(),
            Is.EqualTo("{\"error\":{\"code\":\"duplicate_meter_event\",\"message\":\"An event with identifier 'evt-1' already exists.\",\"param\":\"identifier\",\"type\":\"invalid_request_error\"}}"));
        Assert.Multiple(() =>
        {
            Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(25));
            Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.EqualTo(1));
            Assert.That(Stripe.CountDuplicateIdentifier("evt-1"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Identifier_RepeatedWithAccept_IsAnswered200AndNotCountedAgain()
    {
        await RecreateAsync(o => o.DuplicateIdentifier = DuplicateIdentifierBehavior.Accept);
        Stripe.AddCustomer("cus_1");
        Stripe.AddMeter("api_calls");

        using var first = await PostMeterEventAsync("cus_1", "25", "evt-1");
        using var second = await PostMeterEventAsync("cus_1", "25", "evt-1");

        await ExpectOkAsync(first);
        var json = await ExpectOkAsync(second);
        Assert.That(json.GetProperty("identifier").GetString(), Is.EqualTo("evt-1"));
        Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(25));
        Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.EqualTo(1));
        Assert.That(Stripe.CountDuplicateIdentifier("evt-1"), Is.EqualTo(1));
    }

    [Test]
    public async Task Identifier_After24HoursOfTheStandInClock_CountsAgain()
    {
        using var first = await PostMeterEventAsync("cus_1", "25", "evt-1");
        Clock.Advance(TimeSpan.FromHours(24) - TimeSpan.FromSeconds(1));
        using var stillDuplicate = await PostMeterEventAsync("cus_1", "25", "evt-1");
        Clock.Advance(TimeSpan.FromSeconds(1));
        using var acceptedAgain = await PostMeterEventAsync("cus_1", "25", "evt-1");

        await ExpectOkAsync(first);
        await ExpectErrorAsync(stillDuplicate, 400, "invalid_request_error", "duplicate_meter_event", "identifier");
        await ExpectOkAsync(acceptedAgain);
        Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.EqualTo(2), "after the window Stripe counts a resent identifier again");
        Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(50));
    }

    [Test]
    public async Task Identifier_UniquenessWindowConfigured_IsApplied()
    {
        await RecreateAsync(o => o.IdentifierUniquenessWindow = TimeSpan.FromHours(48));
        Stripe.AddCustomer("cus_1");
        Stripe.AddMeter("api_calls");

        using var first = await PostMeterEventAsync("cus_1", "1", "evt-1");
        Clock.Advance(TimeSpan.FromHours(30));
        using var second = await PostMeterEventAsync("cus_1", "1", "evt-1");

        await ExpectOkAsync(first);
        await ExpectErrorAsync(second, 400, "invalid_request_error", "duplicate_meter_event");
    }

    [Test]
    public async Task Identifier_OfARejectedEvent_IsNotClaimed()
    {
        using var rejected = await PostMeterEventAsync("cus_unknown", "1", "evt-1");
        using var accepted = await PostMeterEventAsync("cus_1", "1", "evt-1");

        await ExpectErrorAsync(rejected, 400, "invalid_request_error", "resource_missing");
        await ExpectOkAsync(accepted);
        Assert.That(Stripe.CountAcceptedIdentifier("evt-1"), Is.EqualTo(1));
    }
}
