using System.Globalization;
using System.Text;

namespace Gravity.Usage.Stripe;

/// <summary>
/// Stripe did not accept a request: it refused it, or it could not be reached or did not answer in time, after every
/// retry. The message names the request, Stripe's status, error type and code, parameter, request id and message; it
/// never contains the API key.
/// </summary>
public sealed class StripeException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="StripeException"/> class.</summary>
    public StripeException()
        : base("Stripe did not accept the request.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="StripeException"/> class.</summary>
    /// <param name="message">What went wrong, without secrets.</param>
    public StripeException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="StripeException"/> class.</summary>
    /// <param name="message">What went wrong, without secrets.</param>
    /// <param name="innerException">The cause.</param>
    public StripeException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Gets the HTTP status code of Stripe's last answer, or <see langword="null"/> when there was none (connection error, timeout).</summary>
    public int? StatusCode { get; internal init; }

    /// <summary>Gets Stripe's error type, such as <c>invalid_request_error</c>, <c>api_error</c> or <c>idempotency_error</c>.</summary>
    public string? Type { get; internal init; }

    /// <summary>Gets Stripe's error code, such as <c>resource_missing</c>, when it gave one.</summary>
    public string? Code { get; internal init; }

    /// <summary>Gets the request parameter the error is about, such as <c>payload[stripe_customer_id]</c>, when Stripe named one.</summary>
    public string? Param { get; internal init; }

    /// <summary>Gets Stripe's id of the answering request (<c>Request-Id</c>), for Stripe support and the dashboard logs.</summary>
    public string? RequestId { get; internal init; }

    /// <summary>Gets the address of Stripe's documentation of the error code, when it gave one.</summary>
    public string? DocUrl { get; internal init; }

    /// <summary>Gets Stripe's own explanation, when it gave one.</summary>
    public string? StripeMessage { get; internal init; }

    /// <summary>Gets the HTTP method of the request, such as <c>POST</c>.</summary>
    public string? Method { get; internal init; }

    /// <summary>Gets the path of the request, such as <c>/v1/billing/meter_events</c>, without a query.</summary>
    public string? Path { get; internal init; }

    /// <summary>
    /// Gets a value indicating whether the failure was transient: a connection error, a timeout, or an answer worth
    /// asking again (409, 429, 5xx, or <c>Stripe-Should-Retry: true</c>), still failing after every retry. A refusal
    /// (other 4xx, or <c>Stripe-Should-Retry: false</c>) is not transient.
    /// </summary>
    public bool IsTransient { get; internal init; }

    /// <summary>
    /// Gets a value indicating whether Stripe replayed the stored answer of an earlier request with the same
    /// <c>Idempotency-Key</c> (header <c>Idempotent-Replayed: true</c>) instead of processing this one.
    /// </summary>
    public bool IdempotentReplayed { get; internal init; }

    /// <summary>Gets how long Stripe asked to wait before asking again (<c>Retry-After</c>), when it said.</summary>
    public TimeSpan? RetryAfter { get; internal init; }

    /// <summary>Gets how many attempts were made.</summary>
    public int Attempts { get; internal init; }

    /// <summary>Builds the message for an answer Stripe gave, as <c>Stripe refused POST /v1/… (400 type/code, param p, request req_…): message</c>.</summary>
    internal static string DescribeRefusal(string method, string path, int status, string? type, string? code, string? param, string? requestId, int attempts, string? stripeMessage)
    {
        var text = new StringBuilder();
        text.Append("Stripe refused ").Append(method).Append(' ').Append(path).Append(" (").Append(status.ToString(CultureInfo.InvariantCulture));
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

        if (attempts > 1)
        {
            text.Append(", after ").Append(attempts.ToString(CultureInfo.InvariantCulture)).Append(" attempts");
        }

        text.Append(')');
        text.Append(string.IsNullOrWhiteSpace(stripeMessage) ? "." : ": " + stripeMessage);
        return text.ToString();
    }
}
