namespace Gravity.Usage;

/// <summary>
/// Closes usage into reports and delivers them to the billing back end. Run it on a schedule (the hosted
/// <c>AddUsageReportingService</c> or the host's own scheduler); any number of runs may overlap, in one process or
/// several, and no report is delivered twice.
/// </summary>
public interface IUsageReporter
{
    /// <summary>Closes the usage of every ended bucket into reports, then delivers every due report.</summary>
    /// <param name="cancellationToken">Stops the run; reports in flight stay pending and are delivered by a later run.</param>
    /// <returns>What the run did.</returns>
    Task<ReportRun> ReportAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Closes all of one account's usage, the bucket in progress included, and delivers its due reports: the flush a
    /// host runs before an invoice is finalized.
    /// </summary>
    /// <param name="account">The account.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>What the run did.</returns>
    Task<ReportRun> ReportAccountAsync(string account, CancellationToken cancellationToken = default);

    /// <summary>Lists reports, oldest first: the outbox and audit trail.</summary>
    /// <param name="query">Which reports, such as the failed ones of an account.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The reports.</returns>
    Task<IReadOnlyList<UsageReport>> ListReportsAsync(UsageReportQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes failed or unknown reports pending again, to be delivered by the next run with the same identifier: call
    /// it once the cause (an account mapping, a meter, a key) is fixed, or once reconciliation shows that an unknown
    /// report never reached Stripe.
    /// </summary>
    /// <param name="query">Which reports; sent and skipped reports are never re-driven.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>How many reports were re-driven.</returns>
    Task<int> RedriveAsync(UsageReportQuery query, CancellationToken cancellationToken = default);
}
