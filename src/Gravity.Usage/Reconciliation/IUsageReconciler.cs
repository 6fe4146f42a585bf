namespace Gravity.Usage;

/// <summary>
/// Compares what the ledger sent to the billing back end with what the back end counted, per account, meter and hour,
/// and settles the reports whose fate was unknown from that evidence. <c>UseStripe</c> registers the Stripe one
/// (<see cref="Stripe.StripeUsageReconciler"/>); it can also be created without a host.
/// </summary>
/// <remarks>
/// <para>
/// Reconciling never sends usage itself and never makes a report sent twice: a report the evidence shows Stripe
/// lacks becomes a new pending report under a new identifier, derived from the old one, which the reporter delivers.
/// Every change goes through the store and applies only while the report is still in the status it was judged in, so
/// a reporter or a second reconciler running at the same time cannot make a report count twice.
/// </para>
/// <para>Safe to run again: a run over a settled, clean period changes nothing.</para>
/// </remarks>
public interface IUsageReconciler
{
    /// <summary>Reconciles the usage of the hours in [<paramref name="periodStart"/>, <paramref name="periodEnd"/>).</summary>
    /// <param name="periodStart">The inclusive start: a whole UTC hour.</param>
    /// <param name="periodEnd">The exclusive end: a whole UTC hour after <paramref name="periodStart"/>, at most 366 days later.</param>
    /// <param name="account">
    /// Only this account, or every account when <see langword="null"/>. Stripe totals are per customer: accounts that
    /// share one Stripe customer are weighed together, so reconcile them without an account.
    /// </param>
    /// <param name="progress">Told how far a long run is; optional.</param>
    /// <param name="cancellationToken">Cancels the run between steps; changes already made stay made.</param>
    /// <returns>The drift report: one row per account, meter and hour with usage on either side, and the actions taken.</returns>
    /// <exception cref="UsageInputException">A bound is not a whole hour, the period is empty or too long, or the account breaks the account rule; nothing was read or changed.</exception>
    Task<UsageReconciliationReport> ReconcileAsync(
        DateTimeOffset periodStart,
        DateTimeOffset periodEnd,
        string? account = null,
        IProgress<UsageReconciliationProgress>? progress = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads one asynchronous meter error event (Stripe's <c>v1.billing.meter.error_report_triggered</c>, by its id, as
    /// a webhook delivers it) and marks the reports it names failed with Stripe's reason, as a reconciliation does.
    /// </summary>
    /// <param name="eventId">The event's id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The reports marked failed; empty when none was left to mark.</returns>
    /// <exception cref="UsageInputException">The id is empty or breaks the identifier rule.</exception>
    Task<IReadOnlyList<UsageReconciliationAction>> ApplyMeterErrorEventAsync(string eventId, CancellationToken cancellationToken = default);
}
