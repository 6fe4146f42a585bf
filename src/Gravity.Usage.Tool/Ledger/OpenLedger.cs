namespace Gravity.Usage.Tool.Ledger;

/// <summary>An opened ledger: the store as the commands use it, and how to name it without a secret.</summary>
internal sealed class OpenLedger(object store, string description) : IAsyncDisposable
{
    public IUsageStore Usage { get; } = (IUsageStore)store;

    public IUsageReportStore Reports { get; } = (IUsageReportStore)store;

    public IUsageReportCounts Counts { get; } = (IUsageReportCounts)store;

    public IUsageReconciliationStore Reconciliation { get; } = (IUsageReconciliationStore)store;

    /// <summary>Gets the ledger's name for output: the file, or the server, database and schema; never a password.</summary>
    public string Description { get; } = description;

    public ValueTask DisposeAsync() => ((IAsyncDisposable)store).DisposeAsync();
}
