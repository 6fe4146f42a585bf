using Gravity.Usage.Testing.Tests.Support;

namespace Gravity.Usage.Testing.Tests;

[TestFixture(Transport.InProcess)]
[TestFixture(Transport.Loopback)]
public sealed class FormDecodingTests(Transport transport) : StandInTest(transport)
{
    [SetUp]
    public void Arrange()
    {
        Stripe.AddCustomer("cus_1");
        Stripe.AddMeter("api_calls");
    }

    [TestCase("event_name=api_calls&payload[stripe_customer_id]=cus_1&payload[value]=3")]
    [TestCase("event_name=api_calls&payload%5Bstripe_customer_id%5D=cus_1&payload%5Bvalue%5D=3")]
    [TestCase("event_name=api_calls&payload%5bstripe_customer_id%5d=cus_1&payload[value%5D=3")]
    [TestCase("payload[value]=3&payload[stripe_customer_id]=cus%5F1&event_name=api%5Fcalls")]
    [TestCase("event_name=api_calls&payload[stripe_customer_id]=cus_1&payload[value]=1&payload[value]=3")]
    public async Task FormDecoding_BracketKeysRawOrPercentEncoded_AreDecoded(string body)
    {
        using var response = await PostAsync("/v1/billing/meter_events", body);

        var json = await ExpectOkAsync(response);
        Assert.That(json.GetProperty("payload").GetProperty("stripe_customer_id").GetString(), Is.EqualTo("cus_1"));
        Assert.That(Stripe.GetMeterTotal("api_calls", "cus_1"), Is.EqualTo(3));
    }

    [Test]
    public async Task FormDecoding_SpacesPlusSignsAndReservedCharacters_AreDecoded()
    {
        Stripe.AddCustomer("cus a&b=c+d");

        using var meter = await PostAsync("/v1/billing/meters", "display_name=API+calls%20and%2Bmore&event_name=tokens&default_aggregation[formula]=sum");
        using var meterEvent = await PostAsync("/v1/billing/meter_events", Form.Encode(("event_name", "tokens"), ("payload[stripe_customer_id]", "cus a&b=c+d"), ("payload[value]", "4")));

        Assert.That((await ExpectOkAsync(meter)).GetProperty("display_name").GetString(), Is.EqualTo("API calls and+more"));
        await ExpectOkAsync(meterEvent);
        Assert.That(Stripe.GetMeterTotal("tokens", "cus a&b=c+d"), Is.EqualTo(4));
    }

    [TestCase("expand[0]=a&expand[1]=b")]
    [TestCase("expand[]=a&expand[]=b")]
    [TestCase("expand%5B0%5D=a")]
    public async Task FormDecoding_IndexedArrays_AreAccepted(string expand)
    {
        using var response = await PostAsync("/v1/billing/meter_events", "event_name=api_calls&payload[stripe_customer_id]=cus_1&payload[value]=3&" + expand);

        await ExpectOkAsync(response);
    }

    [Test]
    public async Task FormDecoding_QueryStrings_FollowTheSameRules()
    {
        using var response = await GetAsync("/v1/billing/meters?status=active&expand%5B0%5D=data&limit=5");

        var json = await ExpectOkAsync(response);
        Assert.That(json.GetProperty("data").GetArrayLength(), Is.EqualTo(1));
    }

    [TestCase("event_name=api_calls&payload[stripe_customer_id]=cus_1&payload[value]=3&bogus=1", "bogus")]
    [TestCase("event_name=api_calls&payload[stripe_customer_id]=cus_1&payload[value]=3&Identifier=x", "Identifier")]
    public async Task FormDecoding_UnknownParameters_AreRejected(string body, string param)
    {
        using var response = await PostAsync("/v1/billing/meter_events", body);

        await ExpectErrorAsync(response, 400, "invalid_request_error", "parameter_unknown", param);
        Assert.That(Stripe.AcceptedIdentifiers, Is.Empty);
    }

    [Test]
    public async Task FormDecoding_UnknownKeysOfFixedHashes_AreRejected()
    {
        using var response = await PostAsync("/v1/billing/meters", "display_name=x&event_name=y&default_aggregation[formula]=sum&default_aggregation[bogus]=1");

        await ExpectErrorAsync(response, 400, "invalid_request_error", "parameter_unknown", "default_aggregation[bogus]");
    }

    [TestCase("event_name=api_calls&payload[stripe_customer_id=cus_1&payload[value]=3")]
    [TestCase("event_name=api_calls&payload]x[=cus_1")]
    [TestCase("event_name=api_calls&[x]=1")]
    [TestCase("event_name=api_calls&payload=cus_1&payload[value]=3")]
    [TestCase("event_name[x]=api_calls&payload[stripe_customer_id]=cus_1&payload[value]=3")]
    [TestCase("event_name=api_calls&payload[stripe_customer_id][x]=cus_1&payload[value]=3")]
    public async Task FormDecoding_MalformedOrConflictingKeys_Are400(string body)
    {
        using var response = await PostAsync("/v1/billing/meter_events", body);

        await ExpectErrorAsync(response, 400, "invalid_request_error");
        Assert.That(Stripe.AcceptedIdentifiers, Is.Empty);
    }
}
