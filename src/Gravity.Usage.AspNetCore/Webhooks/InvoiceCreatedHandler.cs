using Gravity.Usage.AspNetCore.Flush;
using Microsoft.Extensions.Logging;
using Stripe;

namespace Gravity.Usage.AspNetCore.Webhooks;

/// <summary>
/// <c>invoice.created</c> for a subscription cycle (<c>billing_reason = subscription_cycle</c>): queues a flush of the
/// invoice customer's accounts, so their usage, the bucket in progress included, reaches Stripe while the draft waits to
/// be finalized (about an hour). Other billing reasons are ignored.
/// </summary>
internal sealed partial class InvoiceCreatedHandler(InvoiceFlushQueue queue, ILogger<InvoiceCreatedHandler> logger) : IStripeWebhookHandler
{
    public const string Type = "invoice.created";

    private const string SubscriptionCycle = "subscription_cycle";

    public string EventType => Type;

    public ValueTask<StripeWebhookOutcome> HandleAsync(StripeWebhookEnvelope envelope, CancellationToken cancellationToken)
    {
        // Stripe.net's parser, without failing on an event rendered for another API version than Stripe.net's own.
        Event stripeEvent;
        try
        {
            stripeEvent = EventUtility.ConstructEventWithoutVerification(envelope.Payload, throwOnApiVersionMismatch: false);
        }
#pragma warning disable CA1031 // A signed body Stripe.net cannot read is answered and logged, not retried by Stripe for days.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogUnreadable(logger, ex, envelope.Id);
            return ValueTask.FromResult(StripeWebhookOutcome.Ignored);
        }

        if (stripeEvent.Data?.Object is not Invoice invoice)
        {
            LogNotAnInvoice(logger, envelope.Id);
            return ValueTask.FromResult(StripeWebhookOutcome.Ignored);
        }

        if (!string.Equals(invoice.BillingReason, SubscriptionCycle, StringComparison.Ordinal))
        {
            LogNotACycle(logger, envelope.Id, invoice.BillingReason ?? "none");
            return ValueTask.FromResult(StripeWebhookOutcome.Ignored);
        }

        if (string.IsNullOrEmpty(invoice.CustomerId))
        {
            LogNoCustomer(logger, envelope.Id);
            return ValueTask.FromResult(StripeWebhookOutcome.Ignored);
        }

        var flush = new InvoiceFlush(envelope.Id, invoice.Id, invoice.CustomerId);
        return ValueTask.FromResult(queue.TryEnqueue(flush) ? StripeWebhookOutcome.Accepted : StripeWebhookOutcome.Busy);
    }

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Stripe event {EventId} (invoice.created) could not be read by Stripe.net; ignored.")]
    private static partial void LogUnreadable(ILogger logger, Exception exception, string eventId);

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Stripe event {EventId} (invoice.created) carries no invoice; ignored.")]
    private static partial void LogNotAnInvoice(ILogger logger, string eventId);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Stripe event {EventId}: invoice created for billing reason {BillingReason}, not a subscription cycle; ignored.")]
    private static partial void LogNotACycle(ILogger logger, string eventId, string billingReason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Stripe event {EventId}: the invoice names no customer; ignored.")]
    private static partial void LogNoCustomer(ILogger logger, string eventId);
}
