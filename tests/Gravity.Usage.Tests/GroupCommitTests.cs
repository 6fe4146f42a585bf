namespace Gravity.Usage.Tests;

public sealed class GroupCommitTests
{
    [Test]
    public async Task IncrementAsync_CallersArriveDuringACommit_ShareTheNextBatch()
    {
        var store = new GateStore();
        await using var meter = UsageMeterTests.CreateMeter(store);
        var first = meter.IncrementAsync("acct_0");
        await store.FirstBatchEntered;
        var waiting = Enumerable.Range(1, 50).Select(i => meter.IncrementAsync($"acct_{i}")).ToArray();

        store.Open();
        await Task.WhenAll(waiting.Append(first));

        Assert.That(store.Batches.Select(b => b.Count), Is.EqualTo(new[] { 1, 50 }));
    }

    [Test]
    public async Task IncrementAsync_BatchLargerThanCap_IsSplit()
    {
        var store = new GateStore();
        await using var meter = UsageMeterTests.CreateMeter(store, o => o.MaxBatchSize = 16);
        var first = meter.IncrementAsync("acct_0");
        await store.FirstBatchEntered;
        var waiting = Enumerable.Range(1, 40).Select(i => meter.IncrementAsync($"acct_{i}")).ToArray();

        store.Open();
        await Task.WhenAll(waiting.Append(first));

        Assert.That(store.Batches.Select(b => b.Count), Is.EqualTo(new[] { 1, 16, 16, 8 }));
    }

    [Test]
    public async Task IncrementAsync_CommitFails_EveryCallerOfThatBatchGetsTheErrorAndLaterBatchesWork()
    {
        var store = new GateStore();
        await using var meter = UsageMeterTests.CreateMeter(store);
        var first = meter.IncrementAsync("acct_0");
        await store.FirstBatchEntered;
        var failure = new InvalidOperationException("disk full");
        store.FailWith = failure;
        var doomed = Enumerable.Range(1, 10).Select(i => meter.IncrementAsync($"acct_{i}")).ToArray();

        store.Open(2);
        foreach (var task in doomed.Append(first))
        {
            var ex = Assert.ThrowsAsync<InvalidOperationException>(() => task);
            Assert.That(ex, Is.SameAs(failure));
        }

        store.FailWith = null;
        store.Open();
        Assert.That(await meter.IncrementAsync("acct_after"), Is.EqualTo(IncrementOutcome.Recorded));
    }

    [Test]
    public async Task DisposeAsync_WithQueuedIncrements_CommitsThemThenRejectsNewOnes()
    {
        var store = new GateStore();
        var meter = UsageMeterTests.CreateMeter(store);
        var first = meter.IncrementAsync("acct_0");
        await store.FirstBatchEntered;
        var queued = Enumerable.Range(1, 20).Select(i => meter.IncrementAsync($"acct_{i}")).ToArray();

        var disposing = meter.DisposeAsync().AsTask();
        Assert.That(disposing.IsCompleted, Is.False, "disposal waits for the queue to drain");
        store.Open();
        await disposing;

        Assert.That(store.Batches.Sum(b => b.Count), Is.EqualTo(21), "everything queued was committed before disposal returned");
        Assert.That(await Task.WhenAll(queued.Append(first)), Is.All.EqualTo(IncrementOutcome.Recorded));
        Assert.ThrowsAsync<ObjectDisposedException>(() => meter.IncrementAsync("acct_late"));
    }

    [Test]
    public async Task IncrementAsync_QueueFull_CallerWaitsAndCanCancelWithoutBeingCounted()
    {
        var store = new GateStore();
        await using var meter = UsageMeterTests.CreateMeter(store, o =>
        {
            o.MaxBatchSize = 2;
            o.QueueCapacity = 2;
        });
        var inFlight = meter.IncrementAsync("acct_0");
        await store.FirstBatchEntered;
        var queued = new[] { meter.IncrementAsync("acct_1"), meter.IncrementAsync("acct_2") };
        using var cancel = new CancellationTokenSource();
        var blocked = meter.IncrementAsync("acct_blocked", cancellationToken: cancel.Token);

        Assert.That(blocked.IsCompleted, Is.False, "a full queue makes the caller wait");
        await cancel.CancelAsync();
        Assert.CatchAsync<OperationCanceledException>(() => blocked);

        store.Open();
        await Task.WhenAll(queued.Append(inFlight));
        Assert.That(store.Batches.SelectMany(b => b).Select(i => i.Account), Has.No.Member("acct_blocked"));
    }
}
