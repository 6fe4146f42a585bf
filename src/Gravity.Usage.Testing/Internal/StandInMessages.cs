namespace Gravity.Usage.Testing.Internal;

/// <summary>A transport-neutral request: what both the in-process handler and Kestrel hand to the engine.</summary>
internal sealed class StandInRequest
{
    public required string Method { get; init; }

    /// <summary>The decoded path, e.g. <c>/v1/billing/meters/mtr_1</c>.</summary>
    public required string Path { get; init; }

    /// <summary>The raw query string without '?'.</summary>
    public required string Query { get; init; }

    /// <summary>Case-insensitive header names; repeated values joined with ", ".</summary>
    public required IReadOnlyDictionary<string, string> Headers { get; init; }

    public required string Body { get; init; }

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>What the transport does with a processed request.</summary>
internal enum ResponseDisposition
{
    /// <summary>Send the status, headers and body.</summary>
    Respond,

    /// <summary>Drop the connection without an answer.</summary>
    DropConnection,

    /// <summary>The client gave up; nothing to send.</summary>
    Abandoned,
}

/// <summary>A transport-neutral answer.</summary>
internal sealed class StandInResponse
{
    public static StandInResponse Dropped { get; } = new() { Disposition = ResponseDisposition.DropConnection };

    public static StandInResponse Abandoned { get; } = new() { Disposition = ResponseDisposition.Abandoned };

    public ResponseDisposition Disposition { get; init; } = ResponseDisposition.Respond;

    public int StatusCode { get; init; }

    public List<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>The JSON body.</summary>
    public string Body { get; init; } = string.Empty;
}
