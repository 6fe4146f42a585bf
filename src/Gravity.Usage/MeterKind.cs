namespace Gravity.Usage;

/// <summary>What a meter counts, and so how its usage is stored, read and billed (see the README's "Meter kinds").</summary>
public enum MeterKind
{
    /// <summary>A running total: <see cref="UsageMeter.IncrementAsync"/> adds to it; a period bills the sum. Billed through a Stripe <c>sum</c> meter.</summary>
    Sum = 0,

    /// <summary>
    /// A gauge (seats, storage): <see cref="UsageMeter.SetAsync"/> records readings; a period bills its latest reading
    /// (by timestamp; of two readings with the same timestamp, the one recorded later). Billed through a Stripe <c>last</c> meter.
    /// </summary>
    Last = 1,

    /// <summary>
    /// A peak (concurrency): <see cref="UsageMeter.SetAsync"/> records readings; a period bills its highest reading.
    /// Billed through a Stripe <c>last</c> meter that is sent the running maximum of the billing period.
    /// </summary>
    Max = 2,

    /// <summary>
    /// A value that holds until it changes (a plan's included seats): <see cref="UsageMeter.SetAsync"/> records
    /// readings; a period bills the latest reading recorded at any time before the period ends, carried over periods.
    /// Billed through a Stripe <c>last</c> meter that is sent the value again at the start of each billing period.
    /// </summary>
    LastEver = 3,
}
