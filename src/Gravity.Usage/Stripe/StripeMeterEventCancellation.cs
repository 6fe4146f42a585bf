using Gravity.Usage.Telemetry;
using Microsoft.Extensions.Logging;
using StripeNet = global::Stripe;

namespace Gravity.Usage.Stripe;

/// <summary>
/// Cancels a delivered meter event for a correction (<c>POST /v1/billing/meter_event_adjustments</c>,
/// <c>type=cancel</c>, <c>cancel[identifier]</c>, through Stripe.net's <see cref="StripeNet.Billing.MeterEventAdjustmentService"/>),
/// for both the v1 meter event sink and the v2 stream sink: Stripe cancels events of either by identifier.
/// </summary>
internal static partial class StripeMeterEventCancellation
{
    private const string Request = "POST /v1/billing/meter_event_adjustments";

    /// <summary>Asks Stripe to cancel the event of <paramref name="delivery"/>'s report, and classifies the answer as deliveries are.</summary>
    /// <remarks>
    /// The idempotency key is derived from the report's identifier, so a retry after a lost answer is replayed by Stripe
    /// (cancelling twice is refused) and can never cancel anything else. A refusal (no such event in the last 24 hours,
    /// already cancelled without the key's replay) is permanent: the reporter then parks the amount as needing a credit,
    /// which never bills too much.
    /// </remarks>
    public static async Task<DeliveryResult> CancelAsync(StripeTransport transport, ILogger logger, UsageDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var report = delivery.Report;
        await transport.RequestPacer.WaitAsync(1, cancellationToken).ConfigureAwait(false);
        using var call = StripeCall.Start(transport, UsageTags.MeterEventAdjustments, 1);
        using var limit = transport.LimitCall(cancellationToken);
        try
        {
            var adjustment = await new StripeNet.Billing.MeterEventAdjustmentService(transport.Client).CreateAsync(
                new StripeNet.Billing.MeterEventAdjustmentCreateOptions
                {
                    EventName = delivery.EventName,
                    Type = "cancel",
                    Cancel = new StripeNet.Billing.MeterEventAdjustmentCancelOptions { Identifier = report.Identifier },
                },
                new StripeNet.RequestOptions { IdempotencyKey = report.Identifier + "-cancel" },
                limit.Token).ConfigureAwait(false);
            var requestId = transport.Redact(adjustment.StripeResponse?.RequestId);
            call.Delivered(requestId);
            LogCancelled(logger, report.Identifier, report.Account, report.Meter, requestId);
            return DeliveryResult.Delivered(requestId);
        }
        catch (Exception exception) when (StripeFailure.From(exception, Request, transport, cancellationToken) is { } failure)
        {
            call.Failed(failure);
            if (failure.Kind is StripeFailureKind.Transient or StripeFailureKind.SessionExpired)
            {
                LogNotCancelled(logger, failure.TransportError, report.Identifier, report.Account, report.Meter, failure.Message);
                return DeliveryResult.Transient(failure.Message, failure.RequestId, failure.RetryAfter);
            }

            LogCancelRefused(logger, report.Identifier, report.Account, report.Meter, failure.Message);
            return DeliveryResult.Permanent(failure.Message, failure.RequestId);
        }
    }

    [LoggerMessage(EventId = 115, Level = LogLevel.Information, Message = "Stripe cancelled the meter event of usage report {Identifier} (account {Account}, meter {Meter}) for a correction: request {RequestId}.")]
    private static partial void LogCancelled(ILogger logger, string identifier, string account, string meter, string? requestId);

    [LoggerMessage(EventId = 116, Level = LogLevel.Warning, Message = "The meter event of usage report {Identifier} (account {Account}, meter {Meter}) was not cancelled this time; asked again later: {Error}")]
    private static partial void LogNotCancelled(ILogger logger, Exception? exception, string identifier, string account, string meter, string error);

    [LoggerMessage(EventId = 117, Level = LogLevel.Warning, Message = "Stripe refused to cancel the meter event of usage report {Identifier} (account {Account}, meter {Meter}); the correction needs a credit: {Error}")]
    private static partial void LogCancelRefused(ILogger logger, string identifier, string account, string meter, string error);
}
