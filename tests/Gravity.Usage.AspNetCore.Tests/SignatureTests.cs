using System.Net;
using Gravity.Usage.AspNetCore.Tests.Support;

namespace Gravity.Usage.AspNetCore.Tests;

/// <summary>A webhook whose signature does not hold is answered 400 and changes nothing.</summary>
public sealed class SignatureTests : WebhookTest
{
    private static readonly long s_now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();

    [Test]
    public void Signer_StripesTestVector_Matches()
    {
        // From the reference (checked with stripe-node's constructEvent and a manual HMAC).
        const string body = """{"id":"evt_1","object":"event","type":"invoice.upcoming","data":{"object":{"object":"invoice"}}}""";

        Assert.That(
            StripeSignature.Sign(body, "whsec_test_secret", 1790000000),
            Is.EqualTo("t=1790000000,v1=0d02f2d638143faa952d7bebbbda4283eed28e54b4e76070b0304cf3c92ebe13"));
    }

    public static IEnumerable<TestCaseData> BadSignatures()
    {
        yield return new TestCaseData(null).SetName("{m}(Missing signature)");
        yield return new TestCaseData("").SetName("{m}(Empty signature)");
        yield return new TestCaseData("garbage").SetName("{m}(Malformed signature)");
        yield return new TestCaseData("t=notanumber,v1=00").SetName("{m}(Non-numeric timestamp)");
        yield return new TestCaseData("WRONG_SECRET").SetName("{m}(Signed with another secret)");
        yield return new TestCaseData("EXPIRED").SetName("{m}(Signed longer ago than the tolerance)");
        yield return new TestCaseData("TAMPERED").SetName("{m}(Payload changed after signing)");
    }

    [TestCaseSource(nameof(BadSignatures))]
    public async Task BadSignature_Is400_AndChangesNothing(string? kind)
    {
        var app = await StartHostAsync();
        var customer = Stripe.AddCustomer("cus_forged");
        await MapAsync(app, "acct_1", customer);
        await IncrementAsync(app, "acct_1", 9);
        var body = StripeEvents.InvoiceCreated("evt_forged", customer);
        var (posted, signature) = kind switch
        {
            "WRONG_SECRET" => (body, StripeSignature.Sign(body, "whsec_not_the_endpoint_secret", s_now)),
            "EXPIRED" => (body, StripeSignature.Sign(body, Secret, TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() - 301)),
            "TAMPERED" => (body.Replace("cus_forged", "cus_victim", StringComparison.Ordinal), StripeSignature.Sign(body, Secret, s_now)),
            _ => (body, kind),
        };

        using var response = await PostAsync(app, posted, signature);
        await Task.Delay(300);

        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(await ReadAsync(response), Does.Not.Contain(Secret));
            Assert.That(Stripe.RequestCount, Is.Zero, "nothing was sent to Stripe");
            Assert.That((await LedgerAsync(app, "acct_1")).PendingQuantity, Is.EqualTo(9), "nothing was reported");
        });

        // The refused request did not take the event id: the genuine delivery is handled.
        using var genuine = await PostSignedAsync(app, body);
        Assert.That(await ReadAsync(genuine), Does.Contain("accepted"));
        await Poll.UntilAsync(async () => Stripe.GetMeterTotal(ApiCallsEvent, customer) == 9, () => "the genuine delivery was not flushed");
    }

    [Test]
    public async Task MapStripeUsageWebhook_SignatureWithinTheTolerance_IsAccepted()
    {
        var app = await StartHostAsync(o => o.SignatureTolerance = TimeSpan.FromMinutes(10));
        var body = StripeEvents.OfType("evt_late", "customer.updated");

        using var response = await PostAsync(app, body, StripeSignature.Sign(body, Secret, TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() - 540));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task SecondV1Signature_FromASecretBeingRolled_IsAccepted()
    {
        var app = await StartHostAsync();
        var body = StripeEvents.OfType("evt_roll", "customer.updated");
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        var old = StripeSignature.Sign(body, "whsec_old_secret", now);
        var current = StripeSignature.Sign(body, Secret, now);

        using var response = await PostAsync(app, body, old + ",v1=" + current.Split("v1=")[1]);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task MapStripeUsageWebhook_SignedBodyThatIsNoEvent_Is400()
    {
        var app = await StartHostAsync();

        using var response = await PostSignedAsync(app, """{"hello":"world"}""");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task MapStripeUsageWebhook_BodyLargerThanTheLimit_Is413()
    {
        var app = await StartHostAsync(o => o.MaxPayloadBytes = 1024);
        var body = StripeEvents.OfType("evt_big", "customer.updated").Replace("cus_x", new string('x', 2000), StringComparison.Ordinal);

        using var response = await PostSignedAsync(app, body);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
    }

    [Test]
    public async Task MapStripeUsageWebhook_AnyRequest_TheSecretNeverReachesTheLogs()
    {
        var app = await StartHostAsync();
        var customer = Stripe.AddCustomer("cus_logs");
        await MapAsync(app, "acct_1", customer);
        await IncrementAsync(app, "acct_1", 1);
        using (await PostAsync(app, "{}", "t=1,v1=00"))
        using (await PostSignedAsync(app, StripeEvents.InvoiceCreated("evt_logs", customer)))
        {
        }

        await Poll.UntilAsync(() => Task.FromResult(Stripe.GetMeterTotal(ApiCallsEvent, customer) == 1), () => "not flushed");
        Assert.That(Logs.Lines, Has.None.Contains(Secret).And.None.Contains(Secret["whsec_".Length..]));
        Assert.That(Logs.Lines, Has.Some.Contains("Stripe webhook refused"));
    }
}
