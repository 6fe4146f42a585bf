namespace Gravity.Usage.IntegrationTests.Contract;

/// <summary>A store as the contract sees it: the ledger, its outbox and its account mapping, whatever the provider.</summary>
public sealed class PersistentStore(object store) : IAsyncDisposable
{
    public IUsageStore Ledger { get; } = (IUsageStore)store;

    public IUsageReportStore Reports { get; } = (IUsageReportStore)store;

    public IUsageAccountStore Accounts { get; } = (IUsageAccountStore)store;

    public IUsageReconciliationStore Reconciliation { get; } = (IUsageReconciliationStore)store;

    public ValueTask DisposeAsync() => ((IAsyncDisposable)store).DisposeAsync();
}
