using Gravity.Usage.Testing.Tests.Support;
using Stripe;

namespace Gravity.Usage.Testing.Tests;

/// <summary>
/// A meter event the stand-in is told to reject asynchronously is answered 200, not counted, and reported as a
/// <c>v1.billing.meter.error_report_triggered</c> event on <c>GET /v2/core/events</c>, which Stripe.net reads.
/// </summary>
[TestFixture(Transport.Loopback)]
[TestFixture(Transport.InProcess)]
public sealed class AsynchronousMeterErrorTests(Transport transport) : StandInTest(transport)
{
    private string _meterId = null!;

    [SetUp]
    public void Arrange()
    {
        Stripe.AddCustomer("cus_1");
        _meterId = Stripe.AddMeter("api_calls");
    }

    [Test]
    public async Task RejectedEvent_IsAnswered200_NotCounted_AndListedAsAnErrorEvent()
    {
        Stripe.RejectMeterEventAsynchronously("evt_id_1", "meter_event_customer_not_found", "No such customer: 'cus_1'.");

        await ExpectOkAsync(await PostMeterEventAsync("cus_1", "5", "evt_id_1"));
        await ExpectOkAsync(await PostMeterEventAsync("cus_1", "3", "evt_id_2"));
        var events = new List<global::Stripe.V2.Core.Event>();
        await foreach (var e in StripeClient().V2.Core.Events.ListAutoPagingAsync(new global::Stripe.V2.Core.EventListOptions
        {
            ObjectId = _meterId,
            Types = ["v1.billing.meter.error_report_triggered"],
            Created = new global::Stripe.V2.Core.EventListCreatedOptions { Gte = Start.AddMinutes(-1).UtcDateTime },
        }))
        {
            events.Add(e);
        }

        var error = events.OfType<global::Stripe.Events.V1BillingMeterErrorReportTriggeredEvent>().Single();
        var sample = error.Data.Reason.ErrorTypes.Single().SampleErrors.Single();
        Assert.Multiple(() =>
        {
            Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(3), "the rejected event is not counted");
            Assert.That(Stripe.CountAcceptedIdentifier("evt_id_1"), Is.Zero);
            Assert.That(error.RelatedObject.Id, Is.EqualTo(_meterId));
            Assert.That(error.Data.Reason.ErrorTypes.Single().Code, Is.EqualTo("meter_event_customer_not_found"));
            Assert.That(sample.Request.Identifier, Is.EqualTo("evt_id_1"));
            Assert.That(sample.ErrorMessage, Is.EqualTo("No such customer: 'cus_1'."));
            Assert.That(Stripe.MeterEventErrors.Single().Identifier, Is.EqualTo("evt_id_1"));
        });
    }

    [Test]
    public async Task ErrorEvent_IsRetrievedById_AndFilteredByCreatedAndMeter()
    {
        var other = Stripe.AddMeter("tokens");
        Stripe.RejectMeterEventAsynchronously("evt_id_1");
        await ExpectOkAsync(await PostMeterEventAsync("cus_1", "5", "evt_id_1"));
        var client = StripeClient();

        var byId = await client.V2.Core.Events.GetAsync("evt_standin_mer0001");
        var later = await client.V2.Core.Events.ListAsync(new global::Stripe.V2.Core.EventListOptions { ObjectId = _meterId, Created = new global::Stripe.V2.Core.EventListCreatedOptions { Gt = Start.AddHours(1).UtcDateTime } });
        var otherMeter = await client.V2.Core.Events.ListAsync(new global::Stripe.V2.Core.EventListOptions { ObjectId = other });
        var missing = Assert.ThrowsAsync<StripeException>(() => client.V2.Core.Events.GetAsync("evt_nope"));

        Assert.Multiple(() =>
        {
            Assert.That(byId, Is.InstanceOf<global::Stripe.Events.V1BillingMeterErrorReportTriggeredEvent>());
            Assert.That(later.Data, Is.Empty);
            Assert.That(otherMeter.Data, Is.Empty);
            Assert.That(missing!.HttpStatusCode, Is.EqualTo(System.Net.HttpStatusCode.NotFound));
        });
    }

    [Test]
    public async Task RejectedStreamEvent_IsDroppedAfterThe200_AndListedAsAnErrorEvent()
    {
        Stripe.RejectMeterEventAsynchronously("stream_1", "meter_event_invalid_value");
        var token = await CreateSessionTokenAsync();

        await ExpectOkAsync(await PostStreamAsync(token, [StreamEvent("stream_1"), StreamEvent("stream_2", value: "2")]));
        var listed = await StripeClient().V2.Core.Events.ListAsync(new global::Stripe.V2.Core.EventListOptions { ObjectId = _meterId });

        Assert.Multiple(() =>
        {
            Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(2));
            Assert.That(listed.Data.OfType<global::Stripe.Events.V1BillingMeterErrorReportTriggeredEvent>().Single().Data.Reason.ErrorTypes.Single().SampleErrors.Single().Request.Identifier, Is.EqualTo("stream_1"));
        });
    }

    private StripeClient StripeClient()
    {
        var http = Transport == Transport.Loopback ? new HttpClient() : new HttpClient(Stripe.CreateHandler());
        var apiBase = (Transport == Transport.Loopback ? Stripe.BaseAddress! : StripeStandIn.InProcessBaseAddress).ToString().TrimEnd('/');
        return new StripeClient(new StripeClientOptions
        {
            ApiKey = StripeStandIn.DefaultApiKey,
            ApiBase = apiBase,
            HttpClient = new SystemNetHttpClient(http, maxNetworkRetries: 0),
        });
    }
}
