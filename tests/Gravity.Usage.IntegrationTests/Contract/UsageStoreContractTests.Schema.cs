using Gravity.Usage.Sqlite;

namespace Gravity.Usage.IntegrationTests.Contract;

/// <summary>Schema install: idempotent, safe under concurrency, refusing newer databases, and applicable by hand.</summary>
public sealed partial class UsageStoreContractTests<TFixture>
{
    private static readonly long[] AllVersions = [.. Enumerable.Range(1, SqliteUsageStore.SchemaVersion).Select(v => (long)v)];

    [Test]
    public void SchemaVersion_OnEveryProvider_IsTheSame() =>
        Assert.That(global::Gravity.Usage.PostgreSql.PostgreSqlUsageStore.SchemaVersion, Is.EqualTo(SqliteUsageStore.SchemaVersion), "each schema change ships for both providers");

    [Test]
    public async Task EnsureSchemaAsync_TwiceAndFromTwoStores_RecordsEachVersionOnce()
    {
        await Store.Ledger.EnsureSchemaAsync();
        await Store.Ledger.EnsureSchemaAsync();
        await Fixture.CreateStore(Clock).Ledger.EnsureSchemaAsync();

        Assert.That(await SchemaVersionsAsync(), Is.EqualTo(AllVersions));
    }

    [Test]
    public async Task EnsureSchemaAsync_EightStoresAtOnceOnAFreshDatabase_AllSucceedAndEachVersionIsRecordedOnce()
    {
        var stores = Enumerable.Range(0, 8).Select(_ => Fixture.CreateStore(Clock)).ToList();
        using var go = new ManualResetEventSlim();
        var installs = stores.Select(s => Task.Run(async () =>
        {
            go.Wait();
            await s.Ledger.EnsureSchemaAsync();
        })).ToList();

        go.Set();
        await Task.WhenAll(installs);

        var written = await stores[^1].Ledger.WriteAsync([Increment("acct", 2)]);
        Assert.Multiple(async () =>
        {
            Assert.That(await SchemaVersionsAsync(), Is.EqualTo(AllVersions));
            Assert.That(written, Is.EqualTo(new[] { UsageWriteStatus.Recorded }));
        });
    }

    [Test]
    public async Task EnsureSchemaAsync_DatabaseNewerThanLibrary_IsRefusedAndLeftUntouched()
    {
        await Store.Ledger.WriteAsync([Increment("acct", 3, "req-1")]);
        await Fixture.ExecuteAsync($"INSERT INTO {Fixture.Table("usage_schema_version")} (version, name, applied_at) VALUES (99, 'from_the_future', '2030-01-01')");

        var ex = Assert.ThrowsAsync<UsageSchemaException>(() => Fixture.CreateStore(Clock).Ledger.EnsureSchemaAsync());

        Assert.Multiple(async () =>
        {
            Assert.That(ex!.Message, Does.Contain("newer"));
            Assert.That(await SchemaVersionsAsync(), Is.EqualTo(AllVersions.Append(99L)));
            Assert.That(await TotalAsync("acct"), Is.EqualTo(3));
        });
    }

    [Test]
    public async Task EnsureSchemaAsync_WithoutPrepare_RefusesAMissingSchemaAndAcceptsTheInstallScriptAppliedByHand()
    {
        var manual = Fixture.CreateStore(Clock, prepareSchema: false);
        var missing = Assert.ThrowsAsync<UsageSchemaException>(() => manual.Ledger.EnsureSchemaAsync());

        await Fixture.ExecuteAsync(Fixture.InstallScript);
        await Fixture.ExecuteAsync(Fixture.InstallScript);
        await manual.Ledger.EnsureSchemaAsync();
        var written = await manual.Ledger.WriteAsync([Increment("acct", 4)]);

        Assert.Multiple(async () =>
        {
            Assert.That(missing!.Message, Does.Contain("GetInstallScript"));
            Assert.That(written, Is.EqualTo(new[] { UsageWriteStatus.Recorded }));
            Assert.That(await SchemaVersionsAsync(), Is.EqualTo(AllVersions));
            Assert.That(await TotalAsync("acct"), Is.EqualTo(4), "a store that installs finds the hand-made schema complete");
        });
    }

    private Task<IReadOnlyList<long>> SchemaVersionsAsync() =>
        Fixture.ColumnAsync($"SELECT version FROM {Fixture.Table("usage_schema_version")} ORDER BY version");
}
