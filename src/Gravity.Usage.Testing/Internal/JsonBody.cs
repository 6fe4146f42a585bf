using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gravity.Usage.Testing.Internal;

/// <summary>v2 request bodies: a JSON object, its top-level properties checked, and a canonical form for the idempotency layer.</summary>
internal static class JsonBody
{
    /// <summary>Parses a v2 body; an empty body is <c>{}</c> (Stripe.net and stripe-node send <c>{}</c> for a request without parameters).</summary>
    /// <exception cref="StripeErrorException">Not <c>application/json</c>, not JSON, or not an object (400, never stored).</exception>
    public static JsonObject Parse(StandInRequest request)
    {
        if (request.Body.Length == 0)
        {
            return [];
        }

        var contentType = request.Header("Content-Type");
        if (contentType is null || !contentType.TrimStart().StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            throw StripeErrors.Invalid(null, $"Invalid request: unsupported Content-Type {contentType ?? "(none)"}. v2 requests must be application/json.");
        }

        try
        {
            return JsonNode.Parse(request.Body) as JsonObject
                ?? throw StripeErrors.Invalid(null, "Invalid request: the body must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw StripeErrors.Invalid(null, $"Invalid request: the body is not valid JSON ({e.Message}).");
        }
    }

    /// <summary>Rejects unknown and missing required top-level properties; the endpoint checks deeper shapes.</summary>
    public static void Validate(JsonObject body, IReadOnlyList<ParamSpec> specs)
    {
        foreach (var (name, _) in body)
        {
            if (!specs.Any(s => s.Name == name))
            {
                throw StripeErrors.Unknown(name);
            }
        }

        foreach (var spec in specs.Where(s => s.Required && body[s.Name] is null))
        {
            throw StripeErrors.Missing(spec.Name);
        }
    }

    /// <summary>The body with object properties sorted, so two requests with the same parameters in another order compare equal.</summary>
    public static string Fingerprint(JsonNode? node)
    {
        var builder = new StringBuilder();
        Write(node, builder);
        return builder.ToString();
    }

    private static void Write(JsonNode? node, StringBuilder builder)
    {
        switch (node)
        {
            case JsonObject o:
                builder.Append('{');
                foreach (var (key, child) in o.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    builder.Append(JsonSerializer.Serialize(key)).Append(':');
                    Write(child, builder);
                    builder.Append(',');
                }

                builder.Append('}');
                break;
            case JsonArray a:
                builder.Append('[');
                foreach (var child in a)
                {
                    Write(child, builder);
                    builder.Append(',');
                }

                builder.Append(']');
                break;
            default:
                builder.Append(node?.ToJsonString() ?? "null");
                break;
        }
    }
}
