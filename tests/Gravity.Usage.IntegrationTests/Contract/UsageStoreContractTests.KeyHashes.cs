using Gravity.Usage.Internal;
using Gravity.Usage.PostgreSql;
using Gravity.Usage.Sqlite;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Gravity.Usage.IntegrationTests.Contract;

/// <summary>
/// Idempotency keys stored as 16-byte hashes (schema version 8, issue 11 item 4): duplicates and conflicts behave as
/// with the texts, across batches and stores; keys stored as text before the upgrade keep protecting retries until
/// they expire; pruning removes only expired keys; the hash input is length-prefixed.
/// </summary>
public sealed partial class UsageStoreContractTests<TFixture>
{
    private const string HashTable = "usage_idempotency_hash";
    private const string TextKeyTable = "usage_idempotency_key";

    [Test]
    public async Task WriteAsync_SameKeyInALaterBatchAndAfterAReopen_IsADuplicate()
    {
        var first = await Store.Ledger.WriteAsync([Increment("acct", 3, "req-1"), Increment("acct", 1, "req-2")]);
        var later = await Store.Ledger.WriteAsync([Increment("acct", 3, "req-1")]);
        var reopened = Fixture.CreateStore(Clock);
        var afterReopen = await reopened.Ledger.WriteAsync([Increment("acct", 3, "req-1"), Increment("acct", 1, "req-2"), Increment("acct", 5, "req-3")]);

        Assert.Multiple(async () =>
        {
            Assert.That(first, Is.All.EqualTo(UsageWriteStatus.Recorded));
            Assert.That(later, Is.EqualTo(new[] { UsageWriteStatus.Duplicate }));
            Assert.That(afterReopen, Is.EqualTo(new[] { UsageWriteStatus.Duplicate, UsageWriteStatus.Duplicate, UsageWriteStatus.Recorded }));
            Assert.That(await TotalAsync("acct"), Is.EqualTo(9));
            Assert.That(await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Table(HashTable)}"), Is.EqualTo(3), "one 16-byte row per key");
            Assert.That(await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Table(TextKeyTable)}"), Is.Zero, "no key is written as text any more");
        });
    }

    [Test]
    public async Task IncrementAsync_SameKeyOtherContentAfterAReopen_ThrowsConflictNamingTheDifference()
    {
        await CreateChatMeter().IncrementAsync("acct", 5, Tokens, idempotencyKey: "req-1");
        var reopened = CreateChatMeter(Fixture.CreateStore(Clock).Ledger);

        var ex = Assert.ThrowsAsync<UsageIdempotencyConflictException>(() => reopened.IncrementAsync("acct", 6, Tokens, idempotencyKey: "req-1"))!;
        var retry = await reopened.IncrementAsync("acct", 5, Tokens, idempotencyKey: "req-1");

        Assert.Multiple(async () =>
        {
            Assert.That(ex.Message, Does.Contain("quantities"), "the fingerprint is read back through the key's hash");
            Assert.That(retry, Is.EqualTo(IncrementOutcome.Duplicate));
            Assert.That(await TotalAsync("acct", Tokens), Is.EqualTo(5));
        });
    }

    [Test]
    public async Task WriteAsync_TextsThatDifferOnlyInWhereOneEndsAndTheNextBegins_AreDifferentKeys()
    {
        var statuses = await Store.Ledger.WriteAsync(
        [
            Increment("ab", 1, "k", meter: "c"),
            Increment("a", 1, "k", meter: "bc"),
            Increment("a", 1, "ck", meter: "b"),
            Increment("a", 1, "k", meter: "bc"),
        ]);
        var again = await Fixture.CreateStore(Clock).Ledger.WriteAsync([Increment("ab", 1, "k", meter: "c"), Increment("a", 1, "ck", meter: "b")]);

        Assert.Multiple(async () =>
        {
            Assert.That(statuses, Is.EqualTo(new[] { UsageWriteStatus.Recorded, UsageWriteStatus.Recorded, UsageWriteStatus.Recorded, UsageWriteStatus.Duplicate }));
            Assert.That(again, Is.All.EqualTo(UsageWriteStatus.Duplicate));
            Assert.That(await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Table(HashTable)}"), Is.EqualTo(3));
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

    [Test]
    public async Task IncrementAsync_KeysAroundTheRetention_OnlyTheExpiredArePrunedAndCountAgain()
    {
        var clock = new FakeTimeProvider(Start);
        var meter = CreateChatMeter(Fixture.CreateStore(clock).Ledger, clock, TimeSpan.FromHours(24));
        await meter.IncrementAsync("acct", 1, Tokens, idempotencyKey: "old");
        clock.Advance(TimeSpan.FromHours(1));
        await meter.IncrementAsync("acct", 1, Tokens, idempotencyKey: "young");

        // "old" is 24 h + 1 s old, "young" 23 h + 1 s: only "old" has expired.
        clock.Advance(TimeSpan.FromHours(23) + TimeSpan.FromSeconds(1));
        // The writer prunes after a batch commits (its caller may already be told), before it takes the next batch.
        await meter.IncrementAsync("trigger", 1, Tokens);
        var old = await meter.IncrementAsync("acct", 1, Tokens, idempotencyKey: "old");
        var young = await meter.IncrementAsync("acct", 1, Tokens, idempotencyKey: "young");

        Assert.Multiple(async () =>
        {
            Assert.That((old, young), Is.EqualTo((IncrementOutcome.Recorded, IncrementOutcome.Duplicate)), "the expired key counts again; the young one stays");
            Assert.That(await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Table(HashTable)}"), Is.EqualTo(2), "the young key and the old one recorded again");
            Assert.That(await TotalAsync("acct", Tokens), Is.EqualTo(3));
        });
    }

    [Test]
    public async Task PruneIdempotencyKeysAsync_KeyRecordedWithinASecondOfTheCutoff_IsKeptUpToASecondLongerNeverShorter()
    {
        // Times are stored in whole seconds, rounded up: a key is never pruned before it expired.
        Clock.Advance(TimeSpan.FromMilliseconds(400));
        await Store.Ledger.WriteAsync([Increment("acct", 1, "req-1")]);

        var atFractionAfter = await Store.Ledger.PruneIdempotencyKeysAsync(Start + TimeSpan.FromMilliseconds(700), 10);
        var atNextSecond = await Store.Ledger.PruneIdempotencyKeysAsync(Start + TimeSpan.FromSeconds(1), 10);
        var pastIt = await Store.Ledger.PruneIdempotencyKeysAsync(Start + TimeSpan.FromMilliseconds(1_001), 10);

        Assert.That((atFractionAfter, atNextSecond, pastIt), Is.EqualTo((0, 0, 1)));
    }

    /// <summary>A meter declaring api_calls and tokens on <paramref name="store"/> with its own clock and key retention.</summary>
    private UsageMeter CreateChatMeter(IUsageStore store, TimeProvider clock, TimeSpan retention)
    {
        var options = ChatBilling();
        options.IdempotencyKeyRetention = retention;
        var meter = new UsageMeter(store, Options.Create(options), clock);
        _meters.Add(meter);
        return meter;
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
}
