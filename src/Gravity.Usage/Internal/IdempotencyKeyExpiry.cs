namespace Gravity.Usage.Internal;

/// <summary>
/// The instant stored with an idempotency key (schema version 8 on): Unix seconds rounded up, four bytes in SQLite
/// until 2038. Rounding up keeps a key at least its retention: a key is pruned only when its stored second is before
/// the cutoff, and <see cref="PrunedBefore"/> rounds the cutoff up too, so a key is never pruned before it expired.
/// </summary>
internal static class IdempotencyKeyExpiry
{
    /// <summary>The second stored with a key recorded at <paramref name="recordedAt"/>.</summary>
    public static long RecordedSecond(DateTimeOffset recordedAt) => CeilingSeconds(recordedAt);

    /// <summary>Keys whose stored second is below this value were recorded before <paramref name="recordedBefore"/>.</summary>
    public static long PrunedBefore(DateTimeOffset recordedBefore) => CeilingSeconds(recordedBefore);

    private static long CeilingSeconds(DateTimeOffset instant)
    {
        var ticks = (instant - DateTimeOffset.UnixEpoch).Ticks;
        return (long)Math.Ceiling(ticks / (decimal)TimeSpan.TicksPerSecond);
    }
}
