using Dapper;
using Gravity.Usage.IntegrationTests.Contract;
using Gravity.Usage.PostgreSql;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Gravity.Usage.IntegrationTests.PostgreSql;

/// <summary>
/// Several batches in flight at once on separate connections: they lock rows in one order, so they never deadlock and
/// lose nothing, and the unique key alone decides which of them counts a key.
/// </summary>
public sealed class ConcurrentBatchTests
{
    private static readonly DateTimeOffset Start = new(2025, 3, 10, 10, 0, 0, TimeSpan.Zero);

    private readonly string _schema = $"gu_test_{Guid.NewGuid():N}";
    private readonly List<IAsyncDisposable> _owned = [];

    [SetUp]
    public Task RequireServerAsync() => PostgreSqlServer.RequireAsync();

    [TearDown]
    public async Task DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        await using var admin = new NpgsqlConnection(PostgreSqlServer.ConnectionString);
        await admin.ExecuteAsync($"DROP SCHEMA IF EXISTS {_schema} CASCADE");
    }

    [Test]
    public async Task WriteAsync_ConcurrentBatchesTouchTheSameCountersInDifferentOrders_NeverDeadlockAndLoseNothing()
    {
        var store = await CreateStoreAsync(maxConcurrentBatches: 8);
        string[] accounts = ["a", "b", "c", "d", "e"];
        string[] meters = ["m1", "m2", "m3"];
        const int Writers = 16;
        const int BatchesPerWriter = 25;
        var deadlocksBefore = await DeadlocksAsync();

        // Every writer sends batches over the same 15 counters, each batch in its own shuffled order.
        var written = await Task.WhenAll(Enumerable.Range(0, Writers).Select(writer => Task.Run(async () =>
        {
            var random = new Random(writer);
            long sum = 0;
            for (var b = 0; b < BatchesPerWriter; b++)
            {
                var batch = accounts.SelectMany(a => meters.Select(m => new UsageIncrement(a, m, Start, 1 + random.Next(5), null, Start)))
                    .OrderBy(_ => random.Next()).ToArray();
                var statuses = await store.WriteAsync(batch);
                Assert.That(statuses, Is.All.EqualTo(UsageWriteStatus.Recorded));
                sum += batch.Sum(i => i.Quantity);
            }

            return sum;
        })));

        // The server counts deadlocks it broke in its statistics, which a backend publishes within a second or so.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var deadlocksAfter = await DeadlocksAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await CommittedTotalAsync(), Is.EqualTo(written.Sum()), "every acknowledged increment is counted once");
            Assert.That(await ScalarAsync($"SELECT COUNT(*) FROM {_schema}.usage_counter"), Is.EqualTo(accounts.Length * meters.Length));
            Assert.That(deadlocksAfter - deadlocksBefore, Is.Zero, "no transaction was rolled back to break a deadlock");
        });
    }

    [Test]
    public async Task IncrementAsync_ManyCallersOnFewCountersWithBatchesInFlight_EveryAccountSumsExactly()
    {
        var store = await CreateStoreAsync(maxConcurrentBatches: 8);
        await using var meter = new UsageMeter(store, Options.Create(MetersM1AndM2()), new FakeTimeProvider(Start));
        const int Callers = 64;
        const int CallsPerCaller = 100;

        // Multi-meter calls with their meters in either order, so that concurrent batches hold rows of both meters.
        var outcomes = await Task.WhenAll(Enumerable.Range(0, Callers).Select(caller => Task.Run(async () =>
        {
            var recorded = 0;
            for (var i = 0; i < CallsPerCaller; i++)
            {
                var account = $"acct_{(caller + i) % 4}";
                UsagePart[] usage = caller % 2 == 0
                    ? [UsagePart.Increment("m1", 1), UsagePart.Increment("m2", 2)]
                    : [UsagePart.Increment("m2", 2), UsagePart.Increment("m1", 1)];
                if (await meter.RecordAsync(account, usage) == IncrementOutcome.Recorded)
                {
                    recorded++;
                }
            }

            return recorded;
        })));

        Assert.Multiple(async () =>
        {
            Assert.That(outcomes.Sum(), Is.EqualTo(Callers * CallsPerCaller));
            Assert.That(await ScalarAsync($"SELECT SUM(quantity) FROM {_schema}.usage_counter WHERE meter = 'm1'"), Is.EqualTo(Callers * CallsPerCaller));
            Assert.That(await ScalarAsync($"SELECT SUM(quantity) FROM {_schema}.usage_counter WHERE meter = 'm2'"), Is.EqualTo(2 * Callers * CallsPerCaller));
        });
    }

    [Test]
    public async Task WriteAsync_SameKeysRacedAcrossConcurrentBatches_EachKeyIsCountedOnce()
    {
        var store = await CreateStoreAsync(maxConcurrentBatches: 8);
        const int Racers = 12;
        const int Keys = 60;

        // Every racer sends all the keys at once, in its own order: the batches block on one another's keys and the
        // unique key decides which one counts each.
        var results = await Task.WhenAll(Enumerable.Range(0, Racers).Select(racer => Task.Run(async () =>
        {
            var random = new Random(racer);
            var batch = Enumerable.Range(0, Keys)
                .Select(k => new UsageIncrement($"acct_{k % 3}", UsageBillingOptions.DefaultMeterName, Start, 10, $"key-{k}", Start))
                .OrderBy(_ => random.Next()).ToArray();
            var statuses = await store.WriteAsync(batch);
            return batch.Zip(statuses, (increment, status) => (increment.IdempotencyKey!, status)).ToArray();
        })));

        var recordedPerKey = results.SelectMany(r => r).Where(r => r.status == UsageWriteStatus.Recorded).GroupBy(r => r.Item1).ToDictionary(g => g.Key, g => g.Count());
        Assert.Multiple(async () =>
        {
            Assert.That(recordedPerKey, Has.Count.EqualTo(Keys), "every key was recorded by one batch");
            Assert.That(recordedPerKey.Values, Is.All.EqualTo(1), "and by one only");
            Assert.That(results.SelectMany(r => r).Where(r => r.status != UsageWriteStatus.Recorded).Select(r => r.status), Is.All.EqualTo(UsageWriteStatus.Duplicate));
            Assert.That(await CommittedTotalAsync(), Is.EqualTo(Keys * 10));
            Assert.That(await ScalarAsync($"SELECT COUNT(*) FROM {_schema}.usage_idempotency_hash"), Is.EqualTo(Keys));
        });
    }

    [Test]
    public void Constructor_MaxConcurrentBatchesOutOfRange_IsRefusedWithTheRule()
    {
        var zero = Assert.Throws<OptionsValidationException>(() => _ = new PostgreSqlUsageStore(new() { ConnectionString = "Host=127.0.0.1", MaxConcurrentBatches = 0 }));
        var tooMany = Assert.Throws<OptionsValidationException>(() => _ = new PostgreSqlUsageStore(new() { ConnectionString = "Host=127.0.0.1", MaxConcurrentBatches = 65 }));
        var pool = Assert.Throws<OptionsValidationException>(() => _ = new PostgreSqlUsageStore(new() { ConnectionString = "Host=127.0.0.1;Maximum Pool Size=4", MaxConcurrentBatches = 8 }));

        Assert.Multiple(() =>
        {
            Assert.That(zero!.Failures, Has.Some.Contains("MaxConcurrentBatches must be between 1 and 64; it is 0"));
            Assert.That(tooMany!.Failures, Has.Some.Contains("MaxConcurrentBatches must be between 1 and 64; it is 65"));
            Assert.That(pool!.Failures, Has.Some.Contains("MaxConcurrentBatches must be at most the connection string's Maximum Pool Size (4); it is 8"));
        });
    }

    [Test]
    public async Task Constructor_MultiplexingConnection_IsRefusedWithTheRule()
    {
        await using var multiplexing = NpgsqlDataSource.Create("Host=127.0.0.1;Multiplexing=true");
        var byString = Assert.Throws<OptionsValidationException>(() => _ = new PostgreSqlUsageStore(new() { ConnectionString = "Host=127.0.0.1;Multiplexing=true" }));
        var bySource = Assert.Throws<OptionsValidationException>(() => _ = new PostgreSqlUsageStore(new() { DataSource = multiplexing }));

        Assert.Multiple(() =>
        {
            Assert.That(byString!.Failures, Has.Some.Contains("Multiplexing is not supported"));
            Assert.That(bySource!.Failures, Has.Some.Contains("Multiplexing is not supported"));
        });
    }

    private static UsageBillingOptions MetersM1AndM2()
    {
        var options = new UsageBillingOptions();
        options.Meters["m1"] = new MeterOptions();
        options.Meters["m2"] = new MeterOptions();
        return options;
    }

    private async Task<PostgreSqlUsageStore> CreateStoreAsync(int maxConcurrentBatches)
    {
        var store = new PostgreSqlUsageStore(
            new PostgreSqlUsageStoreOptions { ConnectionString = PostgreSqlServer.ConnectionString, SchemaName = _schema, MaxConcurrentBatches = maxConcurrentBatches },
            new FakeTimeProvider(Start));
        _owned.Add(store);
        await store.EnsureSchemaAsync();
        return store;
    }

    private async Task<long> CommittedTotalAsync() => await ScalarAsync($"SELECT COALESCE(SUM(quantity), 0) FROM {_schema}.usage_counter");

    private static async Task<long> ScalarAsync(string sql)
    {
        await using var admin = new NpgsqlConnection(PostgreSqlServer.ConnectionString);
        return await admin.ExecuteScalarAsync<long>(sql);
    }

    private static async Task<long> DeadlocksAsync()
    {
        await using var admin = new NpgsqlConnection(PostgreSqlServer.ConnectionString);
        await admin.ExecuteAsync("SELECT pg_stat_clear_snapshot()");
        return await admin.ExecuteScalarAsync<long>("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()");
    }
}
