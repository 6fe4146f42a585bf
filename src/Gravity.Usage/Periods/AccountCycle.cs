namespace Gravity.Usage;

/// <summary>
/// An account's billing cycle as the meter caches it, with the period its increments last fell in: while they stay in
/// that period (nearly always), cutting a bucket at the period's start costs two comparisons instead of a calendar
/// computation.
/// </summary>
internal sealed class AccountCycle(BillingCycle cycle)
{
    /// <summary>The period last found; replaced whole (a reference write), so concurrent increments never see half of one.</summary>
    private PeriodTicks? _current;

    public BillingCycle Cycle { get; } = cycle;

    /// <summary>The start of the bucket <paramref name="instant"/> falls in (<see cref="PeriodBuckets.StartOf(DateTimeOffset, long, BillingCycle?)"/>).</summary>
    public DateTimeOffset BucketStart(DateTimeOffset instant, long bucketTicks)
    {
        var ticks = instant.UtcTicks;
        var period = _current;
        if (period is null || ticks < period.Start || ticks >= period.End)
        {
            var found = Cycle.PeriodContaining(instant);
            _current = period = new PeriodTicks(found.Start.UtcTicks, found.End.UtcTicks);
        }

        return PeriodBuckets.StartOf(ticks, bucketTicks, period.Start);
    }

    private sealed record PeriodTicks(long Start, long End);
}
