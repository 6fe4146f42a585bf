using System.Globalization;
using Gravity.Usage.Internal;
using Microsoft.Extensions.Options;
using StripeNet = global::Stripe;

namespace Gravity.Usage.Stripe;

/// <summary>
/// Reads an account's billing cycle from its Stripe subscription (<c>GET /v1/subscriptions/{id}</c> through
/// Stripe.net): the subscription's <c>billing_cycle_anchor</c> and its recurring price's <c>interval</c> and
/// <c>interval_count</c>, and can save it on the account's built-in mapping. <c>UseStripe</c> registers it.
/// </summary>
/// <remarks>
/// Read the cycle again whenever the subscription changes in a way that moves its periods (a plan change that resets
/// the anchor, a new interval), for example from the <c>customer.subscription.updated</c> webhook: saving it closes the
/// usage so far under the old cycle. Dispose it (a DI container does) to release the HTTP client it created.
/// </remarks>
public sealed class StripeBillingCycles : IDisposable
{
    private readonly StripeTransport _transport;
    private readonly StripeNet.SubscriptionService _subscriptions;
    private readonly IUsageAccountStore? _accounts;

    /// <summary>Initializes a new instance of the <see cref="StripeBillingCycles"/> class.</summary>
    /// <param name="options">The Stripe options (key or client, address, timeouts); validated here, listing every failure.</param>
    /// <param name="accounts">The built-in account mapping <see cref="SaveFromSubscriptionAsync"/> writes to; optional.</param>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public StripeBillingCycles(StripeOptions options, IUsageAccountStore? accounts = null)
    {
        _transport = new StripeTransport(options, TimeProvider.System);
        _subscriptions = new StripeNet.SubscriptionService(_transport.Client);
        _accounts = accounts;
    }

    /// <summary>Reads the billing cycle of a Stripe subscription.</summary>
    /// <param name="subscriptionId">The subscription (<c>sub_…</c>): 1 to 255 characters of the identifier rule.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The cycle: anchored at <c>billing_cycle_anchor</c>, repeating every <c>interval_count</c> <c>interval</c>s.</returns>
    /// <exception cref="UsageInputException">The id breaks the rule in the message; nothing was sent.</exception>
    /// <exception cref="StripeNet.StripeException">Stripe refused the request (an unknown subscription, a bad key).</exception>
    /// <exception cref="InvalidOperationException">The subscription has no recurring price, or its interval is not a billing cycle.</exception>
    public async Task<BillingCycle> ReadAsync(string subscriptionId, CancellationToken cancellationToken = default)
    {
        return (await ReadSubscriptionAsync(subscriptionId, cancellationToken).ConfigureAwait(false)).Cycle;
    }

    /// <summary>
    /// Reads the billing cycle of a Stripe subscription and saves it on an account's built-in mapping, keeping the rest
    /// of the mapping (an account not mapped yet is mapped to the subscription's customer). When the cycle changed, the
    /// usage so far is closed under the old one first (see <see cref="IUsageAccountStore.SaveAccountAsync"/>).
    /// </summary>
    /// <param name="account">The host application's customer id.</param>
    /// <param name="subscriptionId">The account's subscription (<c>sub_…</c>).</param>
    /// <param name="cancellationToken">Cancels the request and the save.</param>
    /// <returns>The account's mapping as saved.</returns>
    /// <exception cref="UsageInputException">An argument breaks the rule in the message; nothing was sent or saved.</exception>
    /// <exception cref="InvalidOperationException">No built-in account mapping was given, or the subscription has no billing cycle.</exception>
    /// <exception cref="StripeNet.StripeException">Stripe refused the request; nothing was saved.</exception>
    public async Task<UsageAccount> SaveFromSubscriptionAsync(string account, string subscriptionId, CancellationToken cancellationToken = default)
    {
        UsageRules.ValidateAccount(account);
        var accounts = _accounts ?? throw new InvalidOperationException("Saving a billing cycle needs the built-in account mapping (IUsageAccountStore); with an account resolver of your own, store the cycle from ReadAsync yourself.");
        var (cycle, customer) = await ReadSubscriptionAsync(subscriptionId, cancellationToken).ConfigureAwait(false);
        var mapping = await accounts.GetAccountAsync(account, cancellationToken).ConfigureAwait(false) ?? new UsageAccount(account) { StripeCustomerId = customer };
        mapping = mapping with { BillingCycle = cycle };
        await accounts.SaveAccountAsync(mapping, cancellationToken).ConfigureAwait(false);
        return mapping;
    }

    /// <summary>Releases the HTTP client this reader created, if it created one.</summary>
    public void Dispose() => _transport.Dispose();

    private async Task<(BillingCycle Cycle, string? Customer)> ReadSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken)
    {
        UsageRules.ValidateIdentifier(subscriptionId, nameof(subscriptionId), "A Stripe subscription id", UsageRules.MaxStripeIdLength);
        StripeNet.Subscription subscription;
        using (var limit = _transport.LimitCall(cancellationToken))
        {
            subscription = await _subscriptions.GetAsync(subscriptionId, cancellationToken: limit.Token).ConfigureAwait(false);
        }

        // Stripe requires one interval for all recurring prices of a subscription; the first recurring item names it.
        var recurring = subscription.Items?.Data?.Select(i => i.Price?.Recurring).FirstOrDefault(r => r is not null)
            ?? throw new InvalidOperationException($"Subscription '{subscriptionId}' has no recurring price, so it has no billing cycle.");
        var interval = BillingIntervalText.Parse(recurring.Interval)
            ?? throw new InvalidOperationException($"Subscription '{subscriptionId}' repeats every '{recurring.Interval}', which is not day, week, month or year.");
        try
        {
            var anchor = new DateTimeOffset(DateTime.SpecifyKind(subscription.BillingCycleAnchor, DateTimeKind.Utc));
            return (new BillingCycle(anchor, interval, checked((int)recurring.IntervalCount)), subscription.CustomerId);
        }
        catch (Exception ex) when (ex is ArgumentException or OverflowException)
        {
            throw new InvalidOperationException(
                string.Create(CultureInfo.InvariantCulture, $"Subscription '{subscriptionId}' has no usable billing cycle (anchor {subscription.BillingCycleAnchor:O}, every {recurring.IntervalCount} {recurring.Interval}): {ex.Message}"),
                ex);
        }
    }
}
