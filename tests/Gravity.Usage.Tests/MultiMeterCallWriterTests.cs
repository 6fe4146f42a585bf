using System.Collections.Concurrent;
using Gravity.Usage.Internal;

namespace Gravity.Usage.Tests;

/// <summary>
/// The group-commit writer keeps a multi-meter call whole: its parts go to the store side by side in one batch, every
/// part ends with the call's status, and batch isolation (splitting a batch refused for one increment's content) never
/// cuts a call in two.
/// </summary>
public sealed class MultiMeterCallWriterTests
{
    private static readonly UsagePart[] Chat = [UsagePart.Increment("api_calls", 1), UsagePart.Increment("tokens", 812)];

    [Test]
    public async Task RecordAsync_BehindABatchInProgress_PartsReachTheStoreSideBySideInMeterOrderWithOneFingerprint()
    {
        var store = new GateStore();
        await using var meter = CreateMeter(store);
        var first = meter.IncrementAsync("acct_first");
        await store.FirstBatchEntered;
        var before = meter.IncrementAsync("acct_before");
        var call = meter.RecordAsync("acct", [UsagePart.Increment("tokens", 812), UsagePart.Increment("api_calls", 1)], idempotencyKey: "req-1");
        var after = meter.IncrementAsync("acct_after");

        store.Open();
        await Task.WhenAll(first, before, call, after);

        var batch = store.Batches.Last();
        Assert.Multiple(() =>
        {
            Assert.That(batch.Select(i => (i.Account, i.Meter)), Is.EqualTo(new[] { ("acct_before", "usage"), ("acct", "api_calls"), ("acct", "tokens"), ("acct_after", "usage") }));
            Assert.That(batch.Select(i => (i.PartIndex, i.PartCount)), Is.EqualTo(new[] { (0, 0), (0, 2), (1, 2), (0, 0) }));
            Assert.That(batch[1].Fingerprint, Is.Not.Zero.And.EqualTo(batch[2].Fingerprint));
            Assert.That(batch[1].IdempotencyKey, Is.EqualTo("req-1"));
            Assert.That(batch[1].BucketStart, Is.EqualTo(batch[2].BucketStart));
            Assert.That(call.Result, Is.EqualTo(IncrementOutcome.Recorded));
        });
    }

    [Test]
    public async Task RecordAsync_BatchSplitByIsolation_KeepsEveryCallWholeAndOnlyTheOffenderFails()
    {
        var store = new ContentRefusingStore();
        await using var meter = CreateMeter(store);
        var first = meter.IncrementAsync("acct_first");
        await store.FirstBatchEntered;
        var calls = Enumerable.Range(0, 41)
            .Select(i => i == 20 ? meter.RecordAsync("refused", Chat) : meter.RecordAsync($"acct_{i}", Chat))
            .ToArray();
        var singles = Enumerable.Range(0, 40).Select(i => meter.IncrementAsync($"single_{i}")).ToArray();

        store.Open();
        await first;
        var refused = Assert.ThrowsAsync<ArgumentException>(() => calls[20])!;
        var others = await Task.WhenAll(calls.Where((_, i) => i != 20).Concat(singles));

        Assert.Multiple(() =>
        {
            Assert.That(refused.Message, Does.Contain("refused"));
            Assert.That(others, Is.All.EqualTo(IncrementOutcome.Recorded));
            Assert.That(store.SplitBatches, Is.GreaterThan(1), "the batch was split");
            Assert.That(store.CallsCutInTwo, Is.Zero, "no batch handed to the store held part of a call without the rest");
            Assert.That(store.Committed.Count(c => c.Meter != "usage"), Is.EqualTo(80), "both parts of each of the 40 good calls");
            Assert.That(store.Committed, Has.None.Matches<(string Account, string Meter)>(c => c.Account == "refused"), "no part of the refused call");
        });
    }

    [Test]
    public async Task RecordAsync_StoreAnswersConflictForTheCall_ThrowsTheTypedConflict()
    {
        var store = new GateStore { Answer = i => i.Account == "acct" ? UsageWriteStatus.Conflict : UsageWriteStatus.Recorded };
        store.Open();
        await using var meter = CreateMeter(store);

        var conflict = Assert.ThrowsAsync<UsageIdempotencyConflictException>(() => meter.RecordAsync("acct", Chat, idempotencyKey: "secret-request-id"))!;

        Assert.Multiple(() =>
        {
            Assert.That(conflict.ParamName, Is.EqualTo("idempotencyKey"));
            Assert.That(conflict.Message, Does.Not.Contain("secret-request-id").And.Not.Contain("acct"));
        });
    }

    [Test]
    public async Task RecordAsync_StoreAnswersOverflowForTheCall_ThrowsUsageInputExceptionNamingParts()
    {
        var store = new GateStore { Answer = _ => UsageWriteStatus.WouldOverflow };
        store.Open();
        await using var meter = CreateMeter(store);

        var overflow = Assert.ThrowsAsync<UsageInputException>(() => meter.RecordAsync("acct", Chat))!;

        Assert.Multiple(() =>
        {
            Assert.That(overflow.ParamName, Is.EqualTo("parts"));
            Assert.That(overflow.Message, Does.Contain("MaxCounterQuantity").And.Contain("'tokens'"));
        });
    }

    private static UsageMeter CreateMeter(IUsageStore store) =>
        UsageMeterTests.CreateMeter(store, o => o.Meters["tokens"] = new MeterOptions());

    /// <summary>Refuses every batch that holds the account "refused"; checks that no batch cuts a call; the first batch waits at a gate.</summary>
    private sealed class ContentRefusingStore : IUsageStore, IBatchFailureClassifier
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _splitBatches;
        private int _callsCutInTwo;

        public ConcurrentBag<(string Account, string Meter)> Committed { get; } = [];

        public Task FirstBatchEntered => _entered.Task;

        public int SplitBatches => Volatile.Read(ref _splitBatches);

        public int CallsCutInTwo => Volatile.Read(ref _callsCutInTwo);

        public void Open() => _gate.TrySetResult();

        public async Task<IReadOnlyList<UsageWriteStatus>> WriteAsync(IReadOnlyList<UsageIncrement> increments, CancellationToken cancellationToken = default)
        {
            _entered.TrySetResult();
            await _gate.Task;
            Interlocked.Increment(ref _splitBatches);
            if (UsageRules.DescribeInvalidIncrement(increments) is not null)
            {
                Interlocked.Increment(ref _callsCutInTwo);
            }

            if (increments.Any(i => i.Account == "refused"))
            {
                throw new ArgumentException("The store refused the account 'refused'.", nameof(increments));
            }

            foreach (var increment in increments)
            {
                Committed.Add((increment.Account, increment.Meter));
            }

            return increments.Select(_ => UsageWriteStatus.Recorded).ToArray();
        }

        public bool IsCausedByContent(Exception exception) => exception is ArgumentException;

        public Task EnsureSchemaAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<IReadOnlyList<MeterUsage>> GetTotalsAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string? meter, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<IReadOnlyList<UsageBucket>> GetSeriesAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string meter, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<int> PruneIdempotencyKeysAsync(DateTimeOffset recordedBefore, int maxKeys, CancellationToken cancellationToken = default) =>
            Task.FromResult(0);
    }
}
