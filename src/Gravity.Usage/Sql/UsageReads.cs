using Gravity.Usage.Internal;

namespace Gravity.Usage.Sql;

/// <summary>The parameters and rows of the totals, series and unreported-usage queries, alike in both stores.</summary>
internal static class UsageReads
{
    /// <summary>The parameters that select one account's counters in a period, of one meter or of all.</summary>
    /// <param name="account">The account.</param>
    /// <param name="periodStart">The period's start, inclusive.</param>
    /// <param name="periodEnd">The period's end, exclusive.</param>
    /// <param name="meter">The meter, or <see langword="null"/> for all.</param>
    /// <returns>An object whose properties are the parameters.</returns>
    public static object PeriodParameters(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string? meter) =>
        new { Account = account, From = UnixTime.CeilingSeconds(periodStart), To = UnixTime.CeilingSeconds(periodEnd), Meter = meter };

    /// <summary>Maps rows of the totals queries.</summary>
    /// <param name="rows">The rows.</param>
    /// <returns>The totals.</returns>
    public static IReadOnlyList<MeterUsage> ToTotals(IEnumerable<(string Meter, long Quantity, long ReportedQuantity)> rows) =>
        rows.Select(r => new MeterUsage(r.Meter, r.Quantity, r.ReportedQuantity)).ToList();

    /// <summary>Maps rows of the series query.</summary>
    /// <param name="rows">The rows.</param>
    /// <returns>The buckets.</returns>
    public static IReadOnlyList<UsageBucket> ToSeries(IEnumerable<(long BucketStart, long Quantity, long ReportedQuantity)> rows) =>
        rows.Select(r => new UsageBucket(UnixTime.FromSeconds(r.BucketStart), r.Quantity, r.ReportedQuantity)).ToList();

    /// <summary>The parameters that select counters with usage not yet reported.</summary>
    /// <param name="bucketsStartingBefore">Only buckets that start before this instant.</param>
    /// <param name="account">Only this account, or all when <see langword="null"/>.</param>
    /// <param name="limit">At most this many counters.</param>
    /// <returns>An object whose properties are the parameters.</returns>
    public static object UnreportedParameters(DateTimeOffset bucketsStartingBefore, string? account, int limit) =>
        new { Before = UnixTime.CeilingSeconds(bucketsStartingBefore), Account = account, Limit = limit };

    /// <summary>Maps rows of the unreported-usage query.</summary>
    /// <param name="rows">The rows.</param>
    /// <returns>The counters with usage not yet reported.</returns>
    public static IReadOnlyList<UnreportedUsage> ToUnreported(IEnumerable<(string Account, string Meter, long BucketStart)> rows) =>
        rows.Select(r => new UnreportedUsage(r.Account, r.Meter, UnixTime.FromSeconds(r.BucketStart))).ToList();
}
