using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using StripeNet = global::Stripe;

namespace Gravity.Usage.Stripe;

/// <summary>What a failed Stripe call came to, once Stripe.net's own retries are spent.</summary>
internal enum StripeFailureKind
{
    /// <summary>Worth asking again later: no answer, a timeout, 409, 429, 5xx, or <c>Stripe-Should-Retry: true</c>.</summary>
    Transient,

    /// <summary>Refused for good: another 4xx, or <c>Stripe-Should-Retry: false</c>.</summary>
    Permanent,

    /// <summary>Stripe already has an event with the identifier: delivered before.</summary>
    DuplicateIdentifier,

    /// <summary>The v2 stream session ran out (<c>billing_meter_event_session_expired</c>): renew it and send again.</summary>
    SessionExpired,
}

/// <summary>
/// A failed Stripe call, classified from Stripe.net's <see cref="StripeNet.StripeException"/> (status, Stripe's error,
/// <c>Stripe-Should-Retry</c>, <c>Idempotent-Replayed</c>, <c>Retry-After</c>) or from the transport exception it let
/// through. Its message never holds the API key.
/// </summary>
/// <param name="Kind">What the failure means for the report.</param>
/// <param name="Message">What happened, for the report's last error and the log.</param>
/// <param name="RequestId">Stripe's request id, when it answered.</param>
/// <param name="RetryAfter">How long Stripe asked to wait, when it said.</param>
/// <param name="Replayed">Whether Stripe replayed a stored answer for the idempotency key.</param>
/// <param name="TransportError">The connection error or timeout, when Stripe did not answer; logged with the failure.</param>
internal readonly record struct StripeFailure(StripeFailureKind Kind, string Message, string? RequestId, TimeSpan? RetryAfter, bool Replayed, Exception? TransportError = null)
{
    /// <summary>Classifies <paramref name="exception"/>, or returns <see langword="null"/> when it is not a Stripe or transport failure.</summary>
    /// <param name="exception">What the Stripe.net call threw.</param>
    /// <param name="request">The request, such as <c>POST /v1/billing/meter_events</c>, for the message.</param>
    /// <param name="transport">Scrubs the key from text that came back.</param>
    /// <param name="callerCancellation">The caller's token: its cancellation is not a failure of Stripe.</param>
    public static StripeFailure? From(Exception exception, string request, StripeTransport transport, CancellationToken callerCancellation) =>
        exception switch
        {
            StripeNet.StripeException stripe => FromAnswer(stripe, request, transport),
            OperationCanceledException when !callerCancellation.IsCancellationRequested =>
                new StripeFailure(StripeFailureKind.Transient, $"Stripe did not answer {request} in time.", null, null, false, exception),
            HttpRequestException or IOException =>
                new StripeFailure(StripeFailureKind.Transient, $"Stripe could not be reached for {request}: {transport.Redact(exception.Message)}", null, null, false, exception),
            _ => null,
        };

    private static StripeFailure FromAnswer(StripeNet.StripeException exception, string request, StripeTransport transport)
    {
        var status = (int)exception.HttpStatusCode;
        var error = exception.StripeError;
        var headers = exception.StripeResponse?.Headers;
        var requestId = transport.Redact(exception.StripeResponse?.RequestId);
        var type = transport.Redact(error?.Type);
        var code = transport.Redact(error?.Code);
        var message = Describe(request, status, type, code, transport.Redact(error?.Param), requestId, transport.Redact(error?.Message ?? exception.Message));
        var replayed = string.Equals(Header(headers, "Idempotent-Replayed"), "true", StringComparison.OrdinalIgnoreCase);
        var kind = Classify(status, type, code, error?.Message, error?.Param, Header(headers, "Stripe-Should-Retry"));
        return new StripeFailure(kind, message, requestId, ReadRetryAfter(headers), replayed);
    }

    /// <summary>The rules, apart from the exception types, so they can be tested one by one.</summary>
    internal static StripeFailureKind Classify(int status, string? type, string? code, string? stripeMessage, string? param, string? shouldRetry)
    {
        if (string.Equals(code, "billing_meter_event_session_expired", StringComparison.Ordinal)
            || string.Equals(type, "temporary_session_expired", StringComparison.Ordinal))
        {
            return StripeFailureKind.SessionExpired;
        }

        if (status == 400 && IsDuplicateIdentifier(code, stripeMessage, param))
        {
            return StripeFailureKind.DuplicateIdentifier;
        }

        switch (shouldRetry?.Trim().ToUpperInvariant())
        {
            case "TRUE":
                return StripeFailureKind.Transient;
            case "FALSE":
                return StripeFailureKind.Permanent;
        }

        // A success status with a body Stripe.net could not read (or no status at all) leaves the outcome unknown: asking
        // again is safe, the identifier and the idempotency key de-duplicate.
        return status is 0 or 409 or 429 or >= 500 || (status is >= 200 and < 300)
            ? StripeFailureKind.Transient
            : StripeFailureKind.Permanent;
    }

    /// <summary>Stripe refuses an event whose identifier it already has: it was delivered before, and Stripe kept the first.</summary>
    private static bool IsDuplicateIdentifier(string? code, string? message, string? param) =>
        string.Equals(code, "duplicate_meter_event", StringComparison.Ordinal)
        || (message is not null
            && message.Contains("already exists", StringComparison.OrdinalIgnoreCase)
            && (message.Contains("identifier", StringComparison.OrdinalIgnoreCase) || string.Equals(param, "identifier", StringComparison.Ordinal)));

    private static string Describe(string request, int status, string? type, string? code, string? param, string? requestId, string? stripeMessage)
    {
        var text = new StringBuilder("Stripe refused ").Append(request).Append(" (").Append(status.ToString(CultureInfo.InvariantCulture));
        if (type is not null || code is not null)
        {
            text.Append(' ').Append(type ?? "error");
            if (code is not null)
            {
                text.Append('/').Append(code);
            }
        }

        if (param is not null)
        {
            text.Append(", param ").Append(param);
        }

        if (requestId is not null)
        {
            text.Append(", request ").Append(requestId);
        }

        text.Append(')').Append(string.IsNullOrWhiteSpace(stripeMessage) ? "." : ": " + stripeMessage);
        return text.ToString();
    }

    private static TimeSpan? ReadRetryAfter(HttpResponseHeaders? headers) =>
        headers?.RetryAfter?.Delta is { } delta ? (delta < TimeSpan.Zero ? TimeSpan.Zero : delta) : null;

    private static string? Header(HttpResponseHeaders? headers, string name) =>
        headers is not null && headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
