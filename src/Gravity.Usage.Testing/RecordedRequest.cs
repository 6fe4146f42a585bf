namespace Gravity.Usage.Testing;

/// <summary>How a request that reached the stand-in ended.</summary>
public enum RecordedRequestOutcome
{
    /// <summary>Still being processed (or held by a timeout fault).</summary>
    InFlight,

    /// <summary>An HTTP answer was sent; see <see cref="RecordedRequest.StatusCode"/>.</summary>
    Responded,

    /// <summary>The connection was dropped without an answer (a fault, or the stand-in was disposed).</summary>
    ConnectionDropped,

    /// <summary>The client gave up (timeout or cancellation) before an answer was sent.</summary>
    ClientAborted,
}

/// <summary>A snapshot of one request that reached the stand-in, faulted or not. The API key is never kept.</summary>
public sealed class RecordedRequest
{
    internal RecordedRequest(
        string method,
        string path,
        string query,
        IReadOnlyDictionary<string, string> headers,
        string body,
        string requestId,
        DateTimeOffset receivedAt,
        RecordedRequestOutcome outcome,
        int? statusCode,
        bool isReplay,
        StripeFault? fault,
        FaultTiming? faultTiming)
    {
        Method = method;
        Path = path;
        Query = query;
        Headers = headers;
        Body = body;
        RequestId = requestId;
        ReceivedAt = receivedAt;
        Outcome = outcome;
        StatusCode = statusCode;
        IsReplay = isReplay;
        Fault = fault;
        FaultTiming = faultTiming;
    }

    /// <summary>The HTTP method, upper case.</summary>
    public string Method { get; }

    /// <summary>The path, e.g. <c>/v1/billing/meter_events</c>.</summary>
    public string Path { get; }

    /// <summary>The raw query string without the leading <c>?</c>; empty when there is none.</summary>
    public string Query { get; }

    /// <summary>The request headers (case-insensitive names; repeated values joined with <c>", "</c>). <c>Authorization</c> is replaced by <c>&lt;scheme&gt; [REDACTED]</c>.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>The raw request body as received (UTF-8); empty when there is none.</summary>
    public string Body { get; }

    /// <summary>The <c>Idempotency-Key</c> header, if sent.</summary>
    public string? IdempotencyKey => Headers.TryGetValue("Idempotency-Key", out var key) ? key : null;

    /// <summary>The <c>Stripe-Version</c> header, if sent.</summary>
    public string? StripeVersion => Headers.TryGetValue("Stripe-Version", out var version) ? version : null;

    /// <summary>The <c>Request-Id</c> the stand-in gave the request (<c>req_...</c>), also sent in the answer.</summary>
    public string RequestId { get; }

    /// <summary>When the request arrived, on the stand-in's clock.</summary>
    public DateTimeOffset ReceivedAt { get; }

    /// <summary>How the request ended (so far).</summary>
    public RecordedRequestOutcome Outcome { get; }

    /// <summary>The HTTP status sent to the client, or <see langword="null"/> when none was sent.</summary>
    public int? StatusCode { get; }

    /// <summary>Whether the answer was an idempotent replay of a stored answer.</summary>
    public bool IsReplay { get; }

    /// <summary>The fault that struck the request, if any.</summary>
    public StripeFault? Fault { get; }

    /// <summary>When that fault struck, if any.</summary>
    public FaultTiming? FaultTiming { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Method} {Path} -> {(StatusCode is { } status ? status.ToString(System.Globalization.CultureInfo.InvariantCulture) : Outcome.ToString())} ({RequestId})";
}
