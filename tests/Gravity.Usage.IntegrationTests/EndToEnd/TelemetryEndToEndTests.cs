using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Gravity.Usage.Stripe;
using Gravity.Usage.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Gravity.Usage.IntegrationTests.EndToEnd;

/// <summary>A host with DI metrics reports through the stand-in: one trace per run, and the key in no tag.</summary>
public sealed class TelemetryEndToEndTests : EndToEndTest
{
    private const string StreamPath = "/v2/billing/meter_event_stream";

    [TestCase(StripeUsageApi.MeterEvents, "meter_events")]
    [TestCase(StripeUsageApi.MeterEventStream, "meter_event_stream")]
    public async Task ReportAsync_TracesRunBatchesAndStripeCalls_AndNoTagHoldsTheKey(StripeUsageApi api, string apiTag)
    {
        await StartStripeAsync();
        Stripe.AddMeter(ApiCallsEvent);
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == UsageTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var provider = BuildProvider(
            stripe: o =>
            {
                o.Api = api;
                o.MaxNetworkRetries = 0;
            },
            billing: u => u.Services.AddMetrics());
        var meterFactory = provider.GetRequiredService<IMeterFactory>();
        using var durations = new MetricCollector<double>(meterFactory, UsageTelemetry.MeterName, "gravity.usage.stripe.request.duration");
        using var increments = new MetricCollector<long>(meterFactory, UsageTelemetry.MeterName, "gravity.usage.increments");
        for (var i = 0; i < 3; i++)
        {
            await MapAsync(provider, $"acct_{i}", Stripe.AddCustomer());
            await RecordAsync(provider, $"acct_{i}", ApiCalls, 5, HoursBeforeStart(1));
        }

        // One refused request, so that an answer carrying Stripe's error is traced too.
        var path = api == StripeUsageApi.MeterEventStream ? StreamPath : MeterEventsPath;
        Stripe.Faults.FailNext("POST", path, StripeFault.ServerError(500), 1);
        var runs = await RunUntilSettledAsync(provider);

        var runSpans = spans.Where(s => s.OperationName == "usage.report_run").ToList();
        var batches = spans.Where(s => s.OperationName == "usage.delivery_batch").ToList();
        var calls = spans.Where(s => s.OperationName == "usage.stripe_request" && (string?)s.GetTagItem("gravity.usage.stripe.api") == apiTag).ToList();
        var tagValues = spans.SelectMany(s => s.TagObjects).Select(t => t.Value?.ToString() ?? string.Empty)
            .Concat(durations.GetMeasurementSnapshot().SelectMany(m => m.Tags).Select(t => t.Value?.ToString() ?? string.Empty))
            .Concat(increments.GetMeasurementSnapshot().SelectMany(m => m.Tags).Select(t => t.Value?.ToString() ?? string.Empty))
            .ToList();
        Assert.Multiple(() =>
        {
            Assert.That(runs.Sum(r => r.Sent), Is.EqualTo(3));
            Assert.That(runSpans.Select(s => s.GetTagItem("gravity.usage.reports.sent")), Is.EqualTo(runs.Select(r => (object)r.Sent)));
            Assert.That(runSpans.Select(s => s.GetTagItem("gravity.usage.reports.retried")), Is.EqualTo(runs.Select(r => (object)r.WaitingForRetry)));
            Assert.That(runSpans.Select(s => s.TraceId).Distinct().Count(), Is.EqualTo(runSpans.Count), "one trace per run");
            Assert.That(batches.Select(b => (object)b.ParentSpanId), Is.All.AnyOf(runSpans.Select(r => (object)r.SpanId).ToArray()));
            Assert.That(calls.Select(c => (object)c.ParentSpanId), Is.All.AnyOf(batches.Select(b => (object)b.SpanId).ToArray()));
            Assert.That(calls.Select(c => c.GetTagItem("gravity.usage.stripe.outcome")), Does.Contain("transient").And.Contain("delivered"));
            Assert.That(calls.Where(c => (string?)c.GetTagItem("gravity.usage.stripe.outcome") == "delivered").Select(c => c.GetTagItem("gravity.usage.stripe.request_id")), Is.All.Not.Null);
            Assert.That(durations.GetMeasurementSnapshot().Select(m => m.Tags["gravity.usage.stripe.api"]), Does.Contain(apiTag));
            Assert.That(increments.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(3));
            Assert.That(tagValues, Has.Count.GreaterThan(20));
            Assert.That(tagValues, Has.None.Contains(ApiKey));
        });
    }
}
