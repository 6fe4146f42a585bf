using Gravity.Usage.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Gravity.Usage.IntegrationTests.EndToEnd;

/// <summary>
/// Stripe stores a server error its endpoint produced under the Idempotency-Key and replays it for 24 hours. A meter
/// event is then retried under a fresh key (its identifier still de-duplicates), instead of waiting until it can only
/// be parked as unknown.
/// </summary>
public sealed class StoredServerErrorEndToEndTests : EndToEndTest
{
    [Test]
    public async Task ReportAsync_StripeReplaysAStoredServerError_NextRunUsesAFreshKeyAndDelivers()
    {
        await StartStripeAsync();
        Stripe.AddMeter(ApiCallsEvent);
        var provider = BuildProvider(stripe: o => o.MaxNetworkRetries = 1);
        var reporter = provider.GetRequiredService<IUsageReporter>();
        var customer = Stripe.AddCustomer();
        await MapAsync(provider, "acct", customer);
        await RecordAsync(provider, "acct", ApiCalls, 9, HoursBeforeStart(1));
        Stripe.Faults.FailNext("POST", MeterEventsPath, StripeFault.ServerError(500), 1, FaultTiming.DuringProcessing);

        var first = await reporter.ReportAsync();
        var pending = (await ReportsAsync(provider)).Single();
        Clock.Advance(pending.NextAttemptAt - Clock.GetUtcNow());
        var second = await reporter.ReportAsync();

        var report = (await ReportsAsync(provider)).Single();
        var keys = MeterEventRequests().Select(r => r.IdempotencyKey).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(first.WaitingForRetry, Is.EqualTo(1));
            Assert.That(MeterEventRequests().Take(2).Select(r => r.IsReplay), Is.EqualTo(new[] { false, true }), "the in-request retry got the stored error replayed");
            Assert.That(second.Sent, Is.EqualTo(1));
            Assert.That(report.Status, Is.EqualTo(UsageReportStatus.Sent));
            Assert.That(keys, Is.EqualTo(new[] { report.Identifier, report.Identifier, report.Identifier + "-r1" }));
            Assert.That(Stripe.CountAcceptedIdentifier(report.Identifier), Is.EqualTo(1));
            Assert.That(Stripe.GetMeterTotal(ApiCallsEvent, customer), Is.EqualTo(9));
        });
    }
}
