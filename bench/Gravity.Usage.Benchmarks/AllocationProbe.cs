using System.Diagnostics;

namespace Gravity.Usage.Benchmarks;

/// <summary>Bytes the whole process allocates inside a measurement window: the cost of the write path in garbage.</summary>
internal static class AllocationProbe
{
    /// <summary>Waits for the window to open, then to close, and returns what was allocated in between.</summary>
    public static async Task<long> MeasureAsync(MeasurementWindow window)
    {
        await DelayUntilAsync(window.Start);
        var before = GC.GetTotalAllocatedBytes(precise: false);
        await DelayUntilAsync(window.End);
        return GC.GetTotalAllocatedBytes(precise: false) - before;
    }

    private static async Task DelayUntilAsync(long timestamp)
    {
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }
    }
}
