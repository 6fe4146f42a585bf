using Microsoft.Extensions.DependencyInjection;

namespace Gravity.Usage.AspNetCore.Flush;

/// <summary>Finds who answers "which accounts belong to this Stripe customer" for the invoice flush.</summary>
internal static class CustomerAccountsSource
{
    /// <summary>
    /// The host's own <see cref="IStripeCustomerAccounts"/> when registered; otherwise the built-in account store's, unless
    /// the host resolves accounts itself (<c>UseAccountResolver</c>): its account table, not the built-in one, knows the
    /// customers then.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <returns>The lookup.</returns>
    /// <exception cref="InvalidOperationException">No lookup fits; the message says what to register.</exception>
    public static IStripeCustomerAccounts Resolve(IServiceProvider services)
    {
        if (services.GetService<IStripeCustomerAccounts>() is { } registered)
        {
            return registered;
        }

        var resolver = services.GetService<IUsageAccountResolver>();
        if (resolver is not null && resolver.GetType().Assembly != typeof(IUsageAccountResolver).Assembly)
        {
            throw new InvalidOperationException(
                "The Stripe usage webhook cannot find the accounts of a Stripe customer: the host resolves accounts itself " +
                $"({resolver.GetType().Name}), so register an IStripeCustomerAccounts that looks them up in the same table.");
        }

        return services.GetService<IUsageAccountStore>() as IStripeCustomerAccounts
            ?? throw new InvalidOperationException(
                "The Stripe usage webhook cannot find the accounts of a Stripe customer: the usage store does not implement " +
                "IStripeCustomerAccounts. Register one, or call AddUsageBilling with a built-in store.");
    }
}
