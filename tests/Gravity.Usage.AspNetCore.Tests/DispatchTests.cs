using System.Net;
using Gravity.Usage.AspNetCore.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Gravity.Usage.AspNetCore.Tests;

/// <summary>Events are dispatched by type: unknown types are acknowledged and ignored; a full queue asks Stripe to resend.</summary>
public sealed class DispatchTests : WebhookTest
{
    [TestCase("customer.created")]
    [TestCase("invoice.finalized")]
    [TestCase("invoice.upcoming")]
    public async Task UnknownEventType_Is200_AndIgnored(string type)
    {
        var app = await StartHostAsync();
        var customer = Stripe.AddCustomer("cus_unknown");
        await MapAsync(app, "acct_1", customer);
        await IncrementAsync(app, "acct_1", 2);

        using var response = await PostSignedAsync(app, StripeEvents.OfType("evt_unknown", type));
        await Task.Delay(200);

        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await ReadAsync(response), Does.Contain("ignored"));
            Assert.That(Stripe.RequestCount, Is.Zero);
            Assert.That((await LedgerAsync(app, "acct_1")).PendingQuantity, Is.EqualTo(2));
        });
    }

    [Test]
    public async Task MeterErrorReport_ThinEventStripeDoesNotKnow_IsAcknowledgedAndLogged()
    {
        var app = await StartHostAsync();

        using var response = await PostSignedAsync(app, StripeEvents.MeterErrorReport("evt_meter_error"));

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(Logs.Lines, Has.Some.Contains("v1.billing.meter.error_report_triggered"));
        });
    }

    [Test]
    public async Task MapStripeUsageWebhook_SlowFlush_AnswersWithoutWaitingForIt()
    {
        var lookup = new GatedCustomerAccounts();
        var app = await StartHostAsync(configureServices: s => s.AddSingleton<IStripeCustomerAccounts>(lookup));
        var customer = Stripe.AddCustomer("cus_fast");
        await MapAsync(app, "acct_1", customer);
        await IncrementAsync(app, "acct_1", 2);

        using var response = await PostSignedAsync(app, StripeEvents.InvoiceCreated("evt_fast", customer));

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(lookup.Calls, Is.Zero, "answered while the flush has not run");
            Assert.That(Stripe.RequestCount, Is.Zero);
        });
        lookup.Release.SetResult();
        await Poll.UntilAsync(() => Task.FromResult(Stripe.GetMeterTotal(ApiCallsEvent, customer) == 2), () => "the flush did not run once released");
    }

    [Test]
    public async Task FullQueue_Is503_AndTheEventIsTakenWhenResent()
    {
        var lookup = new GatedCustomerAccounts();
        var app = await StartHostAsync(
            webhook: o => o.QueueCapacity = 1,
            configureServices: s => s.AddSingleton<IStripeCustomerAccounts>(lookup));
        var customer = Stripe.AddCustomer("cus_busy");
        await MapAsync(app, "acct_1", customer);
        await IncrementAsync(app, "acct_1", 6);

        using (var first = await PostSignedAsync(app, StripeEvents.InvoiceCreated("evt_busy_1", customer)))
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        await lookup.Entered.Task.WaitAsync(Poll.HangGuard); // the worker holds the first flush
        using (var second = await PostSignedAsync(app, StripeEvents.InvoiceCreated("evt_busy_2", customer)))
        {
            Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the one queue slot");
        }

        using var third = await PostSignedAsync(app, StripeEvents.InvoiceCreated("evt_busy_3", customer));
        Assert.Multiple(() =>
        {
            Assert.That(third.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(third.Headers.RetryAfter, Is.Not.Null);
        });

        lookup.Release.SetResult();
        await Poll.UntilAsync(() => Task.FromResult(lookup.Calls == 2), () => "the queued flushes did not run");
        using var resent = await PostSignedAsync(app, StripeEvents.InvoiceCreated("evt_busy_3", customer));
        Assert.That(await ReadAsync(resent), Does.Contain("accepted"), "a 503 does not remember the event id");
        await Poll.UntilAsync(() => Task.FromResult(lookup.Calls == 3), () => $"{lookup.Calls} flushes ran, expected 3");
        Assert.That(Stripe.GetMeterTotal(ApiCallsEvent, customer), Is.EqualTo(6), "three flushes of the same usage bill it once");
    }

    /// <summary>The host's lookup, holding the first flush until released.</summary>
    private sealed class GatedCustomerAccounts : IStripeCustomerAccounts
    {
        private int _calls;

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Calls => Volatile.Read(ref _calls);

        public async Task<IReadOnlyList<string>> FindAccountsAsync(string stripeCustomerId, CancellationToken cancellationToken = default)
        {
            Entered.TrySetResult();
            await Release.Task.WaitAsync(cancellationToken);
            Interlocked.Increment(ref _calls);
            return ["acct_1"];
        }
    }
}
