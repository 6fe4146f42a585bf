using Microsoft.Extensions.Logging;

namespace Gravity.Usage.Stripe;

/// <summary>Turns Stripe's answers into <see cref="DeliveryResult"/>s and logs them, for both Stripe sinks.</summary>
internal static partial class StripeDelivery
{
    /// <summary>Meter event identifiers are at most 100 characters.</summary>
    internal const int MaxIdentifierLength = 100;

    /// <summary>Posts one report and maps the answer; the caller's cancellation propagates.</summary>
    public static async Task<DeliveryResult> PostAsync(
        StripeClient client,
        ILogger logger,
        UsageReport report,
        string path,
        IReadOnlyList<KeyValuePair<string, string>> form,
        string apiVersion,
        bool identifierDeduplicated,
        CancellationToken cancellationToken)
    {
        try
        {
            var response = await client.PostFormAsync(path, form, report.IdempotencyKey, apiVersion, cancellationToken).ConfigureAwait(false);
            LogDelivered(logger, report.Identifier, report.Account, report.Meter, path, response.RequestId, response.IdempotentReplayed, response.Attempts);
            return DeliveryResult.Delivered(response.RequestId);
        }
        catch (StripeException exception) when (identifierDeduplicated && IsDuplicateIdentifier(exception))
        {
            LogAlreadyDelivered(logger, report.Identifier, report.Account, report.Meter, path, exception.RequestId);
            return DeliveryResult.Delivered(exception.RequestId);
        }
        catch (StripeException exception) when (exception.IsTransient)
        {
            LogTransient(logger, report.Identifier, report.Account, report.Meter, exception.Method, exception.Path, exception.StatusCode, exception.Type, exception.Code, exception.RequestId, exception.Attempts, exception.Message);
            // Stripe stores a server error its endpoint produced and replays it for the key's 24 hours. For meter events a
            // fresh key is safe, the identifier still de-duplicates; for usage records it is not, and the report waits.
            return identifierDeduplicated && exception.IdempotentReplayed
                ? DeliveryResult.TransientWithFreshKey(exception.Message, exception.RequestId, exception.RetryAfter)
                : DeliveryResult.Transient(exception.Message, exception.RequestId, exception.RetryAfter);
        }
        catch (StripeException exception)
        {
            LogRefused(logger, report.Identifier, report.Account, report.Meter, exception.Method, exception.Path, exception.StatusCode, exception.Type, exception.Code, exception.RequestId, exception.Message);
            return DeliveryResult.Permanent(exception.Message, exception.RequestId);
        }
    }

    /// <summary>A report that cannot be sent as it is: refused for good without asking Stripe.</summary>
    public static DeliveryResult Unsendable(ILogger logger, UsageReport report, string error)
    {
        LogUnsendable(logger, report.Identifier, report.Account, report.Meter, error);
        return DeliveryResult.Permanent(error);
    }

    /// <summary>
    /// Whether Stripe refused a meter event because an event with its identifier already exists: then it was
    /// delivered before, and Stripe kept the first one.
    /// </summary>
    internal static bool IsDuplicateIdentifier(StripeException exception)
    {
        if (exception.StatusCode != 400)
        {
            return false;
        }

        if (string.Equals(exception.Code, "duplicate_meter_event", StringComparison.Ordinal))
        {
            return true;
        }

        var message = exception.StripeMessage;
        return message is not null
            && message.Contains("already exists", StringComparison.OrdinalIgnoreCase)
            && (message.Contains("identifier", StringComparison.OrdinalIgnoreCase)
                || string.Equals(exception.Param, "identifier", StringComparison.Ordinal));
    }

    [LoggerMessage(EventId = 110, Level = LogLevel.Debug, Message = "Usage report {Identifier} (account {Account}, meter {Meter}) delivered to Stripe at {Path}: request {RequestId}, replayed {Replayed}, {Attempts} attempt(s).")]
    private static partial void LogDelivered(ILogger logger, string identifier, string account, string meter, string path, string? requestId, bool replayed, int attempts);

    [LoggerMessage(EventId = 111, Level = LogLevel.Information, Message = "Usage report {Identifier} (account {Account}, meter {Meter}) was already delivered: Stripe has an event with its identifier ({Path}, request {RequestId}).")]
    private static partial void LogAlreadyDelivered(ILogger logger, string identifier, string account, string meter, string path, string? requestId);

    [LoggerMessage(EventId = 112, Level = LogLevel.Warning, Message = "Usage report {Identifier} (account {Account}, meter {Meter}) was not delivered this time and stays pending: {Method} {Path} status {Status} ({ErrorType}/{ErrorCode}, request {RequestId}) after {Attempts} attempt(s). {Error}")]
    private static partial void LogTransient(ILogger logger, string identifier, string account, string meter, string? method, string? path, int? status, string? errorType, string? errorCode, string? requestId, int attempts, string error);

    [LoggerMessage(EventId = 113, Level = LogLevel.Error, Message = "Stripe refused usage report {Identifier} (account {Account}, meter {Meter}) for good: {Method} {Path} status {Status} ({ErrorType}/{ErrorCode}, request {RequestId}). {Error}")]
    private static partial void LogRefused(ILogger logger, string identifier, string account, string meter, string? method, string? path, int? status, string? errorType, string? errorCode, string? requestId, string error);

    [LoggerMessage(EventId = 114, Level = LogLevel.Error, Message = "Usage report {Identifier} (account {Account}, meter {Meter}) cannot be sent to Stripe: {Error}")]
    private static partial void LogUnsendable(ILogger logger, string identifier, string account, string meter, string error);
}
