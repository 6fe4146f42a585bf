using System.Net;
using Gravity.Usage.AspNetCore.Tests.Support;

namespace Gravity.Usage.AspNetCore.Tests;

/// <summary>A signed <c>invoice.created</c> for a subscription cycle flushes the customer's accounts, open bucket included.</summary>
public sealed class InvoiceFlushTests : WebhookTest
{
    [Test]
    public async Task MapStripeUsageWebhook_SignedInvoiceCreated_FlushesTheOpenBucketOfEveryAccountOfTheCustomer()
    {
        var app = await StartHostAsync();
        var customer = Stripe.AddCustomer("cus_flush_a");
        var other = Stripe.AddCustomer("cus_flush_b");
        await MapAsync(app, "acct_1", customer);
        await MapAsync(app, "acct_2", customer);
        await MapAsync(app, "acct_other", other);
        await IncrementAsync(app, "acct_1", 7);
        await IncrementAsync(app, "acct_2", 5);
        await IncrementAsync(app, "acct_other", 11);
        Assert.That((await LedgerAsync(app, "acct_1")).PendingQuantity, Is.EqualTo(7), "the usage is in the bucket in progress, not reported");

        using var response = await PostSignedAsync(app, StripeEvents.InvoiceCreated("evt_flush_1", customer));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await ReadAsync(response));
        Assert.That(await ReadAsync(response), Does.Contain("accepted"));
        await Poll.UntilAsync(
            async () => Stripe.GetMeterTotal(ApiCallsEvent, customer) == 12 && (await LedgerAsync(app, "acct_2")).PendingQuantity == 0,
            () => $"Stripe's total for the customer is {Stripe.GetMeterTotal(ApiCallsEvent, customer)}, expected 12");
        var first = await LedgerAsync(app, "acct_1");
        var second = await LedgerAsync(app, "acct_2");
        Assert.Multiple(async () =>
        {
            Assert.That(Stripe.GetMeterTotal(ApiCallsEvent, customer), Is.EqualTo(first.Quantity + second.Quantity), "Stripe's total equals the ledger's");
            Assert.That(first.PendingQuantity, Is.Zero);
            Assert.That(second.PendingQuantity, Is.Zero);
            Assert.That(Stripe.GetMeterTotal(ApiCallsEvent, other), Is.Zero, "another customer's accounts are not flushed");
            Assert.That((await LedgerAsync(app, "acct_other")).PendingQuantity, Is.EqualTo(11));
        });
    }

    [Test]
    public async Task MapStripeUsageWebhook_ResendOfTheSameEventId_DoesNothingMore()
    {
        var app = await StartHostAsync();
        var customer = Stripe.AddCustomer("cus_resend");
        await MapAsync(app, "acct_1", customer);
        await IncrementAsync(app, "acct_1", 3);
        var body = StripeEvents.InvoiceCreated("evt_resend", customer);
        using (var first = await PostSignedAsync(app, body))
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        await Poll.UntilAsync(async () => Stripe.GetMeterTotal(ApiCallsEvent, customer) == 3, () => "the first delivery was not flushed");
        await IncrementAsync(app, "acct_1", 4);
        var requests = Stripe.RequestCount;

        using var resend = await PostSignedAsync(app, body);
        await Task.Delay(300); // time enough for a wrongly queued flush to reach the stand-in

        Assert.Multiple(async () =>
        {
            Assert.That(resend.StatusCode, Is.EqualTo(HttpStatusCode.OK), "Stripe must stop resending");
            Assert.That(await ReadAsync(resend), Does.Contain("duplicate"));
            Assert.That(Stripe.RequestCount, Is.EqualTo(requests), "no Stripe call");
            Assert.That(Stripe.GetMeterTotal(ApiCallsEvent, customer), Is.EqualTo(3));
            Assert.That((await LedgerAsync(app, "acct_1")).PendingQuantity, Is.EqualTo(4), "the later usage waits for the regular runs");
        });
    }

    [TestCase("manual")]
    [TestCase("subscription_create")]
    [TestCase("subscription_update")]
    public async Task MapStripeUsageWebhook_InvoiceCreatedForAnotherBillingReason_IsAnsweredAndIgnored(string billingReason)
    {
        var app = await StartHostAsync();
        var customer = Stripe.AddCustomer("cus_reason");
        await MapAsync(app, "acct_1", customer);
        await IncrementAsync(app, "acct_1", 3);

        using var response = await PostSignedAsync(app, StripeEvents.InvoiceCreated("evt_reason_" + billingReason, customer, billingReason));
        await Task.Delay(300);

        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await ReadAsync(response), Does.Contain("ignored"));
            Assert.That(Stripe.RequestCount, Is.Zero);
            Assert.That((await LedgerAsync(app, "acct_1")).PendingQuantity, Is.EqualTo(3));
        });
    }

    [TestCase("""{"id":"evt_odd_1","object":"event","type":"invoice.created","data":{"object":"not an invoice"}}""")]
    [TestCase("""{"id":"evt_odd_2","object":"event","type":"invoice.created","data":{"object":{"object":"customer","id":"cus_1"}}}""")]
    [TestCase("""{"id":"evt_odd_3","object":"event","type":"invoice.created"}""")]
    public async Task MapStripeUsageWebhook_SignedInvoiceCreatedWithoutAnInvoice_IsAnsweredAndIgnored(string body)
    {
        var app = await StartHostAsync();

        using var response = await PostSignedAsync(app, body);

        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await ReadAsync(response), Does.Contain("ignored"));
        });
    }

    [Test]
    public async Task MapStripeUsageWebhook_CustomerWithNoAccount_IsAnsweredAndLogged()
    {
        var app = await StartHostAsync();
        var customer = Stripe.AddCustomer("cus_nobody");

        using var response = await PostSignedAsync(app, StripeEvents.InvoiceCreated("evt_nobody", customer));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        await Poll.UntilAsync(() => Task.FromResult(Logs.Lines.Any(l => l.Contains("no account is mapped", StringComparison.Ordinal))), () => "no log line about the customer without accounts");
        Assert.That(Stripe.RequestCount, Is.Zero);
    }
}
