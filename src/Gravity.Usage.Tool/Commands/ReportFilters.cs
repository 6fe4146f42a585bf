using System.CommandLine;

namespace Gravity.Usage.Tool.Commands;

/// <summary>The report filters that <c>reports list</c> and <c>redrive</c> share.</summary>
internal sealed class ReportFilters
{
    public Option<UsageReportStatus?> Status { get; } = new("--status")
    {
        Description = "Only reports in this status: pending, sent, failed, skipped, unknown, cancelled, cancelling, needscredit.",
    };

    public Option<string?> Account { get; } = new("--account")
    {
        Description = "Only reports of this account.",
    };

    public Option<long?> Id { get; } = new("--id")
    {
        Description = "Only the report with this id.",
    };
}
