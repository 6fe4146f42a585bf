using Gravity.Usage.Testing;
using Stripe;
using Stripe.Billing;

namespace Gravity.Usage.Sample;

/// <summary>
/// Where the sample's usage is billed: the local Stripe stand-in (the default, no real money, no network), or Stripe
/// itself in test mode when STRIPE_API_KEY holds a test key. Either way one Stripe.net client talks to it, as a host's
/// own client would, and the usage billing uses that same client.
/// </summary>
internal sealed class StripeEndpoint : IAsyncDisposable
{
    private readonly StripeStandIn? _standIn;

    private StripeEndpoint(string label, StripeClient client, StripeStandIn? standIn)
    {
        Label = label;
        Client = client;
        _standIn = standIn;
    }

    public string Label { get; }

    /// <summary>The Stripe.net client: the host's own, handed to UseStripe.</summary>
    public StripeClient Client { get; }

    /// <summary>The stand-in, when the sample runs on it: it can tell what Stripe would have counted.</summary>
    public StripeStandIn? StandIn => _standIn;

    public static async Task<StripeEndpoint> OpenAsync(string? stripeKey)
    {
        if (string.IsNullOrEmpty(stripeKey))
        {
            var standIn = new StripeStandIn();
            var address = (await standIn.StartAsync()).AbsoluteUri.TrimEnd('/');
            var local = new StripeClient(new StripeClientOptions { ApiKey = StripeStandIn.DefaultApiKey, ApiBase = address, MeterEventsBase = address });
            return new StripeEndpoint($"local Stripe stand-in at {address} (no real Stripe account, no real money)", local, standIn);
        }

        if (!stripeKey.StartsWith("sk_test_", StringComparison.Ordinal) && !stripeKey.StartsWith("rk_test_", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("STRIPE_API_KEY must be a test-mode key (sk_test_… or rk_test_…): the sample creates customers and sends usage.");
        }

        return new StripeEndpoint("Stripe in test mode (STRIPE_API_KEY)", new StripeClient(stripeKey), null);
    }

    /// <summary>Makes sure a meter exists for the event name, aggregating with <paramref name="formula"/> (sum or last).</summary>
    public async Task EnsureMeterAsync(string eventName, string displayName, string formula)
    {
        if (_standIn is not null)
        {
            _standIn.AddMeter(eventName, formula);
            return;
        }

        var existing = await Client.V1.Billing.Meters.ListAsync(new MeterListOptions { Status = "active", Limit = 100 });
        if (existing.Data.Any(m => m.EventName == eventName))
        {
            return;
        }

        await Client.V1.Billing.Meters.CreateAsync(new MeterCreateOptions
        {
            DisplayName = displayName,
            EventName = eventName,
            DefaultAggregation = new MeterDefaultAggregationOptions { Formula = formula },
        });
    }

    /// <summary>Creates a customer for an account and returns its id.</summary>
    public async Task<string> CreateCustomerAsync(string account)
    {
        if (_standIn is not null)
        {
            return _standIn.HasCustomer("cus_" + account) ? "cus_" + account : _standIn.AddCustomer("cus_" + account);
        }

        var customer = await Client.V1.Customers.CreateAsync(new CustomerCreateOptions
        {
            Name = $"Gravity.Usage sample {account}",
            Metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["account"] = account },
        });
        return customer.Id;
    }

    public async ValueTask DisposeAsync()
    {
        if (_standIn is not null)
        {
            await _standIn.DisposeAsync();
        }
    }
}
