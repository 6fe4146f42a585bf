using System.Text.Json.Nodes;

namespace Gravity.Usage.Testing.Internal;

/// <summary>Stripe's v1 error bodies: <c>{"error":{"code"?,"message","param"?,"type"}}</c>.</summary>
internal static class StripeErrors
{
    public const string InvalidRequest = "invalid_request_error";
    public const string Idempotency = "idempotency_error";
    public const string Api = "api_error";

    public static JsonObject Body(string type, string message, string? code = null, string? param = null)
    {
        var error = new JsonObject();
        if (code is not null)
        {
            error["code"] = code;
        }

        error["message"] = message;
        if (param is not null)
        {
            error["param"] = param;
        }

        error["type"] = type;
        return new JsonObject { ["error"] = error };
    }

    // Parameter validation: never stored under an Idempotency-Key.
    public static StripeErrorException Missing(string param) =>
        new(400, InvalidRequest, $"Missing required param: {param}.", "parameter_missing", param, storable: false);

    public static StripeErrorException Unknown(string param) =>
        new(400, InvalidRequest, $"Received unknown parameter: {param}", "parameter_unknown", param, storable: false);

    public static StripeErrorException InvalidInteger(string param, string value) =>
        new(400, InvalidRequest, $"Invalid integer: {value}", "parameter_invalid_integer", param, storable: false);

    public static StripeErrorException Invalid(string? param, string message, string? code = null) =>
        new(400, InvalidRequest, message, code, param, storable: false);

    public static StripeErrorException TooLong(string param, string value, int max) =>
        new(400, InvalidRequest, $"Invalid string: {Shorten(value)}; must be at most {max} characters", null, param, storable: false);

    public static StripeErrorException InvalidEnum(string param, string value, params string[] allowed) =>
        new(400, InvalidRequest, $"Invalid {param}: '{Shorten(value)}'. Must be one of {Join(allowed)}.", null, param, storable: false);

    // Produced once the endpoint runs: stored under the Idempotency-Key (unless ReplayEndpointErrors is off).
    public static StripeErrorException Rejected(string? param, string message, string? code = null, int status = 400) =>
        new(status, InvalidRequest, message, code, param, storable: true);

    public static StripeErrorException NoSuch(string objectName, string id, string param, int status) =>
        new(status, InvalidRequest, $"No such {objectName}: '{Shorten(id)}'", "resource_missing", param, storable: true);

    private static string Shorten(string value) => value.Length <= 120 ? value : string.Concat(value.AsSpan(0, 117), "...");

    private static string Join(string[] allowed) => allowed.Length switch
    {
        1 => allowed[0],
        2 => $"{allowed[0]} or {allowed[1]}",
        _ => string.Join(", ", allowed[..^1]) + ", or " + allowed[^1],
    };
}
