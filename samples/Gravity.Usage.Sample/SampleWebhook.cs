using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;

namespace Gravity.Usage.Sample;

/// <summary>
/// Plays Stripe's part of the invoice-time flush: an <c>invoice.created</c> event for a subscription cycle, signed with
/// the endpoint's secret as Stripe signs it (<c>t=…,v1=HMAC-SHA256</c>), posted to the webhook the sample maps.
/// </summary>
internal static class SampleWebhook
{
    /// <summary>Where the sample maps the webhook.</summary>
    public const string Path = "/stripe/usage";

    /// <summary>The endpoint's signing secret; a real host reads Stripe's <c>whsec_…</c> from its configuration.</summary>
    public const string Secret = "whsec_gravity_usage_sample";

    /// <summary>Posts a signed <c>invoice.created</c> for the customer's renewed subscription; returns the answer's status.</summary>
    public static async Task<string> SendInvoiceCreatedAsync(WebApplication app, string customer)
    {
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        var eventId = "evt_sample_" + Guid.NewGuid().ToString("N")[..16];
        var body = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["id"] = eventId,
            ["object"] = "event",
            ["api_version"] = "2026-10-28.endive",
            ["created"] = now,
            ["livemode"] = false,
            ["pending_webhooks"] = 1,
            ["type"] = "invoice.created",
            ["data"] = new Dictionary<string, object?>
            {
                ["object"] = new Dictionary<string, object?>
                {
                    ["id"] = "in_" + eventId,
                    ["object"] = "invoice",
                    ["customer"] = customer,
                    ["billing_reason"] = "subscription_cycle",
                    ["status"] = "draft",
                    ["created"] = now,
                    ["livemode"] = false,
                },
            },
        });
        var signed = Encoding.UTF8.GetBytes(now.ToString(CultureInfo.InvariantCulture) + "." + body);
        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), signed));
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        using var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = content };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", FormattableString.Invariant($"t={now},v1={signature}"));
        using var client = app.GetTestClient();
        using var response = await client.SendAsync(request);
        return FormattableString.Invariant($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Waits (10 s at most) until the webhook's background flush left none of the account's api_calls unreported; returns what is left.</summary>
    public static async Task<long> WaitForFlushAsync(UsageMeter meter, string account, DateTimeOffset around)
    {
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(10);
        while (true)
        {
            var pending = (await meter.GetAsync(account, around.AddDays(-1), around.AddDays(1), "api_calls")).GetMeter("api_calls").PendingQuantity;
            if (pending == 0 || TimeProvider.System.GetUtcNow() > deadline)
            {
                return pending;
            }

            await Task.Delay(50);
        }
    }
}
