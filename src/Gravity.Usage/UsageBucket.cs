namespace Gravity.Usage;

/// <summary>The usage of one meter in one time bucket, for charts.</summary>
/// <param name="BucketStart">The start of the bucket (UTC).</param>
/// <param name="Quantity">
/// Everything counted in the bucket; for a gauge, the bucket's value: its latest reading (<see cref="MeterKind.Last"/>,
/// <see cref="MeterKind.LastEver"/>) or its highest (<see cref="MeterKind.Max"/>).
/// </param>
/// <param name="ReportedQuantity">
/// The part of <paramref name="Quantity"/> already moved into usage reports; for a gauge, all of it once the bucket's
/// value was taken into a report of its billing period, else 0.
/// </param>
public readonly record struct UsageBucket(DateTimeOffset BucketStart, long Quantity, long ReportedQuantity);
