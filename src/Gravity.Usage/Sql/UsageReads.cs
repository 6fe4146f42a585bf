using System.Globalization;
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

    /// <summary>
    /// The aggregate columns of the exact totals query: each sum in a high part (bits 20 and up) and a low part (bits 0-19).
    /// </summary>
    /// <remarks>
    /// A plain SUM over a long period can pass long.MaxValue (SQLite then fails with 'integer overflow'). Split, neither
    /// part can overflow over fewer than 2^20 buckets even of counters at long.MaxValue, and the parts are joined exactly
    /// in 128 bits (<see cref="ToTotalsWithReported"/>), which either fits in a long or is refused clearly.
    /// </remarks>
    public const string SplitSums =
        "SUM(quantity >> 20), SUM(quantity & 1048575), SUM(reported_quantity >> 20), SUM(reported_quantity & 1048575)";

    /// <summary>Maps rows of the totals queries, joining the split sums of <see cref="SplitSums"/>.</summary>
    /// <param name="rows">The rows.</param>
    /// <param name="account">The account read, for the message of an overflow.</param>
    /// <returns>The totals.</returns>
    /// <exception cref="OverflowException">A total is more than a <see cref="long"/> holds; the message names the limit.</exception>
    public static IReadOnlyList<(string Meter, long Quantity, long Reported)> ToTotalsWithReported(
        IEnumerable<(string Meter, long QuantityHigh, long QuantityLow, long ReportedHigh, long ReportedLow)> rows, string account) =>
        rows.Select(r => (r.Meter, Join(r.QuantityHigh, r.QuantityLow, r.Meter, account), Join(r.ReportedHigh, r.ReportedLow, r.Meter, account))).ToList();

    /// <summary>Maps rows of the plain-sum totals query, whose sums a database may return wider than a long.</summary>
    /// <param name="rows">The rows.</param>
    /// <param name="account">The account read, for the message of an overflow.</param>
    /// <returns>The totals.</returns>
    /// <exception cref="OverflowException">A total is more than a <see cref="long"/> holds; the message names the limit.</exception>
    public static IReadOnlyList<(string Meter, long Quantity, long Reported)> ToTotals(
        IEnumerable<(string Meter, decimal Quantity, decimal Reported)> rows, string account) =>
        rows.Select(r => (r.Meter, Fit((Int128)r.Quantity, r.Meter, account), Fit((Int128)r.Reported, r.Meter, account))).ToList();

    /// <summary>Maps rows of the series query.</summary>
    /// <param name="rows">The rows.</param>
    /// <returns>The buckets.</returns>
    public static IReadOnlyList<UsageBucket> ToSeries(IEnumerable<(long BucketStart, long Quantity, long ReportedQuantity)> rows) =>
        rows.Select(r => new UsageBucket(UnixTime.FromSeconds(r.BucketStart), r.Quantity, r.ReportedQuantity)).ToList();

    private static long Join(long high, long low, string meter, string account) => Fit(((Int128)high << 20) + low, meter, account);

    private static long Fit(Int128 total, string meter, string account)
    {
        if (total > long.MaxValue)
        {
            throw new OverflowException(string.Create(
                CultureInfo.InvariantCulture,
                $"The usage of account '{account}', meter '{meter}' over the period is {total}, more than a total can hold ({long.MaxValue}); read shorter periods and add them up."));
        }

        return (long)total;
    }

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
