using System.Text.Json.Nodes;

namespace Gravity.Usage.Testing.Internal;

/// <summary>
/// Stripe's v2 error envelope: <c>{"error":{"type","code","message","doc_url"?}}</c>. v2 errors always carry a code
/// and never a <c>param</c>; the pipeline builds v1-shaped errors and <see cref="Adapt"/> reshapes them on v2 paths,
/// so every error source (routing, auth, idempotency, faults, endpoints) gets the v2 shape in one place.
/// </summary>
internal static class V2Errors
{
    public const string SessionExpiredType = "temporary_session_expired";
    public const string SessionExpiredCode = "billing_meter_event_session_expired";

    public static bool IsV2Path(string path) => path.StartsWith("/v2/", StringComparison.Ordinal);

    /// <summary>The 401 for an expired meter event session token; Stripe.net turns it into <c>Stripe.V2.TemporarySessionExpiredException</c>.</summary>
    public static StripeErrorException SessionExpired() => new(
        401,
        SessionExpiredType,
        "The meter event session's authentication token has expired. Create a new session with POST /v2/billing/meter_event_session.",
        SessionExpiredCode,
        null,
        storable: false);

    /// <summary>Reshapes a v1-shaped error answer into the v2 envelope; anything else is returned unchanged.</summary>
    public static StandInResponse Adapt(StandInResponse response)
    {
        if (response.Disposition != ResponseDisposition.Respond || response.StatusCode < 400
            || JsonNode.Parse(response.Body) is not JsonObject { } root || root["error"] is not JsonObject error)
        {
            return response;
        }

        var type = (string?)error["type"] ?? StripeErrors.InvalidRequest;
        var v2 = new JsonObject
        {
            ["type"] = type,
            ["code"] = (string?)error["code"] ?? DefaultCode(type, response.StatusCode),
            ["message"] = (string?)error["message"] ?? string.Empty,
        };
        if (type == SessionExpiredType)
        {
            v2["doc_url"] = "https://docs.stripe.com/api/v2/billing-meter";
        }

        return new StandInResponse
        {
            StatusCode = response.StatusCode,
            Headers = response.Headers,
            Body = new JsonObject { ["error"] = v2 }.ToJsonString(StandInEngine.JsonOptions),
        };
    }

    /// <summary>A code for an error that has none on v1 (the v2 schema requires one).</summary>
    private static string DefaultCode(string type, int status) => type switch
    {
        StripeErrors.Idempotency => "idempotency_error",
        _ => status switch
        {
            401 => "unauthorized",
            404 => "not_found",
            429 => "rate_limit",
            >= 500 => "internal_error",
            _ => "invalid_request",
        },
    };
}
