using System.Net.Http.Headers;
using System.Text.Json;
using Gravity.Usage.Testing;

namespace Gravity.Usage.Sample;

/// <summary>
/// Where the sample's usage is billed: the local Stripe stand-in (the default, no real money, no network), or Stripe
/// itself in test mode when STRIPE_API_KEY holds a test key. Sets up the meters and customers the sample needs.
/// </summary>
internal sealed class StripeEndpoint : IAsyncDisposable
{
    private readonly StripeStandIn? _standIn;
    private readonly HttpClient? _stripe;

    private StripeEndpoint(string label, Uri apiBase, string apiKey, StripeStandIn? standIn, HttpClient? stripe)
    {
        Label = label;
        ApiBase = apiBase;
        ApiKey = apiKey;
        _standIn = standIn;
        _stripe = stripe;
    }

    public string Label { get; }

    public Uri ApiBase { get; }

    public string ApiKey { get; }

    /// <summary>The stand-in, when the sample runs on it: it can tell what Stripe would have counted.</summary>
    public StripeStandIn? StandIn => _standIn;

    public static async Task<StripeEndpoint> OpenAsync(string? stripeKey)
    {
        if (string.IsNullOrEmpty(stripeKey))
        {
            var standIn = new StripeStandIn();
            var address = await standIn.StartAsync();
            return new StripeEndpoint($"local Stripe stand-in at {address} (no real Stripe account, no real money)", address, StripeStandIn.DefaultApiKey, standIn, null);
        }

        if (!stripeKey.StartsWith("sk_test_", StringComparison.Ordinal) && !stripeKey.StartsWith("rk_test_", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("STRIPE_API_KEY must be a test-mode key (sk_test_… or rk_test_…): the sample creates customers and sends usage.");
        }

        var client = new HttpClient { BaseAddress = new Uri("https://api.stripe.com/") };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", stripeKey);
        return new StripeEndpoint("Stripe in test mode (STRIPE_API_KEY)", new Uri("https://api.stripe.com"), stripeKey, null, client);
    }

    /// <summary>Makes sure a meter exists for the event name.</summary>
    public async Task EnsureMeterAsync(string eventName, string displayName)
    {
        if (_standIn is not null)
        {
            _standIn.AddMeter(eventName);
            return;
        }

        using var existing = await GetJsonAsync("v1/billing/meters?status=active&limit=100");
        if (existing.RootElement.GetProperty("data").EnumerateArray().Any(m => m.GetProperty("event_name").GetString() == eventName))
        {
            return;
        }

        using var created = await PostFormAsync("v1/billing/meters", new Dictionary<string, string>
        {
            ["display_name"] = displayName,
            ["event_name"] = eventName,
            ["default_aggregation[formula]"] = "sum",
        });
    }

    /// <summary>Creates a customer for an account and returns its id.</summary>
    public async Task<string> CreateCustomerAsync(string account)
    {
        if (_standIn is not null)
        {
            return _standIn.HasCustomer("cus_" + account) ? "cus_" + account : _standIn.AddCustomer("cus_" + account);
        }

        using var customer = await PostFormAsync("v1/customers", new Dictionary<string, string>
        {
            ["name"] = $"Gravity.Usage sample {account}",
            ["metadata[account]"] = account,
        });
        return customer.RootElement.GetProperty("id").GetString()!;
    }

    public async ValueTask DisposeAsync()
    {
        _stripe?.Dispose();
        if (_standIn is not null)
        {
            await _standIn.DisposeAsync();
        }
    }

    private async Task<JsonDocument> GetJsonAsync(string path)
    {
        using var response = await _stripe!.GetAsync(new Uri(path, UriKind.Relative));
        return await ReadAsync(response);
    }

    private async Task<JsonDocument> PostFormAsync(string path, Dictionary<string, string> form)
    {
        using var content = new FormUrlEncodedContent(form);
        using var response = await _stripe!.PostAsync(new Uri(path, UriKind.Relative), content);
        return await ReadAsync(response);
    }

    private static async Task<JsonDocument> ReadAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Stripe answered {(int)response.StatusCode} while setting up the sample: {body}");
        }

        return JsonDocument.Parse(body);
    }
}
