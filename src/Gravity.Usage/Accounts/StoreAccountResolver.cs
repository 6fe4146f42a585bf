namespace Gravity.Usage;

/// <summary>The default resolver: the built-in account table.</summary>
internal sealed class StoreAccountResolver(IUsageAccountStore store) : IUsageAccountResolver
{

    public Task<UsageAccount?> ResolveAsync(string account, CancellationToken cancellationToken = default) =>
        store.GetAccountAsync(account, cancellationToken);
}
