namespace Gravity.Usage;

/// <summary>The usage of one meter in one time bucket, for charts.</summary>
/// <param name="BucketStart">The start of the bucket (UTC).</param>
/// <param name="Quantity">Everything counted in the bucket.</param>
/// <param name="ReportedQuantity">The part of <paramref name="Quantity"/> already moved into usage reports.</param>
public readonly record struct UsageBucket(DateTimeOffset BucketStart, long Quantity, long ReportedQuantity);
