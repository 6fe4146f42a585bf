using System.Text.Json;

namespace Gravity.Usage.AspNetCore.Tests.Support;

/// <summary>Stripe event bodies as Stripe sends them (snapshot events, and the thin meter error event).</summary>
public static class StripeEvents
{
    /// <summary>An <c>invoice.created</c> snapshot event for a draft invoice; rendered for an older API version than Stripe.net's.</summary>
    public static string InvoiceCreated(string eventId, string customer, string billingReason = "subscription_cycle", DateTimeOffset? created = null)
    {
        var at = (created ?? TimeProvider.System.GetUtcNow()).ToUnixTimeSeconds();
        return JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["id"] = eventId,
            ["object"] = "event",
            ["api_version"] = "2024-06-20",
            ["created"] = at,
            ["livemode"] = false,
            ["pending_webhooks"] = 1,
            ["request"] = new Dictionary<string, object?> { ["id"] = null, ["idempotency_key"] = null },
            ["type"] = "invoice.created",
            ["data"] = new Dictionary<string, object?>
            {
                ["object"] = new Dictionary<string, object?>
                {
                    ["id"] = "in_" + eventId,
                    ["object"] = "invoice",
                    ["customer"] = customer,
                    ["billing_reason"] = billingReason,
                    ["status"] = "draft",
                    ["auto_advance"] = true,
                    ["collection_method"] = "charge_automatically",
                    ["currency"] = "usd",
                    ["period_start"] = at - 30 * 86_400,
                    ["period_end"] = at,
                    ["created"] = at,
                    ["livemode"] = false,
                },
            },
        });
    }

    public static string OfType(string eventId, string type) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["id"] = eventId,
        ["object"] = "event",
        ["api_version"] = "2026-10-28.endive",
        ["created"] = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds(),
        ["livemode"] = false,
        ["type"] = type,
        ["data"] = new Dictionary<string, object?> { ["object"] = new Dictionary<string, object?> { ["id"] = "cus_x", ["object"] = "customer" } },
    });

    public static string MeterErrorReport(string eventId) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["id"] = eventId,
        ["object"] = "v2.core.event",
        ["type"] = "v1.billing.meter.error_report_triggered",
        ["created"] = "2026-11-30T03:00:00.000Z",
        ["livemode"] = false,
        ["related_object"] = new Dictionary<string, object?> { ["id"] = "mtr_1", ["type"] = "billing.meter", ["url"] = "/v1/billing/meters/mtr_1" },
    });
}
