using System.Globalization;
using Gravity.Usage.Testing;

namespace Gravity.Usage.Sample;

/// <summary>Prints what a report run sent and skipped, and what Stripe counted.</summary>
internal static class ReportTable
{
    public static void Print(IReadOnlyList<UsageReport> reports, IReadOnlyDictionary<string, string> eventNames, IReadOnlyDictionary<string, string> customers, StripeStandIn? standIn)
    {
        var rows = reports
            .GroupBy(r => (r.Account, r.Meter, r.Status))
            .OrderBy(g => g.Key.Account, StringComparer.Ordinal).ThenBy(g => g.Key.Meter, StringComparer.Ordinal)
            .Select(g =>
            {
                var stripeTotal = standIn is not null && g.Key.Status == UsageReportStatus.Sent && customers.TryGetValue(g.Key.Account, out var customer)
                    ? standIn.GetMeterTotal(eventNames[g.Key.Meter], customer).ToString("N0", CultureInfo.InvariantCulture)
                    : "-";
                return new[]
                {
                    g.Key.Account,
                    g.Key.Meter,
                    g.Key.Status.ToString().ToLowerInvariant(),
                    g.Count().ToString(CultureInfo.InvariantCulture),
                    g.Sum(r => r.Quantity).ToString("N0", CultureInfo.InvariantCulture),
                    stripeTotal,
                };
            })
            .ToList();
        string[] header = ["account", "meter", "status", "reports", "quantity", "Stripe's total"];
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        Console.WriteLine(Row(header, widths));
        Console.WriteLine(string.Join("-+-", widths.Select(w => new string('-', w))));
        foreach (var row in rows)
        {
            Console.WriteLine(Row(row, widths));
        }
    }

    private static string Row(string[] cells, int[] widths) =>
        string.Join(" | ", cells.Select((c, i) => i < 3 ? c.PadRight(widths[i]) : c.PadLeft(widths[i])));
}
