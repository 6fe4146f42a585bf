using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gravity.Usage.IntegrationTests.EndToEnd;

/// <summary>Usage that arrives late: into a bucket already reported, or older than Stripe accepts (DESIGN §5).</summary>
public sealed class LateUsageEndToEndTests : EndToEndTest
{
    [Test]
    public async Task ReportAsync_IncrementsIntoAnAlreadyReportedBucket_SendADeltaReportAndLeaveTheFirstUnchanged()
    {
        await StartStripeAsync();
        Stripe.AddMeter(ApiCallsEvent);
        var customer = Stripe.AddCustomer();
        var provider = BuildProvider();
        var reporter = provider.GetRequiredService<IUsageReporter>();
        await MapAsync(provider, "acct", customer);
        var bucket = HoursBeforeStart(3);
        await RecordAsync(provider, "acct", ApiCalls, 40, bucket.AddMinutes(10));
        await reporter.ReportAsync();
        var first = (await ReportsAsync(provider)).Single();

        Clock.Advance(TimeSpan.FromMinutes(20));
        await RecordAsync(provider, "acct", ApiCalls, 2, bucket.AddMinutes(50));
        await RecordAsync(provider, "acct", ApiCalls, 3, bucket.AddMinutes(59));
        var late = await reporter.ReportAsync();

        var reports = await ReportsAsync(provider);
        var events = Stripe.MeterEvents.Where(e => e.CustomerId == customer).ToList();
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(first.Status, Is.EqualTo(UsageReportStatus.Sent));
            Assert.That(late.Closed, Is.EqualTo(1));
            Assert.That(late.Sent, Is.EqualTo(1));
            Assert.That(reports, Has.Count.EqualTo(2));
            Assert.That(reports[0], Is.EqualTo(first), "the first report is never rewritten");
            Assert.That(reports[1].Identifier, Is.Not.EqualTo(first.Identifier), "a further report, with its own identifier");
            Assert.That(reports[1].BucketStart, Is.EqualTo(bucket));
            Assert.That(reports[1].Quantity, Is.EqualTo(5), "only the delta");
            Assert.That(reports[1].Status, Is.EqualTo(UsageReportStatus.Sent));
            Assert.That(events.Select(e => (e.Identifier, e.Value, e.Timestamp)), Is.EqualTo(new[] { (first.Identifier, 40m, bucket), (reports[1].Identifier, 5m, bucket) }));
            Assert.That(Stripe.GetMeterTotal(ApiCallsEvent, customer), Is.EqualTo(await LocalTotalAsync(provider, "acct", ApiCalls)).And.EqualTo(45));
        });
    }

    [Test]
    public async Task ReportAsync_UsageOlderThanStripeAccepts_IsParkedAsFailedWithTheReasonAndNothingIsSent()
    {
        await StartStripeAsync();
        Stripe.AddMeter(ApiCallsEvent);
        var customer = Stripe.AddCustomer();
        var provider = BuildProvider();
        var reporter = provider.GetRequiredService<IUsageReporter>();
        await MapAsync(provider, "acct", customer);
        await RecordAsync(provider, "acct", ApiCalls, 17, HoursBeforeStart(1));

        // The reporter did not run for 36 days (an outage, a stopped schedule).
        Clock.Advance(TimeSpan.FromDays(36));
        var run = await reporter.ReportAsync();

        var report = (await ReportsAsync(provider)).Single();
        Assert.Multiple(() =>
        {
            Assert.That(run.Closed, Is.EqualTo(1));
            Assert.That(run.Failed, Is.EqualTo(1));
            Assert.That(run.Failures.Select(r => r.Id), Is.EqualTo(new[] { report.Id }));
            Assert.That(report.Status, Is.EqualTo(UsageReportStatus.Failed), "parked, not dropped");
            Assert.That(report.Quantity, Is.EqualTo(17));
            Assert.That(report.LastError, Does.Contain("35 days"));
            Assert.That(run.Failures[0].LastError, Is.EqualTo(report.LastError));
            Assert.That(Logs.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => e.Message), Has.Some.Contains(report.Identifier).And.Some.Contains("35 days"), "and logged");
            Assert.That(Stripe.RequestCount, Is.Zero, "no request is sent for it");
        });

        // Later runs do not drop it or send it either; it stays visible until the host bills it by other means.
        Clock.Advance(TimeSpan.FromHours(2));
        var later = await reporter.ReportAsync();
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(later.Failed + later.Sent, Is.Zero);
            Assert.That((await ReportsAsync(provider, UsageReportStatus.Failed)).Select(r => r.Id), Is.EqualTo(new[] { report.Id }));
            Assert.That(Stripe.RequestCount, Is.Zero);
        });
    }
}
