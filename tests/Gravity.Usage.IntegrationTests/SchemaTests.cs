using Gravity.Usage.IntegrationTests.Infrastructure;
using Gravity.Usage.Sqlite;
using Microsoft.Extensions.Logging.Testing;

namespace Gravity.Usage.IntegrationTests;

/// <summary>Schema install: idempotent, safe under concurrency, refusing newer databases, and applicable by hand (DESIGN §4.1).</summary>
public sealed class SchemaTests : LedgerTest
{
    private static readonly string[] UsageTables = ["usage_account", "usage_account_cycle", "usage_account_item", "usage_correction", "usage_counter", "usage_gauge", "usage_idempotency_hash", "usage_idempotency_key", "usage_ledger", "usage_report", "usage_report_correction", "usage_report_mapping", "usage_schema_version"];

    [Test]
    public async Task EnsureSchemaAsync_TwiceAndFromTwoStores_InstallsOnce()
    {
        var first = CreateStore();
        var second = CreateStore();

        await first.EnsureSchemaAsync();
        await first.EnsureSchemaAsync();
        await second.EnsureSchemaAsync();

        Assert.Multiple(() =>
        {
            Assert.That(Database.TableNames(), Is.EqualTo(UsageTables));
            Assert.That(SchemaVersions(Database), Is.EqualTo(ExpectedVersions()));
        });
    }

    [Test]
    public async Task EnsureSchemaAsync_FileInADirectoryNotYetMade_CreatesItAndLogsWhereTheLedgerIs()
    {
        var directory = Path.Combine(Path.GetTempPath(), "gravity-usage-tests", Guid.NewGuid().ToString("N"), "data");
        var path = Path.Combine(directory, "ledger.db");
        var logger = new FakeLogger<SqliteUsageStore>();
        try
        {
            await using var store = new SqliteUsageStore(new SqliteUsageStoreOptions { ConnectionString = $"Data Source={path}" }, Clock, logger: logger);

            await store.EnsureSchemaAsync();

            Assert.Multiple(() =>
            {
                Assert.That(File.Exists(path), Is.True);
                Assert.That(logger.Collector.GetSnapshot().Select(r => r.Message), Does.Contain($"Usage ledger: {path}"));
            });
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(Path.GetDirectoryName(directory)!, recursive: true);
        }
    }

    [Test]
    [Repeat(3)]
    public async Task EnsureSchemaAsync_EightStoresAtOnceOnAFreshFile_AllSucceedAndEachVersionIsRecordedOnce()
    {
        var file = NewDatabaseFile();
        var stores = Enumerable.Range(0, 8).Select(_ => CreateStore(file)).ToList();
        using var go = new ManualResetEventSlim();

        var installs = stores.Select(store => Task.Run(async () =>
        {
            go.Wait();
            await store.EnsureSchemaAsync();
        })).ToList();
        go.Set();
        await Task.WhenAll(installs);

        var meter = CreateMeter(stores[^1]);
        await meter.IncrementAsync("acct", 2);
        Assert.Multiple(() =>
        {
            Assert.That(SchemaVersions(file), Is.EqualTo(ExpectedVersions()));
            Assert.That(file.CounterRows(), Has.Count.EqualTo(1));
        });
    }

    [Test]
    public async Task EnsureSchemaAsync_DatabaseNewerThanLibrary_IsRefusedAndLeftUntouched()
    {
        var meter = CreateMeter(CreateStore());
        await meter.IncrementAsync("acct", 3, idempotencyKey: "req-1");
        var future = SqliteUsageStore.SchemaVersion + 1;
        Database.Execute($"INSERT INTO usage_schema_version (version, name, applied_at) VALUES ({future}, 'from_the_future', '2030-01-01')");
        var schemaBefore = SchemaObjects(Database);
        var versionsBefore = SchemaVersions(Database);

        var store = CreateStore();
        var ensureError = Assert.ThrowsAsync<UsageSchemaException>(() => store.EnsureSchemaAsync())!;
        var incrementError = Assert.ThrowsAsync<UsageSchemaException>(() => CreateMeter(store).IncrementAsync("acct", 1));
        var verifyError = Assert.ThrowsAsync<UsageSchemaException>(() => CreateStore(configure: o => o.PrepareSchemaIfNecessary = false).EnsureSchemaAsync());

        Assert.Multiple(() =>
        {
            Assert.That(ensureError.Message, Does.Contain($"version {future}, newer than"));
            Assert.That(incrementError!.Message, Does.Contain("newer than"), "the meter's callers get the schema error");
            Assert.That(verifyError!.Message, Does.Contain("newer than"), "also when only verifying");
            Assert.That(SchemaObjects(Database), Is.EqualTo(schemaBefore));
            Assert.That(SchemaVersions(Database), Is.EqualTo(versionsBefore));
            Assert.That(Database.CounterRows(), Is.EqualTo(new[] { $"acct | usage | {Start.ToUnixTimeSeconds()} | 3 | 0" }));
        });
    }

    [Test]
    public void EnsureSchemaAsync_PrepareSchemaOffOnEmptyFile_IsRefusedNamingTheInstallScript()
    {
        var store = CreateStore(configure: o => o.PrepareSchemaIfNecessary = false);

        var ex = Assert.ThrowsAsync<UsageSchemaException>(() => store.EnsureSchemaAsync())!;

        Assert.Multiple(() =>
        {
            Assert.That(ex.Message, Does.Contain("GetInstallScript"));
            Assert.That(Database.TableNames(), Is.Empty, "the store created nothing");
        });
    }

    [Test]
    public async Task GetInstallScript_AppliedByHandTwice_StoreWithoutSchemaPreparationWorks()
    {
        Database.Execute(SqliteUsageStore.GetInstallScript());
        Database.Execute(SqliteUsageStore.GetInstallScript());

        var meter = CreateMeter(CreateStore(configure: o => o.PrepareSchemaIfNecessary = false));
        await meter.IncrementAsync("acct", 6);

        var total = await TotalAsync(meter, "acct");
        Assert.Multiple(() =>
        {
            Assert.That(total, Is.EqualTo(6));
            Assert.That(Database.TableNames(), Is.EqualTo(UsageTables));
            Assert.That(SchemaVersions(Database), Is.EqualTo(ExpectedVersions()));
        });
    }

    [Test]
    public async Task GetInstallScript_OnDatabaseInstalledByTheStore_ChangesNothing()
    {
        var meter = CreateMeter(CreateStore());
        await meter.IncrementAsync("acct", 6);
        var schemaBefore = SchemaObjects(Database);
        var versionsBefore = Database.Query("SELECT version, name, applied_at FROM usage_schema_version").Select(r => string.Join(" | ", r)).ToList();

        Database.Execute(SqliteUsageStore.GetInstallScript());

        Assert.Multiple(() =>
        {
            Assert.That(SchemaObjects(Database), Is.EqualTo(schemaBefore));
            Assert.That(Database.Query("SELECT version, name, applied_at FROM usage_schema_version").Select(r => string.Join(" | ", r)), Is.EqualTo(versionsBefore));
            Assert.That(Database.CounterRows(), Has.Count.EqualTo(1));
        });
    }

    [Test]
    public async Task GetInstallScript_AppliedAgainOnALedgerWithAZeroGaugeReport_KeepsEveryReport()
    {
        // The sqlite3 shell carries on after a failed statement, so a rebuild whose copy fails would drop the reports.
        await CreateStore().EnsureSchemaAsync();
        Database.Execute("""
            INSERT INTO usage_report (identifier, account, meter, bucket_start, quantity, status, next_attempt_at, created_at)
            VALUES ('gauge', 'acct', 'seats', 0, 0, 'sent', 0, 0), ('sum', 'acct', 'usage', 0, 5, 'pending', 0, 0)
            """);

        Database.Execute(SqliteUsageStore.GetInstallScript());

        Assert.That(Database.Query("SELECT identifier, quantity FROM usage_report ORDER BY identifier").Select(r => $"{r[0]}={r[1]}"), Is.EqualTo(new[] { "gauge=0", "sum=5" }));
    }

    [Test]
    public async Task GetInstallScript_WithPrefix_CreatesOnlyPrefixedTables()
    {
        Database.Execute(SqliteUsageStore.GetInstallScript("pfx_"));

        var meter = CreateMeter(CreateStore(configure: o =>
        {
            o.TablePrefix = "pfx_";
            o.PrepareSchemaIfNecessary = false;
        }));
        await meter.IncrementAsync("acct", 2);

        Assert.Multiple(() =>
        {
            Assert.That(Database.TableNames(), Is.EqualTo(UsageTables.Select(t => "pfx_" + t)));
            Assert.That(Database.Query("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").Select(r => (string)r[0]), Is.All.StartsWith("pfx_"));
            Assert.That(Database.CounterRows("pfx_"), Has.Count.EqualTo(1));
        });
    }

    [Test]
    public async Task TablePrefix_TwoLedgersInOneFile_AreIndependent()
    {
        var plain = CreateMeter(CreateStore());
        var prefixed = CreateMeter(CreateStore(configure: o => o.TablePrefix = "tenant_b_"));

        await plain.IncrementAsync("acct", 1, idempotencyKey: "req-1");
        var prefixedOutcome = await prefixed.IncrementAsync("acct", 10, idempotencyKey: "req-1");
        await prefixed.IncrementAsync("acct", 10);

        var totals = new[] { await TotalAsync(plain, "acct"), await TotalAsync(prefixed, "acct") };
        Assert.Multiple(() =>
        {
            Assert.That(prefixedOutcome, Is.EqualTo(IncrementOutcome.Recorded), "keys are per ledger");
            Assert.That(totals, Is.EqualTo(new long[] { 1, 20 }));
            Assert.That(Database.TableNames(), Is.EqualTo(UsageTables.Concat(UsageTables.Select(t => "tenant_b_" + t)).Order(StringComparer.Ordinal)));
        });
    }

    [Test]
    public async Task EnsureSchemaAsync_FirstUse_SwitchesTheFileToWriteAheadLogging()
    {
        var store = CreateStore();

        await store.EnsureSchemaAsync();

        Assert.That(Database.ExecuteScalar("PRAGMA journal_mode"), Is.EqualTo("wal"));
    }

    private static int[] ExpectedVersions() => [.. Enumerable.Range(1, SqliteUsageStore.SchemaVersion)];

    private static IEnumerable<long> SchemaVersions(SqliteFile file) =>
        file.Query("SELECT version FROM usage_schema_version ORDER BY version").Select(r => (long)r[0]);

    private static IEnumerable<string> SchemaObjects(SqliteFile file) =>
        file.Query("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").Select(r => string.Join(" | ", r));
}
