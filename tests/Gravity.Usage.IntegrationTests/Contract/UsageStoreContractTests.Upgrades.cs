using Gravity.Usage.Internal;
using Gravity.Usage.PostgreSql;
using Gravity.Usage.Sqlite;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Gravity.Usage.IntegrationTests.Contract;

/// <summary>
/// Ledgers made by earlier versions of the built-in providers, rebuilt with raw SQL, upgrade in place: keys stored
/// before fingerprints (version 4), before the ledger id (version 3) and as text before hashes (version 8) keep
/// protecting retries, and pending reports keep their identifiers. What the shipped contract
/// (<see cref="Gravity.Usage.Testing.UsageStoreContract"/>) cannot see through the interfaces.
/// </summary>
public sealed partial class UsageStoreContractTests<TFixture>
{
    private const string HashTable = "usage_idempotency_hash";
    private const string TextKeyTable = "usage_idempotency_key";
    private const string ApiCalls = "api_calls";
    private const string Tokens = "tokens";

    [Test]
    public async Task IncrementAsync_KeyStoredBeforeFingerprints_CountsAsAMatch()
    {
        await Store.Ledger.EnsureSchemaAsync();
        await Fixture.ExecuteAsync(
            $"INSERT INTO {Fixture.Table("usage_idempotency_key")} (account, meter, idempotency_key, recorded_at) VALUES ('acct', 'tokens', 'req-old', {Start.ToUnixTimeMilliseconds()})");
        var meter = CreateChatMeter();

        var single = await meter.IncrementAsync("acct", 7, Tokens, idempotencyKey: "req-old");
        var call = await meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment(Tokens, 9)], idempotencyKey: "req-old");

        Assert.Multiple(async () =>
        {
            Assert.That((single, call), Is.EqualTo((IncrementOutcome.Duplicate, IncrementOutcome.Duplicate)));
            Assert.That(await CounterCountAsync(), Is.Zero);
            Assert.That(await KeyCountAsync(), Is.EqualTo(1), "the call released the api_calls key row it tried");
        });
    }

    [Test]
    public async Task EnsureSchemaAsync_KeysOfALedgerFromBeforeVersion4_AreKeptWithoutFingerprintAndMatchAnyRetry()
    {
        // A ledger as version 3 left it, with one key in the old table.
        await Store.Ledger.EnsureSchemaAsync();
        await Fixture.ExecuteAsync($"DROP TABLE {Fixture.Table("usage_idempotency_key")}");
        await Fixture.ExecuteAsync($"CREATE TABLE {Fixture.Table("usage_idempotency")} (account text NOT NULL, meter text NOT NULL, idempotency_key text NOT NULL, recorded_at bigint NOT NULL, PRIMARY KEY (account, meter, idempotency_key))");
        await Fixture.ExecuteAsync($"INSERT INTO {Fixture.Table("usage_idempotency")} VALUES ('acct', 'tokens', 'req-old', {Start.ToUnixTimeMilliseconds()})");
        await Fixture.ExecuteAsync($"DELETE FROM {Fixture.Table("usage_schema_version")} WHERE version >= 4");

        var upgraded = Fixture.CreateStore(Clock);
        var meter = CreateChatMeter(upgraded.Ledger);
        var retry = await meter.IncrementAsync("acct", 8, Tokens, idempotencyKey: "req-old");
        var fresh = await meter.IncrementAsync("acct", 8, Tokens, idempotencyKey: "req-new");
        var conflict = Assert.ThrowsAsync<UsageIdempotencyConflictException>(() => meter.IncrementAsync("acct", 9, Tokens, idempotencyKey: "req-new"));

        Assert.Multiple(async () =>
        {
            Assert.That(await SchemaVersionsAsync(), Is.EqualTo(AllVersions));
            Assert.That((retry, fresh), Is.EqualTo((IncrementOutcome.Duplicate, IncrementOutcome.Recorded)));
            Assert.That(conflict, Is.Not.Null);
            Assert.That(await TotalAsync("acct", Tokens), Is.EqualTo(8));
            Assert.That(await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Table("usage_idempotency_key")} WHERE fingerprint IS NULL"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task LedgerId_ALedgerFromBeforeVersion3_IsUpgradedAndKeepsItsPendingReportsAndReportsOnCorrectly()
    {
        // A ledger as version 2 left it: reports closed, one pending, no ledger id, and keys without fingerprints.
        await Store.Ledger.WriteAsync([Increment("acct", 5)]);
        var old = await CloseAsync("acct");
        await Fixture.ExecuteAsync($"DROP TABLE {Fixture.Table("usage_ledger")}");
        await Fixture.ExecuteAsync($"DROP TABLE {Fixture.Table("usage_idempotency_key")}");
        await Fixture.ExecuteAsync($"CREATE TABLE {Fixture.Table("usage_idempotency")} (account text NOT NULL, meter text NOT NULL, idempotency_key text NOT NULL, recorded_at bigint NOT NULL, PRIMARY KEY (account, meter, idempotency_key))");
        await Fixture.ExecuteAsync($"DELETE FROM {Fixture.Table("usage_schema_version")} WHERE version >= 3");

        var upgraded = Fixture.CreateStore(Clock);
        await upgraded.Ledger.EnsureSchemaAsync();
        await upgraded.Ledger.WriteAsync([Increment("acct", 4)]);
        var fresh = await upgraded.Reports.CloseAsync([new ReportClosing("acct", Usage, Start, Start + Hour, null)], Clock.GetUtcNow());
        var ledgerId = await Fixture.TextAsync($"SELECT ledger_id FROM {Fixture.Table("usage_ledger")}");
        var all = await upgraded.Reports.ListReportsAsync(new UsageReportQuery());

        Assert.Multiple(async () =>
        {
            Assert.That(await SchemaVersionsAsync(), Is.EqualTo(AllVersions));
            Assert.That(all.Select(r => (r.Identifier, r.Quantity, r.Status)), Is.EquivalentTo(new[]
            {
                (old.Single().Identifier, 5L, UsageReportStatus.Pending),
                (ReportIdentifier.Create(ledgerId, "acct", Usage, Start.ToUnixTimeSeconds(), 5, 4), 4L, UsageReportStatus.Pending),
            }));
            Assert.That(fresh.Single().Identifier, Is.Not.EqualTo(old.Single().Identifier));
        });
    }

    [Test]
    public async Task EnsureSchemaAsync_LedgerCreatedAtVersion7WithTextKeys_TheTextKeysProtectRetriesUntilTheyExpire()
    {
        // A ledger as version 7 left it: the scripts up to 7 applied, keys stored as text (one with a fingerprint, one
        // from before fingerprints).
        await ApplyScriptsUpToAsync(7);
        var fingerprint = IdempotencyFingerprint.Compute(Tokens, 5, Start, timestampGiven: false);
        await Fixture.ExecuteAsync(
            $"INSERT INTO {Fixture.Table(TextKeyTable)} (account, meter, idempotency_key, recorded_at, fingerprint) VALUES " +
            $"('acct', '{Tokens}', 'req-old', {Start.ToUnixTimeMilliseconds()}, {fingerprint}), ('acct', '{Tokens}', 'req-older', {Start.ToUnixTimeMilliseconds()}, NULL)");
        var clock = new FakeTimeProvider(Start + TimeSpan.FromMinutes(30));
        var upgraded = Fixture.CreateStore(clock);
        var meter = CreateChatMeter(upgraded.Ledger, clock, TimeSpan.FromHours(2));

        var retry = await meter.IncrementAsync("acct", 5, Tokens, idempotencyKey: "req-old");
        var olderRetry = await meter.IncrementAsync("acct", 7, Tokens, idempotencyKey: "req-older");
        var conflict = Assert.ThrowsAsync<UsageIdempotencyConflictException>(() => meter.IncrementAsync("acct", 6, Tokens, idempotencyKey: "req-old"))!;
        var partOfACall = Assert.ThrowsAsync<UsageIdempotencyConflictException>(() => meter.RecordAsync("acct", [UsagePart.Increment(ApiCalls, 1), UsagePart.Increment(Tokens, 5)], idempotencyKey: "req-old"))!;
        var versions = await SchemaVersionsAsync();
        var textKeysAfterUse = await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Table(TextKeyTable)}");
        var hashedAfterUse = await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Table(HashTable)}");

        // Past the 2-hour retention the writer prunes the text keys (after the next batch), and the key counts again.
        clock.Advance(TimeSpan.FromHours(2));
        await meter.IncrementAsync("trigger", 1, Tokens);
        var afterExpiry = await meter.IncrementAsync("acct", 5, Tokens, idempotencyKey: "req-old");

        Assert.Multiple(async () =>
        {
            Assert.That(versions, Is.EqualTo(AllVersions));
            Assert.That((retry, olderRetry), Is.EqualTo((IncrementOutcome.Duplicate, IncrementOutcome.Duplicate)));
            Assert.That(conflict.Message, Does.Contain("quantities"), "the text key's fingerprint is honoured");
            Assert.That(partOfACall.Message, Does.Contain("meters"));
            Assert.That((textKeysAfterUse, hashedAfterUse), Is.EqualTo((2L, 0L)), "text keys are read, never copied or written; the refused call's api_calls key was released");
            Assert.That(afterExpiry, Is.EqualTo(IncrementOutcome.Recorded));
            Assert.That(await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Table(TextKeyTable)}"), Is.Zero);
            Assert.That(await TotalAsync("acct", Tokens), Is.EqualTo(5));
        });
    }

    /// <summary>Creates the tables as the library's embedded scripts 1 to <paramref name="version"/> do, and records those versions.</summary>
    private async Task ApplyScriptsUpToAsync(int version)
    {
        var postgreSql = typeof(TFixture) == typeof(PostgreSqlStoreFixture);
        var assembly = postgreSql ? typeof(PostgreSqlUsageStore).Assembly : typeof(SqliteUsageStore).Assembly;
        var resources = assembly.GetManifestResourceNames().Where(n => n.Contains(".Scripts.", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        var prefix = Fixture.Table(string.Empty);
        if (postgreSql)
        {
            await Fixture.ExecuteAsync($"CREATE SCHEMA {prefix.TrimEnd('.')}");
        }

        await Fixture.ExecuteAsync(postgreSql
            ? $"CREATE TABLE {prefix}usage_schema_version (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)"
            : "CREATE TABLE usage_schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT");
        foreach (var resource in resources.Take(version))
        {
            await using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            await Fixture.ExecuteAsync((await reader.ReadToEndAsync()).Replace("{prefix}", prefix, StringComparison.Ordinal));
            var number = int.Parse(resource.Split(".Scripts.")[1][..3], System.Globalization.CultureInfo.InvariantCulture);
            await Fixture.ExecuteAsync($"INSERT INTO {prefix}usage_schema_version (version, name, applied_at) VALUES ({number}, 'v{number}', {(postgreSql ? "now()" : "'2025-03-10T10:00:00Z'")})");
        }
    }

    /// <summary>A meter declaring api_calls and tokens on <paramref name="store"/> (the test's store when null); disposed before the store.</summary>
    private UsageMeter CreateChatMeter(IUsageStore? store = null) => CreateChatMeter(store ?? Store.Ledger, Clock, new UsageBillingOptions().IdempotencyKeyRetention);

    /// <summary>A meter declaring api_calls and tokens on <paramref name="store"/> with its own clock and key retention.</summary>
    private UsageMeter CreateChatMeter(IUsageStore store, TimeProvider clock, TimeSpan retention)
    {
        var options = new UsageBillingOptions { IdempotencyKeyRetention = retention };
        options.Meters[ApiCalls] = new MeterOptions();
        options.Meters[Tokens] = new MeterOptions();
        var meter = new UsageMeter(store, Options.Create(options), clock);
        _meters.Add(meter);
        return meter;
    }

    /// <summary>Keys stored: hashed (schema version 8 on) and, left from before it, as text.</summary>
    private Task<long> KeyCountAsync() => Fixture.ScalarAsync(
        $"SELECT (SELECT COUNT(*) FROM {Fixture.Table(HashTable)}) + (SELECT COUNT(*) FROM {Fixture.Table(TextKeyTable)})");

    private Task<long> CounterCountAsync() => Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Table("usage_counter")}");
}
