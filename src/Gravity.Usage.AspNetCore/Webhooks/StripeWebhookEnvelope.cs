using System.Text.Json;

namespace Gravity.Usage.AspNetCore.Webhooks;

/// <summary>
/// What every Stripe event carries, snapshot (<c>"object": "event"</c>) and thin (<c>"object": "v2.core.event"</c>) alike:
/// its id, its type, and the verified body for the handler to parse further.
/// </summary>
/// <param name="Id">The event id (<c>evt_…</c>).</param>
/// <param name="Type">The event type, such as <c>invoice.created</c>.</param>
/// <param name="Object">The envelope kind: <c>event</c> or <c>v2.core.event</c>.</param>
/// <param name="Payload">The verified body.</param>
internal sealed record StripeWebhookEnvelope(string Id, string Type, string Object, string Payload)
{
    /// <summary>Reads the envelope of a verified body.</summary>
    /// <param name="payload">The verified body.</param>
    /// <param name="envelope">The envelope, when the body is one.</param>
    /// <returns><see langword="false"/> when the body is not a JSON object with a string id and type.</returns>
    public static bool TryParse(string payload, out StripeWebhookEnvelope? envelope)
    {
        envelope = null;
        try
        {
            using var document = JsonDocument.Parse(payload);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !TryGetString(root, "id", out var id)
                || !TryGetString(root, "type", out var type))
            {
                return false;
            }

            envelope = new StripeWebhookEnvelope(id, type, TryGetString(root, "object", out var kind) ? kind : "event", payload);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool TryGetString(JsonElement element, string name, out string value)
    {
        value = string.Empty;
        if (element.TryGetProperty(name, out var property) && property.ValueKind == JsonValueKind.String && property.GetString() is { Length: > 0 } text)
        {
            value = text;
            return true;
        }

        return false;
    }
}
