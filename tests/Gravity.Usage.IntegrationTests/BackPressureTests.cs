using Gravity.Usage.IntegrationTests.Infrastructure;

namespace Gravity.Usage.IntegrationTests;

/// <summary>The queue is bounded: when it is full, callers wait, and a caller's token cancels only that wait (DESIGN §4.2).</summary>
public sealed class BackPressureTests : LedgerTest
{
    private const int Capacity = 4;

    [Test]
    public async Task IncrementAsync_QueueFull_CallersWaitAndACanceledWaiterIsNeverCounted()
    {
        var gated = CreateGatedStore();
        var meter = CreateMeter(gated, o =>
        {
            o.QueueCapacity = Capacity;
            o.MaxBatchSize = Capacity;
        });
        gated.Close();
        var held = meter.IncrementAsync("held", 1);
        await gated.WaitForBatchesAsync(1).WaitAsync(HangGuard);

        // The queue takes four more; a queued increment is committed even if its token is canceled afterwards.
        using var queuedToken = new CancellationTokenSource();
        var queued = Enumerable.Range(0, Capacity)
            .Select(i => meter.IncrementAsync($"queued_{i}", 1, cancellationToken: i == 0 ? queuedToken.Token : default))
            .ToList();
        using var waiterToken = new CancellationTokenSource();
        var waiting = meter.IncrementAsync("waiting", 1);
        var canceled = meter.IncrementAsync("canceled", 1, cancellationToken: waiterToken.Token);
        await queuedToken.CancelAsync();
        await waiterToken.CancelAsync();

        Assert.CatchAsync<OperationCanceledException>(() => canceled.WaitAsync(HangGuard));
        var nothingCompletedWhileHeld = !queued.Append(held).Append(waiting).Any(t => t.IsCompleted);
        gated.Open();
        var outcomes = await Task.WhenAll(queued.Append(held).Append(waiting)).WaitAsync(HangGuard);

        Assert.Multiple(() =>
        {
            Assert.That(nothingCompletedWhileHeld, Is.True, "while the store is held, every other caller waits");
            Assert.That(outcomes, Is.All.EqualTo(IncrementOutcome.Recorded));
            Assert.That(
                gated.Batches.Select(b => string.Join(",", b.Select(i => i.Account))),
                Is.EqualTo(new[] { "held", "queued_0,queued_1,queued_2,queued_3", "waiting" }),
                "batches never exceed the cap and the canceled caller was never queued");
            Assert.That(Database.CounterRows().Select(r => r.Split(" | ")[0]), Is.EqualTo(new[] { "held", "queued_0", "queued_1", "queued_2", "queued_3", "waiting" }));
        });
    }

    [Test]
    public async Task IncrementAsync_CanceledTokenWithRoomInQueue_IsStillRecorded()
    {
        var meter = CreateMeter();
        using var canceled = new CancellationTokenSource();
        await canceled.CancelAsync();

        var outcome = await meter.IncrementAsync("acct", 2, cancellationToken: canceled.Token);

        var total = await TotalAsync(meter, "acct");
        Assert.Multiple(() =>
        {
            Assert.That(outcome, Is.EqualTo(IncrementOutcome.Recorded), "the token only cancels a wait for room");
            Assert.That(total, Is.EqualTo(2));
        });
    }
}
