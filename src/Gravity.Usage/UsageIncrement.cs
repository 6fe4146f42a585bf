namespace Gravity.Usage;

/// <summary>One validated increment on its way to an <see cref="IUsageStore"/>.</summary>
/// <param name="Account">The host application's customer id.</param>
/// <param name="Meter">The declared meter that is counted.</param>
/// <param name="BucketStart">The start of the time bucket the increment falls in (UTC, aligned to the bucket size).</param>
/// <param name="Quantity">How much is added; at least 1.</param>
/// <param name="IdempotencyKey">
/// An optional key that makes the increment count once per (account, meter) however often it is repeated.
/// </param>
/// <param name="RecordedAt">When the increment was accepted; idempotency keys expire relative to it.</param>
public readonly record struct UsageIncrement(
    string Account,
    string Meter,
    DateTimeOffset BucketStart,
    long Quantity,
    string? IdempotencyKey,
    DateTimeOffset RecordedAt);
