using System.Text.Json.Nodes;

namespace Gravity.Usage.Testing.Internal;

/// <summary>What an endpoint sees of a request.</summary>
internal sealed class EndpointContext
{
    /// <summary>The v1 parameters (form body or query); an empty map on v2 routes.</summary>
    public required FormNode Params { get; init; }

    /// <summary>The v2 JSON body (an object); <see langword="null"/> on v1 routes.</summary>
    public JsonObject? Json { get; init; }

    public required IReadOnlyDictionary<string, string> RouteValues { get; init; }

    public required DateTimeOffset Now { get; init; }

    public required string RequestId { get; init; }

    public required string? IdempotencyKey { get; init; }

    public required string Url { get; init; }

    public long NowUnix => Now.ToUnixTimeSeconds();
}

/// <summary>An endpoint's answer: status, JSON body, and whether the idempotency layer stores it.</summary>
internal readonly record struct EndpointResult(int Status, JsonNode Body, bool Storable)
{
    public static EndpointResult Ok(JsonNode body) => new(200, body, true);

    public static EndpointResult FromError(StripeErrorException error) => new(error.StatusCode, error.ToBody(), error.Storable);
}
