namespace Gravity.Usage.Internal;

/// <summary>Instants as the stores keep them: whole Unix seconds for buckets, milliseconds for bookkeeping.</summary>
internal static class UnixTime
{
    /// <summary>Seconds since the epoch, rounded up, so that "bucket_start &gt;= it" means "bucket starts at or after the instant".</summary>
    public static long CeilingSeconds(DateTimeOffset instant)
    {
        var seconds = instant.ToUnixTimeSeconds();
        return instant.UtcTicks % TimeSpan.TicksPerSecond == 0 ? seconds : seconds + 1;
    }

    public static DateTimeOffset FromSeconds(long seconds) => DateTimeOffset.FromUnixTimeSeconds(seconds);
}
