namespace Gravity.Usage;

/// <summary>
/// Finds the accounts billed to a Stripe customer: what an invoice-time flush needs, since Stripe's invoice names the
/// customer, not the host's accounts. The built-in stores implement it over their account mapping; a host with its
/// own <see cref="IUsageAccountResolver"/> registers its own implementation.
/// </summary>
public interface IStripeCustomerAccounts
{
    /// <summary>Finds the accounts mapped to a Stripe customer.</summary>
    /// <param name="stripeCustomerId">The Stripe customer (<c>cus_…</c>).</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The accounts, ordered; empty when none is mapped to the customer.</returns>
    /// <exception cref="UsageInputException"><paramref name="stripeCustomerId"/> is missing, empty or longer than 255 characters.</exception>
    Task<IReadOnlyList<string>> FindAccountsAsync(string stripeCustomerId, CancellationToken cancellationToken = default);
}
