using System.Globalization;

namespace Gravity.Usage.Sample;

/// <summary>Prints an account-by-meter usage table: each account's billing period, its usage and what Stripe billed of it.</summary>
internal static class UsageTable
{
    public static void Print(IReadOnlyList<(string Account, string Plan, UsageSummary Summary)> rows, IReadOnlyList<string> meters)
    {
        var header = new[] { "account", "plan", "billing period (UTC)" }.Concat(meters.Select(m => m + " (billed)")).ToArray();
        var cells = rows.Select(r => new[] { r.Account, r.Plan, Period(r.Summary) }
            .Concat(meters.Select(m => Format(r.Summary.GetMeter(m))))
            .ToArray()).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, cells.Count == 0 ? 0 : cells.Max(c => c[i].Length))).ToArray();

        WriteRow(header, widths);
        Console.WriteLine(string.Join("-+-", widths.Select(w => new string('-', w))));
        foreach (var row in cells)
        {
            WriteRow(row, widths);
        }
    }

    private static string Period(UsageSummary summary) =>
        string.Create(CultureInfo.InvariantCulture, $"{summary.From:yyyy-MM-dd HH:mm} to {summary.To:yyyy-MM-dd HH:mm}");

    private static string Format(MeterUsage usage) =>
        string.Create(CultureInfo.InvariantCulture, $"{usage.Quantity:N0} ({usage.SentQuantity:N0})");

    private static void WriteRow(string[] cells, int[] widths) =>
        Console.WriteLine(string.Join(" | ", cells.Select((c, i) => i < 3 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))));
}
