using System.Collections.Concurrent;
using Gravity.Usage.Internal;

namespace Gravity.Usage.Tests;

/// <summary>
/// Defence in depth (issue 8, F1): when a store refuses a batch because of one increment's content, only that
/// increment's caller fails; the rest of the batch is committed.
/// </summary>
public sealed class BatchIsolationTests
{
    [Test]
    public async Task IncrementAsync_StoreRefusesOneIncrementsContent_OnlyThatCallerFailsAndTheRestCommit()
    {
        var store = new ContentRefusingStore(classifies: true);
        await using var meter = UsageMeterTests.CreateMeter(store);
        var first = meter.IncrementAsync("acct_first");
        await store.FirstBatchEntered;
        var calls = Enumerable.Range(0, 401).Select(i => meter.IncrementAsync(i == 200 ? "refused" : $"acct_{i}")).ToArray();

        store.Open();
        await first;
        var refused = Assert.ThrowsAsync<ArgumentException>(() => calls[200])!;
        var others = await Task.WhenAll(calls.Where((_, i) => i != 200));

        Assert.Multiple(() =>
        {
            Assert.That(refused.Message, Does.Contain("refused"));
            Assert.That(others, Is.All.EqualTo(IncrementOutcome.Recorded));
            Assert.That(store.Committed.Count, Is.EqualTo(401), "everything but the refused increment was committed");
            Assert.That(store.Committed, Has.None.EqualTo("refused"));
        });
    }

    [Test]
    public async Task IncrementAsync_StoreFailureNotCausedByContent_FailsTheWholeBatchWithoutRetrying()
    {
        var store = new ContentRefusingStore(classifies: false);
        await using var meter = UsageMeterTests.CreateMeter(store);
        var first = meter.IncrementAsync("acct_first");
        await store.FirstBatchEntered;
        var calls = Enumerable.Range(0, 10).Select(i => meter.IncrementAsync(i == 5 ? "refused" : $"acct_{i}")).ToArray();

        store.Open();
        await first;
        foreach (var call in calls)
        {
            Assert.ThrowsAsync<ArgumentException>(() => call);
        }

        Assert.That(store.Attempts, Is.EqualTo(2), "one attempt for the first batch, one for the failed one");
    }

    [Test]
    public async Task IncrementAsync_CommitOutcomeUnknown_IsNeverRetriedEvenIfClassifiedAsContent()
    {
        var store = new ContentRefusingStore(classifies: true) { FailWith = new UsageCommitOutcomeUnknownException() };
        await using var meter = UsageMeterTests.CreateMeter(store);
        var first = meter.IncrementAsync("acct_first");
        await store.FirstBatchEntered;
        var calls = Enumerable.Range(0, 10).Select(i => meter.IncrementAsync($"acct_{i}")).ToArray();

        store.Open();
        foreach (var call in calls.Append(first))
        {
            Assert.ThrowsAsync<UsageCommitOutcomeUnknownException>(() => call);
        }

        Assert.That(store.Attempts, Is.EqualTo(2), "each batch was tried once: retrying a batch that may have committed could count it twice");
    }

    /// <summary>Refuses every batch that holds the account "refused", as PostgreSQL refuses a NUL; the first batch waits at a gate.</summary>
    private sealed class ContentRefusingStore(bool classifies) : IUsageStore, IBatchFailureClassifier
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _attempts;

        public ConcurrentBag<string> Committed { get; } = [];

        public int Attempts => Volatile.Read(ref _attempts);

        public Task FirstBatchEntered => _entered.Task;

        public Exception? FailWith { get; init; }

        public void Open() => _gate.TrySetResult();

        public async Task<IReadOnlyList<UsageWriteStatus>> WriteAsync(IReadOnlyList<UsageIncrement> increments, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _attempts);
            _entered.TrySetResult();
            await _gate.Task;
            if (FailWith is { } failure)
            {
                throw failure;
            }

            if (increments.Any(i => i.Account == "refused"))
            {
                throw new ArgumentException("The store refused the account 'refused'.", nameof(increments));
            }

            foreach (var increment in increments)
            {
                Committed.Add(increment.Account);
            }

            return increments.Select(_ => UsageWriteStatus.Recorded).ToArray();
        }

        public bool IsCausedByContent(Exception exception) => classifies;

        public Task EnsureSchemaAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<IReadOnlyList<MeterUsage>> GetTotalsAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string? meter, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<IReadOnlyList<UsageBucket>> GetSeriesAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string meter, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<int> PruneIdempotencyKeysAsync(DateTimeOffset recordedBefore, int maxKeys, CancellationToken cancellationToken = default) =>
            Task.FromResult(0);
    }
}
