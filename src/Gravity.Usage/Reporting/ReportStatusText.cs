namespace Gravity.Usage;

/// <summary>Report statuses as the stores keep them: lowercase words, readable in SQL.</summary>
internal static class ReportStatusText
{
    public static string Format(UsageReportStatus status) => status switch
    {
        UsageReportStatus.Pending => "pending",
        UsageReportStatus.Sent => "sent",
        UsageReportStatus.Failed => "failed",
        UsageReportStatus.Skipped => "skipped",
        UsageReportStatus.Unknown => "unknown",
        UsageReportStatus.Cancelled => "cancelled",
        UsageReportStatus.Cancelling => "cancelling",
        UsageReportStatus.NeedsCredit => "needs_credit",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Not a report status."),
    };

    public static UsageReportStatus Parse(string text) => text switch
    {
        "pending" => UsageReportStatus.Pending,
        "sent" => UsageReportStatus.Sent,
        "failed" => UsageReportStatus.Failed,
        "skipped" => UsageReportStatus.Skipped,
        "unknown" => UsageReportStatus.Unknown,
        "cancelled" => UsageReportStatus.Cancelled,
        "cancelling" => UsageReportStatus.Cancelling,
        "needs_credit" => UsageReportStatus.NeedsCredit,
        _ => throw new InvalidOperationException($"The store holds an unknown report status '{text}'."),
    };
}
