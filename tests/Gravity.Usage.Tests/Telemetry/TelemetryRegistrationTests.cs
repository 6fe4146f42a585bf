using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Gravity.Usage.Tests.Telemetry;

public sealed class TelemetryRegistrationTests
{
    [Test]
    public async Task AddUsageBilling_WithMetrics_RecordsOnTheContainersMeterFactory()
    {
        var store = new GateStore();
        store.Open();
        var services = new ServiceCollection()
            .AddMetrics()
            .AddUsageBilling(usage => usage.UseStore(_ => store));
        await using var provider = services.BuildServiceProvider();
        using var increments = new MetricCollector<long>(provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), UsageTelemetry.MeterName, "gravity.usage.increments");

        await provider.GetRequiredService<UsageMeter>().IncrementAsync("acct");

        Assert.That(increments.GetMeasurementSnapshot().Select(m => m.Value), Is.EqualTo(new[] { 1L }));
    }

    [Test]
    public void Names_OfMeterAndActivitySource_AreTheOnesOpenTelemetryIsToldToListenTo()
    {
        Assert.Multiple(() =>
        {
            Assert.That(UsageTelemetry.MeterName, Is.EqualTo("Gravity.Usage"));
            Assert.That(UsageTelemetry.ActivitySourceName, Is.EqualTo("Gravity.Usage"));
        });
    }
}
