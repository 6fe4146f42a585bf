namespace Gravity.Usage;

/// <summary>One validated increment, or gauge reading, on its way to an <see cref="IUsageStore"/>.</summary>
/// <param name="Account">The host application's customer id.</param>
/// <param name="Meter">The declared meter that is counted.</param>
/// <param name="BucketStart">The start of the time bucket the increment falls in (UTC, aligned to the bucket size).</param>
/// <param name="Quantity">
/// How much is added (at least 1); for a gauge reading (<paramref name="Kind"/> other than <see cref="MeterKind.Sum"/>),
/// the value read (0 or more).
/// </param>
/// <param name="IdempotencyKey">
/// An optional key that makes the increment count once per (account, meter) however often it is repeated.
/// </param>
/// <param name="RecordedAt">When the increment was accepted; idempotency keys expire relative to it.</param>
/// <param name="Kind">
/// <see cref="MeterKind.Sum"/> for an increment; for a gauge reading, the meter's kind, which decides what its bucket
/// keeps: the latest reading (<see cref="MeterKind.Last"/>, <see cref="MeterKind.LastEver"/>) or the highest (<see cref="MeterKind.Max"/>).
/// </param>
/// <param name="ObservedAt">For a gauge reading, when the value was read (UTC): the latest reading of a bucket is the one read last.</param>
public readonly record struct UsageIncrement(
    string Account,
    string Meter,
    DateTimeOffset BucketStart,
    long Quantity,
    string? IdempotencyKey,
    DateTimeOffset RecordedAt,
    MeterKind Kind = MeterKind.Sum,
    DateTimeOffset ObservedAt = default)
{
    /// <summary>Gets a value indicating whether this is a gauge reading rather than an increment.</summary>
    public bool IsReading => Kind != MeterKind.Sum;
}
