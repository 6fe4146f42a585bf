namespace Gravity.Usage;

/// <summary>
/// Buckets cut at billing period boundaries: the one rule for where a bucket starts and ends, shared by the meter, the
/// reporter and the stores, so that no bucket spans two periods and every event (stamped at its bucket's start) lies
/// inside the period its usage belongs to.
/// </summary>
/// <remarks>
/// A store needs it where it decides the plan itself (<see cref="ReportClosing.ApplyStoredPlan"/>): the end of a
/// closed bucket, cut at the stored billing cycle's boundary, decides whether it is billed (<see cref="BillingPlan.SkipReason"/>).
/// </remarks>
public static class PeriodBuckets
{
    /// <summary>
    /// The start of the bucket an instant falls in: the instant aligned down to the bucket size, or the start of its
    /// billing period when that is later (the period began inside the aligned bucket).
    /// </summary>
    internal static DateTimeOffset StartOf(DateTimeOffset instant, long bucketTicks, BillingCycle? cycle) =>
        cycle is null
            ? StartOf(instant.UtcTicks, bucketTicks, periodStartTicks: long.MinValue)
            : StartOf(instant.UtcTicks, bucketTicks, cycle.PeriodContaining(instant).Start.UtcTicks);

    /// <summary>The same rule, given the start of the period that holds the instant (UTC ticks).</summary>
    internal static DateTimeOffset StartOf(long instantTicks, long bucketTicks, long periodStartTicks) =>
        new(Math.Max(instantTicks - (instantTicks % bucketTicks), periodStartTicks), TimeSpan.Zero);

    /// <summary>The end of the bucket that starts at <paramref name="bucketStart"/>: the aligned end, or the next period boundary when that is earlier.</summary>
    /// <param name="bucketStart">The bucket's start.</param>
    /// <param name="bucketSize">The meter's bucket size (<see cref="UsageBillingOptions.BucketSize"/>).</param>
    /// <param name="cycle">The account's billing cycle, or <see langword="null"/> for none (buckets then end where they align).</param>
    /// <returns>The bucket's end.</returns>
    public static DateTimeOffset EndOf(DateTimeOffset bucketStart, TimeSpan bucketSize, BillingCycle? cycle)
    {
        var ticks = bucketStart.UtcTicks;
        return ClampToPeriod(bucketStart, new DateTimeOffset(ticks - (ticks % bucketSize.Ticks) + bucketSize.Ticks, TimeSpan.Zero), cycle);
    }

    /// <summary><paramref name="end"/>, or the next period boundary after <paramref name="bucketStart"/> when that is earlier.</summary>
    /// <param name="bucketStart">The bucket's start.</param>
    /// <param name="end">The bucket's aligned end (<see cref="ReportClosing.BucketEnd"/> of a closing with <see cref="ReportClosing.ApplyStoredPlan"/>).</param>
    /// <param name="cycle">The account's billing cycle, or <see langword="null"/> for none.</param>
    /// <returns>The bucket's end.</returns>
    public static DateTimeOffset ClampToPeriod(DateTimeOffset bucketStart, DateTimeOffset end, BillingCycle? cycle)
    {
        if (cycle is not null)
        {
            var nextBoundary = cycle.PeriodContaining(bucketStart).End;
            if (nextBoundary < end)
            {
                return nextBoundary;
            }
        }

        return end;
    }
}
