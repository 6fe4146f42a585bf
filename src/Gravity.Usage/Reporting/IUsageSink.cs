namespace Gravity.Usage;

/// <summary>
/// A billing back end that usage reports are delivered to: Stripe meter events (the default), the Stripe v2 meter event
/// stream, Stripe legacy usage records, or the host's own.
/// </summary>
/// <remarks>
/// A sink must be idempotent on the report identifier (<see cref="UsageReport.Identifier"/>): the same report may be delivered more than
/// once (after a crash between the back end's acceptance and the report being marked sent), and must count once.
/// </remarks>
public interface IUsageSink
{
    /// <summary>Gets the most reports the sink takes in one <see cref="DeliverBatchAsync"/> call.</summary>
    /// <value>1 (the default) for a back end that takes one report per request; the reporter then calls <see cref="DeliverAsync"/>.</value>
    int MaxBatchSize => 1;

    /// <summary>Delivers one report.</summary>
    /// <param name="delivery">The report, with the account's billing ids resolved.</param>
    /// <param name="cancellationToken">Cancels the delivery; the report stays pending.</param>
    /// <returns>Whether the back end accepted it, refused it for good, or should be asked again later.</returns>
    Task<DeliveryResult> DeliverAsync(UsageDelivery delivery, CancellationToken cancellationToken = default);

    /// <summary>
    /// Delivers up to <see cref="MaxBatchSize"/> reports in one call, for back ends that take many per request. The
    /// default delivers them one after another with <see cref="DeliverAsync"/>.
    /// </summary>
    /// <param name="deliveries">The reports, with the accounts' billing ids resolved.</param>
    /// <param name="cancellationToken">Cancels the delivery; the reports stay pending.</param>
    /// <returns>One result per delivery, in the same order.</returns>
    async Task<IReadOnlyList<DeliveryResult>> DeliverBatchAsync(IReadOnlyList<UsageDelivery> deliveries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deliveries);
        var results = new DeliveryResult[deliveries.Count];
        for (var i = 0; i < deliveries.Count; i++)
        {
            results[i] = await DeliverAsync(deliveries[i], cancellationToken).ConfigureAwait(false);
        }

        return results;
    }

    /// <summary>
    /// Cancels a report the back end accepted, so that a correction can send what is left of it again under a new
    /// identifier (Stripe: a meter event adjustment of type <c>cancel</c> by the report's identifier). The reporter asks
    /// only within the back end's cancellation window (for Stripe, 23 of its 24 hours, measured from the report's first
    /// delivery attempt) and parks the correction's amount as <see cref="UsageReportStatus.NeedsCredit"/> otherwise.
    /// </summary>
    /// <param name="delivery">The report to cancel, as it was delivered, with the account's billing ids.</param>
    /// <param name="cancellationToken">Cancels the request; the cancellation is asked again by a later run.</param>
    /// <returns>
    /// <see cref="DeliveryOutcome.Delivered"/> once the back end cancelled it; <see cref="DeliveryOutcome.Transient"/>
    /// to ask again later; <see cref="DeliveryOutcome.Permanent"/> when it cannot be cancelled (the amount then needs a
    /// credit). The default, for back ends that cannot cancel, is <see cref="DeliveryOutcome.Permanent"/>.
    /// </returns>
    Task<DeliveryResult> CancelAsync(UsageDelivery delivery, CancellationToken cancellationToken = default) =>
        Task.FromResult(DeliveryResult.Permanent("This billing back end cannot cancel usage it accepted; the correction's amount needs a credit."));
}
