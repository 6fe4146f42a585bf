using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Gravity.Usage.Tests.Telemetry;

/// <summary>
/// A container's own <see cref="IMeterFactory"/> (as a host's DI has one) and collectors of the <c>Gravity.Usage</c>
/// instruments created through it, so a test sees only its own measurements whatever else runs.
/// </summary>
internal sealed class TelemetryScope : IDisposable
{
    private readonly ServiceProvider _services;
    private readonly List<IDisposable> _collectors = [];

    public TelemetryScope()
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        MeterFactory = _services.GetRequiredService<IMeterFactory>();
    }

    public IMeterFactory MeterFactory { get; }

    /// <summary>Collects <paramref name="instrument"/> of this container's <c>Gravity.Usage</c> meter.</summary>
    public MetricCollector<T> Collect<T>(string instrument)
        where T : struct
    {
        var collector = new MetricCollector<T>(MeterFactory, UsageTelemetry.MeterName, instrument);
        _collectors.Add(collector);
        return collector;
    }

    public void Dispose()
    {
        foreach (var collector in _collectors)
        {
            collector.Dispose();
        }

        _services.Dispose();
    }
}
