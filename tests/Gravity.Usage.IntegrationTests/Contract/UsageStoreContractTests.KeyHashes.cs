namespace Gravity.Usage.IntegrationTests.Contract;

/// <summary>
/// Idempotency keys stored as 16-byte hashes (schema version 8; a BLOB on SQLite, a uuid on PostgreSQL): the built-in
/// providers write one hash row per key and no key as text. (How keys behave, across batches and stores, is the shipped contract's.)
/// </summary>
public sealed partial class UsageStoreContractTests<TFixture>
{
    [Test]
    public async Task WriteAsync_KeysFromSeveralBatchesAndStores_AreStoredAsOneHashRowEachAndNeverAsText()
    {
        await Store.Ledger.WriteAsync([Increment("acct", 3, "req-1"), Increment("acct", 1, "req-2")]);
        await Store.Ledger.WriteAsync([Increment("acct", 3, "req-1")]);
        await Fixture.CreateStore(Clock).Ledger.WriteAsync([Increment("acct", 3, "req-1"), Increment("acct", 5, "req-3")]);

        Assert.Multiple(async () =>
        {
            Assert.That(await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Table(HashTable)}"), Is.EqualTo(3), "one row per key");
            Assert.That(await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Table(TextKeyTable)}"), Is.Zero, "no key is written as text any more");
        });
    }
}
