namespace Gravity.Usage.AspNetCore.Webhooks;

/// <summary>
/// Handles one Stripe event type for the webhook endpoint. The endpoint verifies the signature, reads the envelope and
/// drops repeats before a handler runs; a handler must answer fast (queue slow work). Registered in DI as
/// <see cref="IStripeWebhookHandler"/>; one handler per type. Reconciliation adds its handler for
/// <c>v1.billing.meter.error_report_triggered</c> here.
/// </summary>
internal interface IStripeWebhookHandler
{
    /// <summary>Gets the event type handled, such as <c>invoice.created</c>.</summary>
    string EventType { get; }

    /// <summary>Handles one verified event that was not handled before.</summary>
    /// <param name="envelope">The event.</param>
    /// <param name="cancellationToken">The request's cancellation.</param>
    /// <returns>What became of it.</returns>
    ValueTask<StripeWebhookOutcome> HandleAsync(StripeWebhookEnvelope envelope, CancellationToken cancellationToken);
}
