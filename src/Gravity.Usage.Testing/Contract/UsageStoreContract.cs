using Gravity.Usage.Testing.Contract;

namespace Gravity.Usage.Testing;

/// <summary>
/// The store contract: every check a usage store must pass to stand in for the built-in SQLite and PostgreSQL stores
/// (writes and idempotency, duplicates and conflicts, totals and series, gauges, multi-meter calls, limits, closing, claims and
/// leases, delivery outcomes, report queries, operations reads, the account mapping, several store instances on one
/// ledger), driven through the public interfaces only, on a fake clock. Enumerate <see cref="Cases"/> as test cases of
/// any test framework and run each against a <see cref="UsageStoreContractFixture"/> of the provider under test.
/// </summary>
public static class UsageStoreContract
{
    private static readonly Lazy<IReadOnlyList<UsageStoreContractCase>> s_cases = new(CreateCases);

    /// <summary>Every case of the contract, in a stable order, each with a unique <see cref="UsageStoreContractCase.Name"/>.</summary>
    public static IReadOnlyList<UsageStoreContractCase> Cases => s_cases.Value;

    private static UsageStoreContractCase[] CreateCases()
    {
        UsageStoreContractCase[] cases =
        [
            .. WriteCases.All,
            .. ConflictCases.All,
            .. KeyCases.All,
            .. ReadCases.All,
            .. GaugeCases.All,
            .. LimitCases.All,
            .. MultiMeterCases.All,
            .. IdentifierCases.All,
            .. CloseCases.All,
            .. LedgerIdCases.All,
            .. DeliveryCases.All,
            .. OperationCases.All,
            .. AccountCases.All,
            .. InstanceCases.All,
        ];
        var duplicate = cases.GroupBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        return duplicate is null ? cases : throw new InvalidOperationException($"Two store contract cases are named {duplicate.Key}.");
    }
}
