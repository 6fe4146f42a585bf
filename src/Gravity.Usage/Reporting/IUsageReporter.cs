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

    /// <summary>
    /// Closes all of one account's usage not yet reported, the bucket in progress included, under the mapping it was
    /// recorded with: for hosts whose own <see cref="IUsageAccountResolver"/> holds the mapping, to call when the
    /// account's Stripe customer, legacy subscription items, billing cycle or billable flag is about to change (the
    /// built-in store does this itself in <see cref="IUsageAccountStore.SaveAccountAsync"/>). The reports keep that
    /// mapping's customer and item whatever the resolver returns later, and their buckets end at its cycle's
    /// boundaries; they are delivered by the next runs.
    /// </summary>
    /// <param name="mapping">The account's mapping so far (the old one): its plan, Stripe ids and billing cycle.</param>
    /// <param name="cancellationToken">Cancels the close.</param>
    /// <returns>What was closed (<see cref="ReportRun.Closed"/> and <see cref="ReportRun.Skipped"/>); nothing is delivered.</returns>
    /// <remarks>
    /// Call it before the resolver starts returning the new mapping: usage recorded after the call and before the switch
    /// is billed under the new mapping. The meter's cached billing cycle of the account is refreshed within
    /// <see cref="UsageBillingOptions.BillingCycleRefreshInterval"/>.
    /// </remarks>
    /// <exception cref="UsageInputException">The mapping breaks a rule named in the message; nothing is closed.</exception>
    Task<ReportRun> CloseUnderMappingAsync(UsageAccount mapping, CancellationToken cancellationToken = default);

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
    /// <remarks>
    /// A re-driven report forgets the Stripe customer and item it was closed with (<see cref="UsageReport.StripeCustomerId"/>)
    /// and is delivered with the account's mapping at that time, since a re-drive follows fixing the mapping.
    /// </remarks>
    Task<int> RedriveAsync(UsageReportQuery query, CancellationToken cancellationToken = default);
}
