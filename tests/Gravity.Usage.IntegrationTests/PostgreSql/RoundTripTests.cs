using Dapper;
using Gravity.Usage.IntegrationTests.Contract;
using Gravity.Usage.IntegrationTests.Infrastructure;
using Gravity.Usage.PostgreSql;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Gravity.Usage.IntegrationTests.PostgreSql;

/// <summary>
/// What a batch costs on the wire, counted exactly by a proxy that sees every message the client sends (issue 11):
/// the common batch, with or without idempotency keys, takes a fixed number of round trips whatever its size.
/// </summary>
public sealed class RoundTripTests
{
    private static readonly DateTimeOffset Start = new(2025, 3, 10, 10, 0, 0, TimeSpan.Zero);

    private readonly string _schema = $"gu_test_{Guid.NewGuid():N}";
    private PostgresCommitFaultProxy _proxy = null!;
    private PostgreSqlUsageStore _store = null!;

    [SetUp]
    public async Task StartAsync()
    {
        await PostgreSqlServer.RequireAsync();
        _proxy = new PostgresCommitFaultProxy(PostgreSqlServer.ConnectionString);
        _store = new PostgreSqlUsageStore(new PostgreSqlUsageStoreOptions { ConnectionString = _proxy.ConnectionString, SchemaName = _schema }, new FakeTimeProvider(Start));
        await _store.EnsureSchemaAsync();

        // One batch first, so that the pooled connection is open and its types are loaded before counting.
        await _store.WriteAsync([new UsageIncrement("warm-up", "m", Start, 1, null, Start)]);
    }

    [TearDown]
    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        await _proxy.DisposeAsync();
        await using var admin = new NpgsqlConnection(PostgreSqlServer.ConnectionString);
        await admin.ExecuteAsync($"DROP SCHEMA IF EXISTS {_schema} CASCADE");
    }

    [TestCase(1)]
    [TestCase(64)]
    public async Task WriteAsync_BatchWithoutKeys_CostsOneRoundTrip(int size)
    {
        var batch = Enumerable.Range(0, size).Select(i => new UsageIncrement($"a{i % 7}", "m", Start, 1, null, Start)).ToArray();

        var roundTrips = await CountRoundTripsAsync(() => _store.WriteAsync(batch));

        Assert.That(roundTrips, Is.EqualTo(1), "BEGIN, the mark, keys and counters, COMMIT: all in one");
    }

    [TestCase(1)]
    [TestCase(64)]
    public async Task WriteAsync_BatchWithNewKeys_CostsOneRoundTrip(int size)
    {
        var batch = Enumerable.Range(0, size).Select(i => new UsageIncrement($"a{i % 7}", "m", Start, 1, $"k-{i}", Start)).ToArray();

        var roundTrips = await CountRoundTripsAsync(() => _store.WriteAsync(batch));

        Assert.That(roundTrips, Is.EqualTo(1), "BEGIN, the mark, keys and counters, COMMIT: all in one");
    }

    [Test]
    public async Task WriteAsync_BatchWithAKeyRecordedBefore_IsRolledBackAndJudgedStatementByStatement()
    {
        await _store.WriteAsync([new UsageIncrement("acct", "m", Start, 1, "seen", Start)]);
        var batch = Enumerable.Range(0, 10).Select(i => new UsageIncrement("acct", "m", Start, 1, $"k-{i}", Start)).Append(new UsageIncrement("acct", "m", Start, 1, "seen", Start)).ToArray();

        var statuses = Array.Empty<UsageWriteStatus>();
        var roundTrips = await CountRoundTripsAsync(async () => statuses = [.. await _store.WriteAsync(batch)]);

        Assert.Multiple(() =>
        {
            Assert.That(statuses, Is.EqualTo(Enumerable.Repeat(UsageWriteStatus.Recorded, 10).Append(UsageWriteStatus.Duplicate)));
            // The one round trip that failed, ROLLBACK, BEGIN with the mark, keys and counters, the stored fingerprints,
            // the other calls' counters, COMMIT.
            Assert.That(roundTrips, Is.EqualTo(7));
        });
    }

    private async Task<int> CountRoundTripsAsync(Func<Task> write)
    {
        var before = _proxy.RoundTrips;
        await write();
        return _proxy.RoundTrips - before;
    }
}
