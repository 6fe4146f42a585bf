using Microsoft.Extensions.Logging;

namespace Gravity.Usage.Stripe;

/// <summary>Turns classified Stripe answers into <see cref="DeliveryResult"/>s and logs them, for every Stripe sink.</summary>
internal static partial class StripeDeliveryLog
{
    /// <summary>A report Stripe took (or, with <paramref name="alreadyThere"/>, already had).</summary>
    public static DeliveryResult Delivered(ILogger logger, UsageReport report, string request, string? requestId, bool alreadyThere = false)
    {
        if (alreadyThere)
        {
            LogAlreadyDelivered(logger, report.Identifier, report.Account, report.Meter, request, requestId);
        }
        else
        {
            LogDelivered(logger, report.Identifier, report.Account, report.Meter, request, requestId);
        }

        return DeliveryResult.Delivered(requestId);
    }

    /// <summary>The result of a failed call for one report.</summary>
    /// <param name="logger">Where the outcome is logged.</param>
    /// <param name="report">The report.</param>
    /// <param name="request">The request, for the log.</param>
    /// <param name="failure">The classified failure.</param>
    /// <param name="identifierDeduplicated">Whether Stripe de-duplicates the report identifier (meter events), so a fresh idempotency key is safe.</param>
    public static DeliveryResult Failed(ILogger logger, UsageReport report, string request, StripeFailure failure, bool identifierDeduplicated)
    {
        switch (failure.Kind)
        {
            case StripeFailureKind.DuplicateIdentifier when identifierDeduplicated:
                return Delivered(logger, report, request, failure.RequestId, alreadyThere: true);
            case StripeFailureKind.Transient or StripeFailureKind.SessionExpired:
                LogTransient(logger, failure.TransportError, report.Identifier, report.Account, report.Meter, failure.Message);
                // Stripe stores a server error its endpoint produced and replays it for the key's 24 hours. Where the
                // identifier de-duplicates, a fresh key is safe; for usage records it is not, and the report waits.
                return identifierDeduplicated && failure.Replayed
                    ? DeliveryResult.TransientWithFreshKey(failure.Message, failure.RequestId, failure.RetryAfter)
                    : DeliveryResult.Transient(failure.Message, failure.RequestId, failure.RetryAfter);
            default:
                LogRefused(logger, report.Identifier, report.Account, report.Meter, failure.Message);
                return DeliveryResult.Permanent(failure.Message, failure.RequestId);
        }
    }

    /// <summary>A report that cannot be sent as it is: refused for good without asking Stripe.</summary>
    public static DeliveryResult Unsendable(ILogger logger, UsageReport report, string error)
    {
        LogUnsendable(logger, report.Identifier, report.Account, report.Meter, error);
        return DeliveryResult.Permanent(error);
    }

    [LoggerMessage(EventId = 110, Level = LogLevel.Debug, Message = "Usage report {Identifier} (account {Account}, meter {Meter}) delivered to Stripe by {Request}: request {RequestId}.")]
    private static partial void LogDelivered(ILogger logger, string identifier, string account, string meter, string request, string? requestId);

    [LoggerMessage(EventId = 111, Level = LogLevel.Information, Message = "Usage report {Identifier} (account {Account}, meter {Meter}) was already delivered: Stripe has an event with its identifier ({Request}, request {RequestId}).")]
    private static partial void LogAlreadyDelivered(ILogger logger, string identifier, string account, string meter, string request, string? requestId);

    [LoggerMessage(EventId = 112, Level = LogLevel.Warning, Message = "Usage report {Identifier} (account {Account}, meter {Meter}) was not delivered this time and stays pending: {Error}")]
    private static partial void LogTransient(ILogger logger, Exception? exception, string identifier, string account, string meter, string error);

    [LoggerMessage(EventId = 113, Level = LogLevel.Error, Message = "Stripe refused usage report {Identifier} (account {Account}, meter {Meter}) for good: {Error}")]
    private static partial void LogRefused(ILogger logger, string identifier, string account, string meter, string error);

    [LoggerMessage(EventId = 114, Level = LogLevel.Error, Message = "Usage report {Identifier} (account {Account}, meter {Meter}) cannot be sent to Stripe: {Error}")]
    private static partial void LogUnsendable(ILogger logger, string identifier, string account, string meter, string error);
}
