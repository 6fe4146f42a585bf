using System.Collections.Concurrent;
using Gravity.Usage.Internal;

namespace Gravity.Usage.Tests;

/// <summary>A store that commits several batches at once gets that many in flight; the others get one at a time.</summary>
public sealed class ConcurrentBatchTests
{
    [Test]
    public async Task IncrementAsync_StoreTakesThreeBatchesAtOnce_ThreeAreInFlightAndTheRestWaitsForASlot()
    {
        var store = new SlotStore(maxConcurrentBatches: 3);
        await using var meter = UsageMeterTests.CreateMeter(store);
        var first = new List<Task<IncrementOutcome>>();
        for (var i = 0; i < 3; i++)
        {
            first.Add(meter.IncrementAsync($"acct_{i}"));
            await store.WaitUntilEnteredAsync(i + 1);
        }

        var queued = Enumerable.Range(3, 7).Select(i => meter.IncrementAsync($"acct_{i}")).ToArray();
        await Task.Delay(100);
        var enteredWhileFull = store.Entered;

        store.Open();
        var outcomes = await Task.WhenAll(first.Concat(queued));

        Assert.Multiple(() =>
        {
            Assert.That(enteredWhileFull, Is.EqualTo(3), "a fourth batch waits for a slot");
            Assert.That(store.MostInFlight, Is.EqualTo(3));
            Assert.That(store.Batches.Sum(b => b.Count), Is.EqualTo(10));
            Assert.That(outcomes, Is.All.EqualTo(IncrementOutcome.Recorded));
        });
    }

    [Test]
    public async Task IncrementAsync_StoreWithoutTheCapability_CommitsOneBatchAtATime()
    {
        var store = new SlotStore(maxConcurrentBatches: null);
        await using var meter = UsageMeterTests.CreateMeter(store);
        var first = meter.IncrementAsync("acct_0");
        await store.WaitUntilEnteredAsync(1);
        var queued = Enumerable.Range(1, 5).Select(i => meter.IncrementAsync($"acct_{i}")).ToArray();
        await Task.Delay(100);
        var enteredWhileBusy = store.Entered;

        store.Open();
        await Task.WhenAll(queued.Append(first));

        Assert.Multiple(() =>
        {
            Assert.That(enteredWhileBusy, Is.EqualTo(1));
            Assert.That(store.MostInFlight, Is.EqualTo(1));
            Assert.That(store.Batches.Select(b => b.Count), Is.EqualTo(new[] { 1, 5 }));
        });
    }

    [Test]
    public async Task DisposeAsync_SeveralBatchesInFlight_ReturnsOnlyAfterEveryOneCommitted()
    {
        var store = new SlotStore(maxConcurrentBatches: 4);
        var meter = UsageMeterTests.CreateMeter(store);
        var tasks = new List<Task<IncrementOutcome>>();
        for (var i = 0; i < 4; i++)
        {
            tasks.Add(meter.IncrementAsync($"acct_{i}"));
            await store.WaitUntilEnteredAsync(i + 1);
        }

        var disposing = meter.DisposeAsync().AsTask();
        await Task.Delay(100);
        var finishedEarly = disposing.IsCompleted;
        store.Open();
        await disposing;
        var committedWhenDisposed = store.Batches.Count;

        Assert.Multiple(async () =>
        {
            Assert.That(finishedEarly, Is.False, "disposal waits for the batches in flight");
            Assert.That(committedWhenDisposed, Is.EqualTo(4), "every batch in flight committed before disposal returned");
            Assert.That(await Task.WhenAll(tasks), Is.All.EqualTo(IncrementOutcome.Recorded));
        });
    }

    /// <summary>A store whose batches wait at a gate, counting how many are inside at once.</summary>
    private sealed class SlotStore(int? maxConcurrentBatches) : IUsageStore, IConcurrentBatchStore
    {
        private readonly SemaphoreSlim _gate = new(0, int.MaxValue);
        private int _inFlight;
        private int _mostInFlight;
        private int _entered;

        public int MaxConcurrentBatches => maxConcurrentBatches ?? 1;

        public ConcurrentQueue<IReadOnlyList<UsageIncrement>> Batches { get; } = new();

        public int Entered => Volatile.Read(ref _entered);

        public int MostInFlight => Volatile.Read(ref _mostInFlight);

        public void Open() => _gate.Release(int.MaxValue / 2);

        public async Task WaitUntilEnteredAsync(int batches)
        {
            for (var i = 0; i < 500 && Entered < batches; i++)
            {
                await Task.Delay(10);
            }

            Assert.That(Entered, Is.GreaterThanOrEqualTo(batches), "the batch reached the store");
        }

        public async Task<IReadOnlyList<UsageWriteStatus>> WriteAsync(IReadOnlyList<UsageIncrement> increments, CancellationToken cancellationToken = default)
        {
            var now = Interlocked.Increment(ref _inFlight);
            Interlocked.Increment(ref _entered);
            int most;
            while (now > (most = Volatile.Read(ref _mostInFlight)) && Interlocked.CompareExchange(ref _mostInFlight, now, most) != most)
            {
            }

            await _gate.WaitAsync(cancellationToken);
            Batches.Enqueue(increments.ToArray());
            Interlocked.Decrement(ref _inFlight);
            return increments.Select(_ => UsageWriteStatus.Recorded).ToArray();
        }

        public Task EnsureSchemaAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<IReadOnlyList<MeterUsage>> GetTotalsAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string? meter, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<IReadOnlyList<UsageBucket>> GetSeriesAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string meter, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<int> PruneIdempotencyKeysAsync(DateTimeOffset recordedBefore, int maxKeys, CancellationToken cancellationToken = default) =>
            Task.FromResult(0);
    }
}
