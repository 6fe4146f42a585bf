using Microsoft.Extensions.Logging;

namespace Gravity.Usage.AspNetCore.Webhooks;

/// <summary>
/// <c>v1.billing.meter.error_report_triggered</c> (a thin event: Stripe rejected meter events asynchronously). The
/// dispatch point for reconciliation, which reads the errors through Stripe's events API and marks the reports they
/// name failed; until then the event is acknowledged and logged, and nothing in the ledger changes.
/// </summary>
internal sealed partial class MeterErrorReportHandler(ILogger<MeterErrorReportHandler> logger) : IStripeWebhookHandler
{
    public const string Type = "v1.billing.meter.error_report_triggered";

    public string EventType => Type;

    public ValueTask<StripeWebhookOutcome> HandleAsync(StripeWebhookEnvelope envelope, CancellationToken cancellationToken)
    {
        LogMeterErrors(logger, envelope.Id);
        return ValueTask.FromResult(StripeWebhookOutcome.Ignored);
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Stripe event {EventId}: Stripe rejected meter events asynchronously (v1.billing.meter.error_report_triggered); reconcile the reports with Stripe.")]
    private static partial void LogMeterErrors(ILogger logger, string eventId);
}
