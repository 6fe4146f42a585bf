namespace Gravity.Usage.Testing;

/// <summary>What an injected fault does to a request.</summary>
public enum StripeFaultKind
{
    /// <summary>An HTTP error answer (429, 409, 5xx, or any status) with a Stripe error body.</summary>
    Status,

    /// <summary>A real-time delay; the request then goes on normally.</summary>
    Delay,

    /// <summary>No answer: the request is held until the client gives up (or until an optional maximum, then the connection is dropped).</summary>
    Timeout,

    /// <summary>The connection is dropped without an answer (Kestrel aborts it; in-process the handler throws <see cref="HttpRequestException"/>).</summary>
    DropConnection,
}
