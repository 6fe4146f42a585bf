namespace Gravity.Usage;

/// <summary>Counts the outbox's reports by status: the numbers an operator or a dashboard looks at first.</summary>
public interface IUsageReportCounts
{
    /// <summary>Counts every report by status and finds the oldest pending one, in one read.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The counts.</returns>
    Task<UsageReportCounts> CountReportsAsync(CancellationToken cancellationToken = default);
}
