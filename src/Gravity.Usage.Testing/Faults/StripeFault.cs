using System.Globalization;

namespace Gravity.Usage.Testing;

/// <summary>A fault to inject into requests: create one with the static factory methods and add it with <see cref="StripeStandInFaults"/>.</summary>
public sealed class StripeFault
{
    private StripeFault(StripeFaultKind kind, int statusCode, bool? shouldRetry, TimeSpan duration, string? errorType, string? errorCode, string? message)
    {
        Kind = kind;
        StatusCode = statusCode;
        ShouldRetry = shouldRetry;
        Duration = duration;
        ErrorType = errorType;
        ErrorCode = errorCode;
        Message = message;
    }

    /// <summary>What the fault does.</summary>
    public StripeFaultKind Kind { get; }

    /// <summary>The HTTP status of a <see cref="StripeFaultKind.Status"/> fault; 0 for other kinds.</summary>
    public int StatusCode { get; }

    /// <summary>The <c>Stripe-Should-Retry</c> header sent with a status fault (<c>true</c> / <c>false</c>), or <see langword="null"/> to send none.</summary>
    public bool? ShouldRetry { get; }

    /// <summary>The delay of a <see cref="StripeFaultKind.Delay"/> fault, or the maximum hold of a <see cref="StripeFaultKind.Timeout"/> fault (<see cref="System.Threading.Timeout.InfiniteTimeSpan"/>: until the client gives up).</summary>
    public TimeSpan Duration { get; }

    /// <summary>The <c>error.type</c> of a status fault's body.</summary>
    public string? ErrorType { get; }

    /// <summary>The <c>error.code</c> of a status fault's body, if any.</summary>
    public string? ErrorCode { get; }

    /// <summary>The <c>error.message</c> of a status fault's body.</summary>
    public string? Message { get; }

    /// <summary>
    /// 429 Too Many Requests, as Stripe's rate limiter answers:
    /// <c>{"error":{"code":"rate_limit","message":"Request rate limit exceeded...","type":"invalid_request_error"}}</c>.
    /// </summary>
    /// <param name="shouldRetry">The <c>Stripe-Should-Retry</c> header to send, or <see langword="null"/> for none.</param>
    /// <returns>The fault.</returns>
    public static StripeFault TooManyRequests(bool? shouldRetry = null) => new(
        StripeFaultKind.Status,
        429,
        shouldRetry,
        TimeSpan.Zero,
        "invalid_request_error",
        "rate_limit",
        "Request rate limit exceeded. You can learn more about rate limits here https://stripe.com/docs/rate-limits.");

    /// <summary>
    /// 409 Conflict, with the body of a concurrent use of an idempotency key:
    /// <c>{"error":{"code":"idempotency_key_in_use","message":"...","type":"idempotency_error"}}</c>.
    /// </summary>
    /// <param name="shouldRetry">The <c>Stripe-Should-Retry</c> header to send, or <see langword="null"/> for none.</param>
    /// <returns>The fault.</returns>
    public static StripeFault Conflict(bool? shouldRetry = null) => new(
        StripeFaultKind.Status,
        409,
        shouldRetry,
        TimeSpan.Zero,
        "idempotency_error",
        "idempotency_key_in_use",
        "There is currently another in-progress request using this Idempotency-Key. Please try again later.");

    /// <summary>A 5xx answer with an <c>api_error</c> body.</summary>
    /// <param name="statusCode">500, 502, 503, 504 or another 5xx status.</param>
    /// <param name="shouldRetry">The <c>Stripe-Should-Retry</c> header to send, or <see langword="null"/> for none.</param>
    /// <returns>The fault.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="statusCode"/> is not in 500-599.</exception>
    public static StripeFault ServerError(int statusCode = 500, bool? shouldRetry = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 500);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 599);
        return new(
            StripeFaultKind.Status,
            statusCode,
            shouldRetry,
            TimeSpan.Zero,
            "api_error",
            null,
            string.Create(CultureInfo.InvariantCulture, $"An unknown error occurred (injected HTTP {statusCode}). Please try again."));
    }

    /// <summary>Any error answer with a Stripe error body of your choice.</summary>
    /// <param name="statusCode">The HTTP status, 400-599.</param>
    /// <param name="errorType">The <c>error.type</c>, e.g. <c>invalid_request_error</c> or <c>api_error</c>.</param>
    /// <param name="message">The <c>error.message</c>.</param>
    /// <param name="errorCode">The <c>error.code</c>, or <see langword="null"/> for none.</param>
    /// <param name="shouldRetry">The <c>Stripe-Should-Retry</c> header to send, or <see langword="null"/> for none.</param>
    /// <returns>The fault.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="statusCode"/> is not in 400-599.</exception>
    public static StripeFault Status(int statusCode, string errorType, string message, string? errorCode = null, bool? shouldRetry = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 400);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 599);
        ArgumentException.ThrowIfNullOrEmpty(errorType);
        ArgumentNullException.ThrowIfNull(message);
        return new(StripeFaultKind.Status, statusCode, shouldRetry, TimeSpan.Zero, errorType, errorCode, message);
    }

    /// <summary>A real-time delay (not the stand-in's clock); keep it short.</summary>
    /// <param name="delay">How long to wait.</param>
    /// <returns>The fault.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is negative.</exception>
    public static StripeFault Delay(TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        return new(StripeFaultKind.Delay, 0, null, delay, null, null, null);
    }

    /// <summary>
    /// No answer: the request is held until the client gives up (its timeout or cancellation aborts the request) or the
    /// stand-in is disposed. With <paramref name="maxHold"/>, the connection is dropped once that much real time passed.
    /// </summary>
    /// <param name="maxHold">The longest hold, or <see langword="null"/> to hold until the client gives up.</param>
    /// <returns>The fault.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxHold"/> is negative.</exception>
    public static StripeFault Timeout(TimeSpan? maxHold = null)
    {
        if (maxHold is { } hold)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(hold, TimeSpan.Zero);
        }

        return new(StripeFaultKind.Timeout, 0, null, maxHold ?? System.Threading.Timeout.InfiniteTimeSpan, null, null, null);
    }

    /// <summary>The connection is dropped without an answer: over Kestrel the connection is aborted; in-process the handler throws <see cref="HttpRequestException"/> (with an <see cref="IOException"/> inside).</summary>
    /// <returns>The fault.</returns>
    public static StripeFault DropConnection() => new(StripeFaultKind.DropConnection, 0, null, TimeSpan.Zero, null, null, null);

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        StripeFaultKind.Status => string.Create(CultureInfo.InvariantCulture, $"HTTP {StatusCode} (Stripe-Should-Retry: {(ShouldRetry is null ? "absent" : ShouldRetry.Value ? "true" : "false")})"),
        StripeFaultKind.Delay => string.Create(CultureInfo.InvariantCulture, $"delay {Duration.TotalMilliseconds} ms"),
        StripeFaultKind.Timeout => Duration == System.Threading.Timeout.InfiniteTimeSpan ? "timeout" : string.Create(CultureInfo.InvariantCulture, $"timeout (drop after {Duration.TotalMilliseconds} ms)"),
        _ => "dropped connection",
    };
}
