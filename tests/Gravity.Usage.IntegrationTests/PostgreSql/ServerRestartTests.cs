using Dapper;
using Gravity.Usage.IntegrationTests.Infrastructure;
using Gravity.Usage.PostgreSql;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Gravity.Usage.IntegrationTests.PostgreSql;

/// <summary>
/// A server killed and restarted under traffic (issue 8, F3; `pg_ctl restart -m immediate`), on a server of the test's
/// own: whatever each caller is told is true. Recorded means in the ledger; a plain failure means not in the ledger;
/// only <see cref="UsageCommitOutcomeUnknownException"/> leaves it open.
/// </summary>
public sealed class ServerRestartTests
{
    private static readonly DateTimeOffset Start = new(2025, 3, 10, 10, 0, 0, TimeSpan.Zero);

    [Test]
    public async Task IncrementAsync_ServerKilledAndRestartedUnderTraffic_EveryCallerIsToldTheTruth()
    {
        await using var server = await ThrowawayPostgres.StartAsync();
        await using var store = new PostgreSqlUsageStore(new PostgreSqlUsageStoreOptions { ConnectionString = server.ConnectionString }, new FakeTimeProvider(Start));
        var meter = new UsageMeter(store, Options.Create(new UsageBillingOptions()), new FakeTimeProvider(Start));
        await using var meterScope = meter;
        await store.EnsureSchemaAsync();

        var results = new System.Collections.Concurrent.ConcurrentBag<(string Key, Task<IncrementOutcome> Call)>();
        var completedBeforeRestart = 0;
        var recordedAfterRestart = 0;
        using var stop = new CancellationTokenSource();
        var restarted = false;

        async Task CallerAsync(int caller)
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var key = $"c{caller}-{i}";
                var call = meter.IncrementAsync("acct", idempotencyKey: key);
                results.Add((key, call));
                try
                {
                    await call;
                    if (Volatile.Read(ref restarted))
                    {
                        Interlocked.Increment(ref recordedAfterRestart);
                    }
                }
                catch (Exception)
                {
                    // Judged below; pause so that a down server is not hammered.
                    await Task.Delay(20);
                }

                if (!Volatile.Read(ref restarted))
                {
                    Interlocked.Increment(ref completedBeforeRestart);
                }
            }
        }

        var callers = Enumerable.Range(0, 8).Select(c => Task.Run(() => CallerAsync(c))).ToArray();
        await WaitUntilAsync(() => Volatile.Read(ref completedBeforeRestart) >= 400, TimeSpan.FromSeconds(60));
        Volatile.Write(ref restarted, true);
        await server.RestartImmediatelyAsync();
        await WaitUntilAsync(() => Volatile.Read(ref recordedAfterRestart) >= 400, TimeSpan.FromSeconds(90));
        await stop.CancelAsync();
        await Task.WhenAll(callers);

        await using var admin = new NpgsqlConnection(server.ConnectionString);
        // Keys are stored as hashes (schema version 8): the keys given, hashed as stored, tell which are in the ledger.
        var hashes = (await admin.QueryAsync<Guid>("SELECT key_hash FROM gravity_usage.usage_idempotency_hash")).ToHashSet();
        var stored = results.Select(r => r.Key).Where(k => hashes.Contains(IdempotencyKeyHash.ToUuid(IdempotencyKeyHash.Compute("acct", UsageBillingOptions.DefaultMeterName, k)))).ToHashSet(StringComparer.Ordinal);
        var total = await admin.ExecuteScalarAsync<long>("SELECT COALESCE(SUM(quantity), 0) FROM gravity_usage.usage_counter");
        var recordedButMissing = results.Where(r => r.Call.IsCompletedSuccessfully && !stored.Contains(r.Key)).Select(r => r.Key).ToList();
        var failedButStored = results
            .Where(r => r.Call.IsFaulted && r.Call.Exception!.InnerException is not UsageCommitOutcomeUnknownException && stored.Contains(r.Key))
            .Select(r => r.Key)
            .ToList();

        var unknown = results.Count(r => r.Call.IsFaulted && r.Call.Exception!.InnerException is UsageCommitOutcomeUnknownException);
        var failed = results.Count(r => r.Call.IsFaulted) - unknown;
        await TestContext.Out.WriteLineAsync($"{results.Count} increments: {stored.Count} stored, {failed} failed, {unknown} outcome unknown.");
        Assert.Multiple(() =>
        {
            Assert.That(results.Where(r => r.Call.IsCompletedSuccessfully).Select(r => r.Call.Result), Is.All.EqualTo(IncrementOutcome.Recorded));
            Assert.That(recordedButMissing, Is.Empty, "every increment told Recorded is in the ledger");
            Assert.That(failedButStored, Is.Empty, "no increment told it failed was applied");
            Assert.That(total, Is.EqualTo(stored.Count), "each stored key counted once");
        });
    }

    [TestCase(true, TestName = "WriteAsync_CommitAnswerLostThenServerRestarted_BatchWithKeys_ReturnsTheRealStatuses")]
    [TestCase(false, TestName = "WriteAsync_CommitAnswerLostThenServerRestarted_BatchWithoutKeys_ReturnsTheRealStatuses")]
    public async Task WriteAsync_CommitAnswerLostThenServerRestarted_TheBatchsMarkTellsTheOutcome(bool withKeys)
    {
        // The server answers COMMIT (so it committed), the answer is lost, and the server restarts before the store can
        // ask: the batch's commit mark (schema version 9), unlike a transaction id, survives the restart and belongs to
        // this batch alone, so it confirms the commit with or without keys.
        await using var server = await ThrowawayPostgres.StartAsync();
        await using var proxy = new PostgresCommitFaultProxy(server.ConnectionString);
        await using var store = new PostgreSqlUsageStore(new PostgreSqlUsageStoreOptions { ConnectionString = proxy.ConnectionString }, new FakeTimeProvider(Start));
        await store.EnsureSchemaAsync();
        var batch = Enumerable.Range(0, 10)
            .Select(i => new UsageIncrement("acct", UsageBillingOptions.DefaultMeterName, Start, 1, withKeys ? $"k-{i}" : null, Start))
            .ToArray();
        proxy.Arm(CommitFault.DropAfterCommitAnswered, thenRefuseConnections: true);

        var write = store.WriteAsync(batch);
        await proxy.Fired.WaitAsync(TimeSpan.FromSeconds(30));
        await server.RestartImmediatelyAsync();
        proxy.AcceptConnections();
        var outcome = await CatchAsync(write);

        await using var admin = new NpgsqlConnection(server.ConnectionString);
        var total = await admin.ExecuteScalarAsync<long>("SELECT COALESCE(SUM(quantity), 0) FROM gravity_usage.usage_counter");
        Assert.Multiple(() =>
        {
            Assert.That(total, Is.EqualTo(10), "the batch committed");
            Assert.That(outcome, Is.Null, "its mark proves it committed");
            Assert.That(write.Result, Is.All.EqualTo(UsageWriteStatus.Recorded));
        });
    }

    private static async Task<Exception?> CatchAsync(Task task)
    {
        try
        {
            await task;
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!condition())
        {
            await Task.Delay(50, deadline.Token);
        }
    }
}
