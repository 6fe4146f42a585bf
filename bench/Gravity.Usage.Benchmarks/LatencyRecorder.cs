using System.Diagnostics;

namespace Gravity.Usage.Benchmarks;

/// <summary>
/// The latencies one caller observed, in <see cref="Stopwatch"/> ticks. One recorder per caller, so recording takes
/// no lock; the recorders of a round are merged once it is over.
/// </summary>
internal sealed class LatencyRecorder
{
    private readonly List<long> _samples = new(4_096);

    public int Count => _samples.Count;

    public void Record(long elapsedTicks) => _samples.Add(elapsedTicks);

    /// <summary>Merges the recorders and reads percentiles off the sorted samples (nearest rank).</summary>
    public static LatencySummary Summarize(IEnumerable<LatencyRecorder> recorders)
    {
        var all = new List<long>();
        foreach (var recorder in recorders)
        {
            all.AddRange(recorder._samples);
        }

        if (all.Count == 0)
        {
            return new LatencySummary(0, double.NaN, double.NaN, double.NaN);
        }

        all.Sort();
        return new LatencySummary(all.Count, ToMicros(Percentile(all, 0.50)), ToMicros(Percentile(all, 0.99)), ToMicros(all[^1]));
    }

    public static double ToMicros(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;

    private static long Percentile(List<long> sorted, double fraction)
    {
        var rank = (int)Math.Ceiling(fraction * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }
}

/// <summary>Latency percentiles of a round, in microseconds.</summary>
internal readonly record struct LatencySummary(int Count, double P50Micros, double P99Micros, double MaxMicros);
