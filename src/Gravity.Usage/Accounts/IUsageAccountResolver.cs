namespace Gravity.Usage;

/// <summary>
/// Tells the reporter how an account is billed. The default reads the built-in account table
/// (<see cref="IUsageAccountStore"/>); a host whose own account table holds the plan and the Stripe ids implements it
/// instead and registers it with <c>UseAccountResolver</c>.
/// </summary>
public interface IUsageAccountResolver
{
    /// <summary>Looks an account up.</summary>
    /// <param name="account">The host application's customer id.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The account's billing ids, or <see langword="null"/> when the account is unknown (its reports then fail until it is mapped).</returns>
    Task<UsageAccount?> ResolveAsync(string account, CancellationToken cancellationToken = default);
}
