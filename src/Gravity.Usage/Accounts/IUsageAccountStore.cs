namespace Gravity.Usage;

/// <summary>The built-in account mapping, kept beside the ledger: Stripe customer, billable flag, legacy items.</summary>
public interface IUsageAccountStore
{
    /// <summary>
    /// Creates or replaces an account's mapping. When the billable flag changes, the usage not yet reported is first
    /// closed under the old flag, so usage from a free period is never billed and usage from a paid period always is.
    /// </summary>
    /// <param name="account">The mapping. When it turns billable without <see cref="UsageAccount.BillableSince"/>, now is used.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the mapping is stored.</returns>
    Task SaveAccountAsync(UsageAccount account, CancellationToken cancellationToken = default);

    /// <summary>Reads an account's mapping.</summary>
    /// <param name="account">The host application's customer id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The mapping, or <see langword="null"/> when none is stored.</returns>
    Task<UsageAccount?> GetAccountAsync(string account, CancellationToken cancellationToken = default);
}
