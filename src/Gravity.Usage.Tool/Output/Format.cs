using System.Globalization;

namespace Gravity.Usage.Tool.Output;

/// <summary>How values read in a terminal table.</summary>
internal static class Format
{
    public static string Instant(DateTimeOffset? instant) =>
        instant is { } value ? value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";

    public static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Age(TimeSpan age) => age.TotalDays >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalDays}d {age.Hours}h {age.Minutes}m")
        : age.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalHours}h {age.Minutes}m")
            : string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalMinutes}m {age.Seconds}s");

    public static string Status(UsageReportStatus status) => status.ToString().ToLowerInvariant();

    /// <summary>Shortens a text to one line of at most <paramref name="max"/> characters.</summary>
    public static string Short(string? text, int max = 60)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "-";
        }

        var line = text.ReplaceLineEndings(" ");
        return line.Length <= max ? line : string.Concat(line.AsSpan(0, max - 1), "…");
    }
}
