using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Gravity.Usage.Tests.Telemetry;

/// <summary>OpenTelemetry, told only the names in <see cref="UsageTelemetry"/>, exports the library's metrics and spans.</summary>
public sealed class OpenTelemetryExportTests
{
    [Test]
    public async Task AddMeterAndAddSource_ByTheLibrarysNames_ExportItsMetricsAndSpans()
    {
        var metrics = new List<Metric>();
        var spans = new List<Activity>();
        using var meterProvider = Sdk.CreateMeterProviderBuilder().AddMeter(UsageTelemetry.MeterName).AddInMemoryExporter(metrics).Build();
        using var tracerProvider = Sdk.CreateTracerProviderBuilder().AddSource(UsageTelemetry.ActivitySourceName).AddInMemoryExporter(spans).Build();
        var store = new GateStore();
        store.Open();

        // No meter factory: the static meter, as a host that builds the meter by hand gets.
        await using (var meter = UsageMeterTests.CreateMeter(store))
        {
            await meter.IncrementAsync("acct_otel", meter: "api_calls");
        }

        // Read before the providers are disposed: the exporter hands over live metric objects, and disposal exports again.
        meterProvider.ForceFlush();
        tracerProvider.ForceFlush();
        var increments = metrics.First(m => m.Name == "gravity.usage.increments");
        var points = new List<(string? Meter, string? Outcome, long Sum)>();
        foreach (ref readonly var point in increments.GetMetricPoints())
        {
            string? meterTag = null, outcome = null;
            foreach (var tag in point.Tags)
            {
                meterTag = tag.Key == "gravity.usage.meter" ? tag.Value as string : meterTag;
                outcome = tag.Key == "gravity.usage.outcome" ? tag.Value as string : outcome;
            }

            points.Add((meterTag, outcome, point.GetSumLong()));
        }

        Assert.Multiple(() =>
        {
            Assert.That(increments.MeterName, Is.EqualTo("Gravity.Usage"));
            Assert.That(increments.Unit, Is.EqualTo("{increment}"));
            Assert.That(points, Does.Contain(("api_calls", "recorded", 1L)));
            Assert.That(metrics.Select(m => m.Name), Is.SupersetOf(new[] { "gravity.usage.commit.batch_size", "gravity.usage.commit.duration", "gravity.usage.queue.depth" }));
            Assert.That(spans.Select(s => s.OperationName), Does.Contain("usage.group_commit"));
        });
    }
}
