using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Gravity.Usage.IntegrationTests.Reporting;

/// <summary>A reporting run counts its reports on <c>gravity.usage.reports</c> and traces itself and its delivery batches.</summary>
public sealed class ReportingTelemetryTests : ReportingTest
{
    private ServiceProvider _services = null!;

    [SetUp]
    public void CreateMeterFactory()
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    }

    [TearDown]
    public void DisposeMeterFactory() => _services.Dispose();

    /// <summary>Gets the container's meter factory (disposed with it), as a host's DI provides it.</summary>
    private IMeterFactory MeterFactory => _services.GetRequiredService<IMeterFactory>();

    [Test]
    public async Task ReportAsync_ReportsInSeveralStatuses_CountsThemAndTheAgeOfTheOldestClaimed()
    {
        using var reports = new MetricCollector<long>(MeterFactory, UsageTelemetry.MeterName, "gravity.usage.reports");
        using var ages = new MetricCollector<double>(MeterFactory, UsageTelemetry.MeterName, "gravity.usage.report.oldest_age");
        await MapAsync("paid", "cus_paid");
        await MapAsync("flaky", "cus_flaky");
        await MapAsync("refused", "cus_refused");
        await MapAsync("free", "cus_free", billable: false);
        At(TimeSpan.FromMinutes(10));
        foreach (var account in new[] { "paid", "flaky", "refused", "free" })
        {
            await Meter.IncrementAsync(account, 3);
        }

        Sink.ForAccount("flaky", SinkAction.Transient(), times: 1);
        Sink.ForAccount("refused", SinkAction.Permanent());
        var reporter = CreateReporter(meterFactory: MeterFactory);
        At(TimeSpan.FromMinutes(65));
        var first = await reporter.ReportAsync();
        var firstCounts = ByStatus(reports);
        var firstAges = ages.GetMeasurementSnapshot().Select(m => m.Value).ToList();

        At(TimeSpan.FromMinutes(125));
        var second = await reporter.ReportAsync();

        Assert.Multiple(() =>
        {
            Assert.That((first.Closed, first.Skipped, first.Sent, first.WaitingForRetry, first.Failed), Is.EqualTo((4, 1, 1, 1, 1)));
            Assert.That(firstCounts, Is.EqualTo(new Dictionary<string, long>
            {
                ["closed"] = 4,
                ["skipped"] = 1,
                ["sent"] = 1,
                ["retried"] = 1,
                ["failed"] = 1,
            }));
            Assert.That(second.Sent, Is.EqualTo(1));
            Assert.That(ByStatus(reports)["sent"], Is.EqualTo(2));
            Assert.That(firstAges, Is.EqualTo(new[] { 0.0 }), "the first run claimed the reports it had just closed");
            Assert.That(ages.LastMeasurement!.Value, Is.EqualTo(3600.0), "the retried report was closed an hour before the second run");
            Assert.That(reports.Instrument!.Unit, Is.EqualTo("{report}"));
        });
    }

    [Test]
    public async Task ReportAsync_WithAListener_IsASpanWithItsCountsAroundOneSpanPerDeliveryBatch()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == UsageTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await MapAsync("paid", "cus_paid");
        await MapAsync("refused", "cus_refused");
        At(TimeSpan.FromMinutes(10));
        await Meter.IncrementAsync("paid", 3);
        await Meter.IncrementAsync("refused", 3);
        await Meter.IncrementAsync("paid", 1, ApiCalls);
        Sink.ForAccount("refused", SinkAction.Permanent());
        var reporter = CreateReporter(o => o.DeliveryBatchSize = 2, meterFactory: MeterFactory);
        At(TimeSpan.FromMinutes(65));

        await reporter.ReportAsync();

        var run = spans.Single(s => s.OperationName == "usage.report_run");
        var batches = spans.Where(s => s.OperationName == "usage.delivery_batch").ToList();
        Assert.Multiple(() =>
        {
            Assert.That(run.Source.Name, Is.EqualTo(UsageTelemetry.ActivitySourceName));
            Assert.That(run.GetTagItem("gravity.usage.reports.closed"), Is.EqualTo(3));
            Assert.That(run.GetTagItem("gravity.usage.reports.sent"), Is.EqualTo(2));
            Assert.That(run.GetTagItem("gravity.usage.reports.failed"), Is.EqualTo(1));
            Assert.That(run.GetTagItem("gravity.usage.reports.skipped"), Is.EqualTo(0));
            Assert.That(batches.Select(b => b.GetTagItem("gravity.usage.reports.claimed")), Is.EquivalentTo(new object[] { 2, 1 }));
            Assert.That(batches.Select(b => b.ParentSpanId), Is.All.EqualTo(run.SpanId));
        });
    }

    private static Dictionary<string, long> ByStatus(MetricCollector<long> reports) =>
        reports.GetMeasurementSnapshot()
            .GroupBy(m => (string)m.Tags["gravity.usage.report.status"]!)
            .ToDictionary(g => g.Key, g => g.Sum(m => m.Value));
}
