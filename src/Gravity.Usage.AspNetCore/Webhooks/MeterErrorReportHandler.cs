using System.Data.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gravity.Usage.AspNetCore.Webhooks;

/// <summary>
/// <c>v1.billing.meter.error_report_triggered</c> (a thin event: Stripe rejected meter events asynchronously). The
/// event carries no details, so the reconciler (<see cref="IUsageReconciler.ApplyMeterErrorEventAsync"/>) reads it
/// from Stripe's events API and marks the reports it names failed with Stripe's reason, as a reconciliation run does.
/// A failure to read it or to write the ledger answers 503, so Stripe delivers the event again later.
/// </summary>
internal sealed partial class MeterErrorReportHandler(IServiceProvider services, ILogger<MeterErrorReportHandler> logger) : IStripeWebhookHandler
{
    public const string Type = "v1.billing.meter.error_report_triggered";

    public string EventType => Type;

    public async ValueTask<StripeWebhookOutcome> HandleAsync(StripeWebhookEnvelope envelope, CancellationToken cancellationToken)
    {
        if (services.GetService<IUsageReconciler>() is not { } reconciler)
        {
            LogNoReconciler(logger, envelope.Id);
            return StripeWebhookOutcome.Ignored;
        }

        IReadOnlyList<UsageReconciliationAction> marked;
        try
        {
            marked = await reconciler.ApplyMeterErrorEventAsync(envelope.Id, cancellationToken).ConfigureAwait(false);
        }
        catch (global::Stripe.StripeException ex) when (ex.HttpStatusCode == System.Net.HttpStatusCode.NotFound)
        {
            // Stripe does not know the event (not ours, or another account's): delivering it again cannot help.
            LogUnknownEvent(logger, envelope.Id);
            return StripeWebhookOutcome.Ignored;
        }
        catch (Exception ex) when (ex is global::Stripe.StripeException or HttpRequestException or DbException or TimeoutException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            LogUnread(logger, ex, envelope.Id);
            return StripeWebhookOutcome.Busy;
        }

        LogMarked(logger, envelope.Id, marked.Count);
        return StripeWebhookOutcome.Accepted;
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Stripe event {EventId}: Stripe rejected meter events asynchronously (v1.billing.meter.error_report_triggered); {Count} report(s) marked failed.")]
    private static partial void LogMarked(ILogger logger, string eventId, int count);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Stripe event {EventId}: v1.billing.meter.error_report_triggered could not be read or applied now; Stripe will deliver it again.")]
    private static partial void LogUnread(ILogger logger, Exception exception, string eventId);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Stripe event {EventId}: v1.billing.meter.error_report_triggered ignored: Stripe's events API does not know it.")]
    private static partial void LogUnknownEvent(ILogger logger, string eventId);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Stripe event {EventId}: v1.billing.meter.error_report_triggered ignored: no IUsageReconciler is registered (call UseStripe in AddUsageBilling).")]
    private static partial void LogNoReconciler(ILogger logger, string eventId);
}
