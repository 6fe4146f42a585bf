namespace Gravity.Usage.Testing.Contract;

/// <summary>
/// A store as the contract sees it: one object behind the interfaces a host resolves from it. A store that lacks an
/// interface a case needs fails that case, naming the interface.
/// </summary>
internal sealed class ContractStore(IUsageStore store)
{
    public IUsageStore Ledger { get; } = store;

    public IUsageReportStore Reports => As<IUsageReportStore>();

    public IUsageAccountStore Accounts => As<IUsageAccountStore>();

    public IUsageReportCounts Counts => As<IUsageReportCounts>();

    public IStripeCustomerAccounts Customers => As<IStripeCustomerAccounts>();

    private T As<T>()
        where T : class =>
        Ledger as T ?? throw new ContractCheckFailure($"the store also implements {typeof(T).Name}", typeof(T).Name, Ledger.GetType().FullName ?? "?");
}
