using System.Diagnostics;
using Gravity.Usage.Internal;

namespace Gravity.Usage.Benchmarks;

/// <summary>
/// Delegates everything to the real store and counts the batches (commits) that complete inside the measurement
/// window, with their size and duration: that shows how many increments share one fsync.
/// </summary>
internal sealed class CountingUsageStore(IUsageStore inner) : IUsageStore, IIdempotencyKeySweeper
{
    private long _batches;
    private long _increments;
    private long _writeTicks;

    /// <summary>Gets or sets the window; set it before the first increment. Batches completing outside it are not counted.</summary>
    public MeasurementWindow Window { get; set; }

    public long Batches => Interlocked.Read(ref _batches);

    public long Increments => Interlocked.Read(ref _increments);

    public long WriteTicks => Interlocked.Read(ref _writeTicks);

    public async Task<IReadOnlyList<UsageWriteStatus>> WriteAsync(IReadOnlyList<UsageIncrement> increments, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var statuses = await inner.WriteAsync(increments, cancellationToken);
        var finished = Stopwatch.GetTimestamp();
        if (Window.Contains(finished))
        {
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _increments, increments.Count);
            Interlocked.Add(ref _writeTicks, finished - started);
        }

        return statuses;
    }

    public Task EnsureSchemaAsync(CancellationToken cancellationToken = default) => inner.EnsureSchemaAsync(cancellationToken);

    public Task<IReadOnlyList<MeterUsage>> GetTotalsAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string? meter, CancellationToken cancellationToken = default) =>
        inner.GetTotalsAsync(account, periodStart, periodEnd, meter, cancellationToken);

    public Task<IReadOnlyList<UsageBucket>> GetSeriesAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string meter, CancellationToken cancellationToken = default) =>
        inner.GetSeriesAsync(account, periodStart, periodEnd, meter, cancellationToken);

    public Task<int> PruneIdempotencyKeysAsync(DateTimeOffset recordedBefore, int maxKeys, CancellationToken cancellationToken = default) =>
        inner.PruneIdempotencyKeysAsync(recordedBefore, maxKeys, cancellationToken);

    /// <summary>Passes the meter's bounded sweep steps on, so that a wrapped SQLite store is pruned as the meter would prune it.</summary>
    public async Task<(int Deleted, bool PassComplete)> SweepExpiredKeysAsync(DateTimeOffset recordedBefore, int maxKeys, CancellationToken cancellationToken)
    {
        if (inner is IIdempotencyKeySweeper sweeper)
        {
            return await sweeper.SweepExpiredKeysAsync(recordedBefore, maxKeys, cancellationToken);
        }

        var deleted = await inner.PruneIdempotencyKeysAsync(recordedBefore, maxKeys, cancellationToken);
        return (deleted, deleted < maxKeys);
    }
}

/// <summary>The measured part of a round, in <see cref="Stopwatch"/> timestamps: (Start, End].</summary>
internal readonly record struct MeasurementWindow(long Start, long End)
{
    public TimeSpan Length => Stopwatch.GetElapsedTime(Start, End);

    public bool Contains(long timestamp) => timestamp > Start && timestamp <= End;

    /// <summary>A window that opens after the warm-up, counted from now.</summary>
    public static MeasurementWindow StartingAfter(TimeSpan warmup, TimeSpan measured)
    {
        var start = Stopwatch.GetTimestamp() + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        return new MeasurementWindow(start, start + (long)(measured.TotalSeconds * Stopwatch.Frequency));
    }
}
