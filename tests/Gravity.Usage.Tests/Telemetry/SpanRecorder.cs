using System.Collections.Concurrent;
using System.Diagnostics;

namespace Gravity.Usage.Tests.Telemetry;

/// <summary>Records every span of the <c>Gravity.Usage</c> activity source that ends while it listens.</summary>
internal sealed class SpanRecorder : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly ConcurrentQueue<Activity> _spans = new();

    public SpanRecorder()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == UsageTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _spans.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public IReadOnlyList<Activity> Spans => [.. _spans];

    public IReadOnlyList<Activity> Named(string name) => Spans.Where(s => s.OperationName == name).ToList();

    public void Dispose() => _listener.Dispose();
}
