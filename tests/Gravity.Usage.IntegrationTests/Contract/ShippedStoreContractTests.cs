using Gravity.Usage.Testing;

namespace Gravity.Usage.IntegrationTests.Contract;

/// <summary>
/// The store contract that Gravity.Usage.Testing ships (<see cref="UsageStoreContract"/>), run as a third-party provider's
/// author runs it: one test case per contract case, on a real SQLite file and on the real PostgreSQL.
/// </summary>
[TestFixture(typeof(SqliteStoreFixture))]
[TestFixture(typeof(PostgreSqlStoreFixture))]
public sealed class ShippedStoreContractTests<TFixture>
    where TFixture : IStoreFixture, new()
{
    private static IEnumerable<TestCaseData> Cases => UsageStoreContract.Cases.Select(c => new TestCaseData(c).SetName(c.Name));

    [TestCaseSource(nameof(Cases))]
    public Task RunAsync_OnTheProvider_MeetsTheContract(UsageStoreContractCase contractCase) =>
        contractCase.RunAsync(new StoreFixtureContract<TFixture>());
}
