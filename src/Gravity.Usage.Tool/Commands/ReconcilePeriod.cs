using System.Globalization;

namespace Gravity.Usage.Tool.Commands;

/// <summary>
/// The <c>--period</c> of <c>reconcile</c>: <c>YYYY-MM</c> (a calendar month, UTC) or <c>&lt;from&gt;..&lt;to&gt;</c>, each bound
/// a date (<c>2026-03-10</c>, midnight UTC) or an instant (<c>2026-03-10T10:00Z</c>); the bounds must be whole hours.
/// </summary>
internal static class ReconcilePeriod
{
    private static readonly string[] MonthFormats = ["yyyy-MM"];

    public static (DateTimeOffset From, DateTimeOffset To) Parse(string text)
    {
        var range = text.Split("..", 2, StringSplitOptions.TrimEntries);
        if (range.Length == 2)
        {
            return (Instant(range[0], "from"), Instant(range[1], "to"));
        }

        if (DateTime.TryParseExact(text.Trim(), MonthFormats, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var month))
        {
            var start = new DateTimeOffset(month.Year, month.Month, 1, 0, 0, 0, TimeSpan.Zero);
            return (start, start.AddMonths(1));
        }

        throw new ToolException($"--period '{text}' is neither YYYY-MM nor <from>..<to> (e.g. 2026-03-01..2026-03-10T12:00Z).");
    }

    private static DateTimeOffset Instant(string text, string which) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var instant)
            ? instant
            : throw new ToolException($"--period: the {which} bound '{text}' is not a date or an instant (e.g. 2026-03-10 or 2026-03-10T10:00Z).");
}
