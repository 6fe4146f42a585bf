namespace Gravity.Usage;

/// <summary>
/// The default <see cref="IUsageAccountResolver"/>: the account mapping a store keeps itself
/// (<see cref="IUsageAccountStore"/>). Being an <see cref="IStoredPlanAccountResolver"/>, it lets the store decide
/// each report's plan inside its close transaction.
/// </summary>
/// <param name="store">The store that keeps the accounts.</param>
public sealed class StoreAccountResolver(IUsageAccountStore store) : IStoredPlanAccountResolver
{
    /// <inheritdoc />
    public IUsageAccountStore AccountStore { get; } = store ?? throw new ArgumentNullException(nameof(store));

    /// <inheritdoc />
    public Task<UsageAccount?> ResolveAsync(string account, CancellationToken cancellationToken = default) =>
        AccountStore.GetAccountAsync(account, cancellationToken);
}
