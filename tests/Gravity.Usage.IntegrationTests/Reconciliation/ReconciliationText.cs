using System.Globalization;
using System.Text;

namespace Gravity.Usage.IntegrationTests.Reconciliation;

/// <summary>A reconciliation report as text, for the test output and assertion messages.</summary>
internal static class ReconciliationText
{
    public static string Format(UsageReconciliationReport report)
    {
        var text = new StringBuilder();
        foreach (var row in report.Rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{row.Account} {row.Meter} {row.Hour:yyyy-MM-dd HH}:00 local={row.LocalTotal} unknown={row.UnknownTotal} stripe={row.StripeTotal} {row.State} [{string.Join(",", row.ReportIds)}] {row.Note}");
        }

        foreach (var action in report.Actions)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{action.Kind} report {action.ReportId} -> {action.NewReportId}: {action.Reason}");
        }

        foreach (var problem in report.Problems)
        {
            text.AppendLine(problem);
        }

        return text.ToString();
    }
}
