using Gravity.Usage.Stripe;

namespace Gravity.Usage.Tests.Stripe;

public sealed class StripeUsageRecordSinkTests
{
    private StripeHarness _harness = null!;

    [SetUp]
    public void SetUp() => _harness = new StripeHarness();

    [TearDown]
    public void TearDown() => _harness.Dispose();

    [Test]
    public async Task Deliver_AReport_PostsAnIncrementWithThePinnedLegacyVersion()
    {
        _harness.Handler.Then(200, "{\"object\":\"usage_record\"}", "req_ur");
        using var sink = _harness.UsageRecordSink();

        var result = await sink.DeliverAsync(StripeHarness.Delivery(quantity: 5));

        var request = _harness.Handler.Requests.Single();
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(DeliveryResult.Delivered("req_ur")));
            Assert.That(request.Method, Is.EqualTo(HttpMethod.Post));
            Assert.That(request.Uri.AbsolutePath, Is.EqualTo("/v1/subscription_items/si_123/usage_records"));
            Assert.That(request.Header("Stripe-Version"), Is.EqualTo("2025-02-24.acacia"));
            Assert.That(request.Header("Idempotency-Key"), Is.EqualTo("evt-1"));
            Assert.That(request.Header("Authorization"), Is.EqualTo("Bearer " + StripeHarness.ApiKey));
            Assert.That(request.Header("Content-Type"), Does.StartWith("application/x-www-form-urlencoded"));
            Assert.That(request.Body, Is.EqualTo("quantity=5&timestamp=1790000000&action=increment"));
        });
    }

    [Test]
    public async Task Deliver_ConfiguredLegacyVersion_IsUsed()
    {
        _harness.Options.LegacyApiVersion = "2024-06-20";
        _harness.Handler.Then(200);
        using var sink = _harness.UsageRecordSink();

        await sink.DeliverAsync(StripeHarness.Delivery());

        Assert.That(_harness.Handler.Requests.Single().Header("Stripe-Version"), Is.EqualTo("2024-06-20"));
    }

    [Test]
    public async Task Deliver_SubscriptionItemWithReservedCharacters_IsEscapedInThePath()
    {
        _harness.Handler.Then(200);
        using var sink = _harness.UsageRecordSink();

        await sink.DeliverAsync(StripeHarness.Delivery(subscriptionItem: "si_1/../x y"));

        Assert.That(_harness.Handler.Requests.Single().Uri.AbsolutePath, Is.EqualTo("/v1/subscription_items/si_1%2F..%2Fx%20y/usage_records"));
    }

    [Test]
    public async Task Deliver_NoSubscriptionItemForTheMeter_IsPermanentWithoutAnyRequest()
    {
        using var sink = _harness.UsageRecordSink();

        var result = await sink.DeliverAsync(StripeHarness.Delivery(subscriptionItem: null));

        Assert.Multiple(() =>
        {
            Assert.That(result.Outcome, Is.EqualTo(DeliveryOutcome.Permanent));
            Assert.That(result.Error, Does.Contain("acme").And.Contain("'api'").And.Contain("subscription item"));
            Assert.That(_harness.Handler.Requests, Is.Empty);
        });
    }

    [Test]
    public async Task Deliver_IdentifierMessage_IsNotTakenAsDelivered()
    {
        // Usage records have no identifier: a 400 is a refusal, whatever its text.
        _harness.Handler.Then(400, StubHttpHandler.ErrorBody("invalid_request_error", "duplicate_meter_event", "An event already exists with identifier evt-1."), "req_400");
        using var sink = _harness.UsageRecordSink();

        var result = await sink.DeliverAsync(StripeHarness.Delivery());

        Assert.That(result.Outcome, Is.EqualTo(DeliveryOutcome.Permanent));
    }

    [Test]
    public async Task Deliver_RemovedOnThisVersion_IsPermanentWithStripesMessage()
    {
        _harness.Handler.Then(400, StubHttpHandler.ErrorBody("invalid_request_error", null, "Usage records are not available on API version 2025-03-31.basil and later."), "req_gone");
        using var sink = _harness.UsageRecordSink();

        var result = await sink.DeliverAsync(StripeHarness.Delivery());

        Assert.Multiple(() =>
        {
            Assert.That(result.Outcome, Is.EqualTo(DeliveryOutcome.Permanent));
            Assert.That(result.Error, Does.Contain("Usage records are not available").And.Contain("req_gone").And.Contain("/v1/subscription_items/si_123/usage_records"));
        });
    }

    [Test]
    public async Task Deliver_Transient_IsRetriedWithTheSameKeyThenTransient()
    {
        _harness.Handler.Always(503, "{}", "req_503");
        using var sink = _harness.UsageRecordSink();

        var result = await sink.DeliverAsync(StripeHarness.Delivery(identifier: "rpt-9"));

        Assert.Multiple(() =>
        {
            Assert.That(result.Outcome, Is.EqualTo(DeliveryOutcome.Transient));
            Assert.That(_harness.Handler.Requests.Select(r => r.Header("Idempotency-Key")), Is.EqualTo(new[] { "rpt-9", "rpt-9", "rpt-9" }));
        });
    }
}
