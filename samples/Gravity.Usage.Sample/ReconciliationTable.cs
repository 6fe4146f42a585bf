using System.Globalization;

namespace Gravity.Usage.Sample;

/// <summary>Prints a reconciliation: one row per account, meter and hour, then the changes it made.</summary>
internal static class ReconciliationTable
{
    public static void Print(UsageReconciliationReport report)
    {
        Console.WriteLine($"  {"account",-10} {"meter",-10} {"hour (UTC)",-16} {"ledger",8} {"stripe",8} {"diff",6}  state");
        foreach (var row in report.Rows)
        {
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  {row.Account,-10} {row.Meter,-10} {row.Hour:yyyy-MM-dd HH}:00 {row.LocalTotal,8:N0} {row.StripeTotal,8:N0} {row.Difference,6:N0}  {row.State.ToString().ToLowerInvariant()}"));
        }

        foreach (var action in report.Actions)
        {
            Console.WriteLine($"  {action.Kind}: report {action.ReportId} ({action.Account}/{action.Meter}): {action.Reason}");
        }

        foreach (var problem in report.Problems)
        {
            Console.WriteLine($"  Problem: {problem}");
        }

        Console.WriteLine(report.IsClean
            ? $"  {report.Rows.Count} rows: the ledger and Stripe agree."
            : $"  {report.DriftCount} rows with drift, {report.UnresolvedCount} with unknown reports left (rows sent in the last hour may still be settling at Stripe).");
    }
}
