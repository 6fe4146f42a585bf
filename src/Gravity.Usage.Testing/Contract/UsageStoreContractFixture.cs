namespace Gravity.Usage.Testing;

/// <summary>
/// A store provider's side of the store contract (<see cref="UsageStoreContract"/>): makes fresh, empty ledgers for the
/// suite to run its cases on. Implement it once per provider; the suite asks for a ledger at the start of every case
/// (two for the cases that compare ledgers) and disposes each one, which deletes it, at the end.
/// </summary>
public abstract class UsageStoreContractFixture
{
    /// <summary>
    /// Creates a fresh, empty ledger (a database, a schema, a file) that no other case uses. The schema need not exist
    /// yet: the suite's stores install it through <see cref="IUsageStore.EnsureSchemaAsync"/> as they would in a host.
    /// </summary>
    /// <param name="cancellationToken">Cancels the creation.</param>
    /// <returns>The ledger; the suite disposes it when the case ends.</returns>
    public abstract Task<UsageStoreContractLedger> CreateLedgerAsync(CancellationToken cancellationToken = default);
}
