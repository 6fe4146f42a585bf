namespace Gravity.Usage;

/// <summary>Which reports to list or re-drive.</summary>
public sealed record UsageReportQuery
{
    /// <summary>Gets only reports in this status, or any status when <see langword="null"/>.</summary>
    public UsageReportStatus? Status { get; init; }

    /// <summary>Gets only reports of this account, or every account when <see langword="null"/>.</summary>
    public string? Account { get; init; }

    /// <summary>Gets only the report with this id, or any when <see langword="null"/>.</summary>
    public long? Id { get; init; }

    /// <summary>Gets only reports with a greater id, for paging; 0 starts at the beginning.</summary>
    public long AfterId { get; init; }

    /// <summary>Gets the most reports listed.</summary>
    /// <value>The default value is 1,000.</value>
    public int Limit { get; init; } = 1_000;
}
