using Gravity.Usage.IntegrationTests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Gravity.Usage.IntegrationTests;

/// <summary>What is acknowledged is committed and survives; a failed batch applies nothing and harms nothing else (DESIGN §4.2).</summary>
public sealed class DurabilityTests : LedgerTest
{
    [Test]
    public async Task DisposeAsync_WithIncrementsStillQueued_CommitsThemAllBeforeReturning()
    {
        var gated = CreateGatedStore();
        var meter = CreateMeter(gated);
        gated.Close();
        var held = meter.IncrementAsync("acct_held", 1);
        await gated.WaitForBatchesAsync(1).WaitAsync(HangGuard);
        var queued = Enumerable.Range(0, 5_000).Select(i => meter.IncrementAsync($"acct_{i % 10}", 1 + (i % 3))).ToList();
        var expected = 1 + Enumerable.Range(0, 5_000).Sum(i => 1L + (i % 3));

        var disposing = meter.DisposeAsync().AsTask();
        var gateWasOpenWhenDisposeEnded = disposing.ContinueWith(
            _ => gated.IsOpen, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var late = Assert.ThrowsAsync<ObjectDisposedException>(() => meter.IncrementAsync("acct_late", 1));
        // A dispose that does not wait for the queue would end during this pause; a correct one cannot, a batch is held.
        await Task.WhenAny(disposing, Task.Delay(TimeSpan.FromMilliseconds(100)));
        gated.Open();
        await disposing.WaitAsync(HangGuard);
        var committedWhenDisposed = Database.ExecuteScalar("SELECT SUM(quantity) FROM usage_counter");

        var outcomes = await Task.WhenAll(queued.Append(held));
        var disposeWaitedForTheHeldBatch = await gateWasOpenWhenDisposeEnded;
        Assert.Multiple(() =>
        {
            Assert.That(disposeWaitedForTheHeldBatch, Is.True, "dispose ended only after the held batch was let through");
            Assert.That(late!.ObjectName, Is.EqualTo(typeof(UsageMeter).FullName));
            Assert.That(committedWhenDisposed, Is.EqualTo(expected));
            Assert.That(outcomes, Is.All.EqualTo(IncrementOutcome.Recorded));
            Assert.That(Database.CounterRows(), Has.None.StartsWith("acct_late"));
        });
    }

    [Test]
    public async Task IncrementAsync_AfterDispose_ThrowsObjectDisposedAndStoreStaysUsable()
    {
        var store = CreateStore();
        var meter = CreateMeter(store);
        await meter.IncrementAsync("acct", 1);
        await meter.DisposeAsync();
        await meter.DisposeAsync();

        Assert.ThrowsAsync<ObjectDisposedException>(() => meter.IncrementAsync("acct", 1));
        var statuses = await store.WriteAsync([Increment("acct", 2)]);

        Assert.Multiple(() =>
        {
            Assert.That(statuses, Is.EqualTo(new[] { UsageWriteStatus.Recorded }), "disposing the meter does not dispose the store");
            Assert.That(Database.CounterRows(), Is.EqualTo(new[] { $"acct | usage | {Start.ToUnixTimeSeconds()} | 3 | 0" }));
        });
    }

    [Test]
    public async Task DisposeAsync_WhileCallersKeepIncrementing_EveryRecordedIncrementIsCountedAndNoOtherIs()
    {
        var meter = CreateMeter();
        var recordedSoFar = 0;
        var enoughRecorded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var callers = Enumerable.Range(0, 8).Select(caller => Task.Run(async () =>
        {
            long recorded = 0;
            for (var i = 0; ; i++)
            {
                var quantity = 1 + ((caller + i) % 3);
                try
                {
                    await meter.IncrementAsync("acct", quantity);
                }
                catch (ObjectDisposedException)
                {
                    return recorded;
                }

                recorded += quantity;
                if (Interlocked.Increment(ref recordedSoFar) == 2_000)
                {
                    enoughRecorded.SetResult();
                }
            }
        })).ToList();

        await enoughRecorded.Task.WaitAsync(HangGuard);
        await meter.DisposeAsync();
        var recordedPerCaller = await Task.WhenAll(callers).WaitAsync(HangGuard);

        Assert.That(Database.ExecuteScalar("SELECT SUM(quantity) FROM usage_counter"), Is.EqualTo(recordedPerCaller.Sum()));
    }

    [Test]
    public async Task Reopen_AfterDisposingMeterAndStore_DataIsIntactAndCountingGoesOn()
    {
        var store = CreateStore();
        var meter = CreateMeter(store);
        await meter.IncrementAsync("acct", 4);
        await meter.IncrementAsync("acct", 3, ApiCalls, timestamp: Start.AddHours(-2));
        await meter.DisposeAsync();
        await store.DisposeAsync();
        var walLeftBehind = File.Exists(Database.Path + "-wal");

        var reopened = CreateMeter(CreateStore());
        var afterReopen = await reopened.GetAsync("acct", AllTimeFrom, AllTimeTo);
        await reopened.IncrementAsync("acct", 1);

        var total = await TotalAsync(reopened, "acct");
        Assert.Multiple(() =>
        {
            Assert.That(walLeftBehind, Is.False, "disposing the store closed every connection, so SQLite checkpointed and removed the log");
            Assert.That(afterReopen.Meters, Is.EqualTo(new[] { new MeterUsage(ApiCalls, 3) { PendingQuantity = 3 }, new MeterUsage("usage", 4) { PendingQuantity = 4 } }));
            Assert.That(total, Is.EqualTo(5));
        });
    }

    [Test]
    public async Task IncrementAsync_Acknowledged_IsInTheFilesEvenIfTheProcessStopsWithoutClosing()
    {
        var meter = CreateMeter();
        for (var i = 1; i <= 20; i++)
        {
            await meter.IncrementAsync($"acct_{i % 4}", i);
        }

        // Copy the database and its log as they are on disk now, as if the process had died here; SQLite rebuilds
        // the shared-memory index from the log when the copy is opened.
        var image = NewDatabaseFile();
        File.Copy(Database.Path, image.Path);
        File.Copy(Database.Path + "-wal", image.Path + "-wal");

        var recovered = CreateMeter(CreateStore(image));
        var totals = new List<long>();
        for (var a = 0; a < 4; a++)
        {
            totals.Add(await TotalAsync(recovered, $"acct_{a}"));
        }

        Assert.That(totals, Is.EqualTo(new long[] { 4 + 8 + 12 + 16 + 20, 1 + 5 + 9 + 13 + 17, 2 + 6 + 10 + 14 + 18, 3 + 7 + 11 + 15 + 19 }));
    }

    [Test]
    public async Task IncrementAsync_BatchFailsToCommit_EveryCallerGetsTheErrorAndNothingOfTheBatchIsApplied()
    {
        var gated = CreateGatedStore();
        var meter = CreateMeter(gated);
        await meter.IncrementAsync("a", 1);
        await meter.IncrementAsync("b", 2, idempotencyKey: "req-b");
        Database.Execute("""
            CREATE TRIGGER simulated_failure BEFORE INSERT ON usage_counter WHEN NEW.account = 'poison'
            BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END;
            """);

        // Hold one batch at the gate so that the next three increments are queued together and form one batch.
        gated.Close();
        var held = meter.IncrementAsync("held", 1);
        await gated.WaitForBatchesAsync(3).WaitAsync(HangGuard);
        var failing = new[]
        {
            meter.IncrementAsync("a", 5, idempotencyKey: "req-a"),
            meter.IncrementAsync("poison", 1),
            meter.IncrementAsync("b", 7, idempotencyKey: "req-b2"),
        };
        gated.Open();
        await held.WaitAsync(HangGuard);

        var errors = failing.Select(t => Assert.ThrowsAsync<SqliteException>(() => t.WaitAsync(HangGuard))).ToList();
        var failedBatch = gated.Batches[3];
        var countersAfterFailure = Database.CounterRows();
        var keysAfterFailure = Database.IdempotencyKeys();

        var retry = await meter.IncrementAsync("a", 5, idempotencyKey: "req-a");
        var later = await meter.IncrementAsync("b", 7, idempotencyKey: "req-b2");
        var bucket = Start.ToUnixTimeSeconds();
        Assert.Multiple(() =>
        {
            Assert.That(failedBatch.Select(i => i.Account), Is.EqualTo(new[] { "a", "poison", "b" }), "the three increments formed one batch");
            Assert.That(errors.Select(e => e!.Message), Has.All.Contains("simulated disk failure"));
            Assert.That(countersAfterFailure, Is.EqualTo(new[] { $"a | usage | {bucket} | 1 | 0", $"b | usage | {bucket} | 2 | 0", $"held | usage | {bucket} | 1 | 0" }));
            Assert.That(keysAfterFailure, Is.EqualTo(SqliteFile.Hashed("b | usage | req-b")), "the failed batch's keys were not consumed");
            Assert.That(retry, Is.EqualTo(IncrementOutcome.Recorded), "retrying with the same key is safe");
            Assert.That(later, Is.EqualTo(IncrementOutcome.Recorded));
            Assert.That(Database.CounterRows(), Is.EqualTo(new[] { $"a | usage | {bucket} | 6 | 0", $"b | usage | {bucket} | 9 | 0", $"held | usage | {bucket} | 1 | 0" }));
        });
    }
}
