namespace Gravity.Usage;

/// <summary>
/// A billing back end that usage reports are delivered to: Stripe meter events (the default), Stripe legacy usage
/// records, or the host's own.
/// </summary>
/// <remarks>
/// A sink must be idempotent on the report identifier (<see cref="UsageReport.Identifier"/>): the same report may be delivered more than
/// once (after a crash between the back end's acceptance and the report being marked sent), and must count once.
/// </remarks>
public interface IUsageSink
{
    /// <summary>Delivers one report.</summary>
    /// <param name="delivery">The report, with the account's billing ids resolved.</param>
    /// <param name="cancellationToken">Cancels the delivery; the report stays pending.</param>
    /// <returns>Whether the back end accepted it, refused it for good, or should be asked again later.</returns>
    Task<DeliveryResult> DeliverAsync(UsageDelivery delivery, CancellationToken cancellationToken = default);
}
