using System.Collections.Concurrent;

namespace Gravity.Usage.Tests;

/// <summary>
/// A store whose batches wait at a gate, so tests can line callers up behind a batch in progress.
/// It records every batch it is given and can be told to fail them.
/// </summary>
internal sealed class GateStore : IUsageStore
{
    private readonly SemaphoreSlim _gate = new(0, int.MaxValue);
    private readonly TaskCompletionSource _firstBatchEntered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentQueue<IReadOnlyList<UsageIncrement>> Batches { get; } = new();

    public Exception? FailWith { get; set; }

    /// <summary>Gets or sets what the store answers for each increment; <see cref="UsageWriteStatus.Recorded"/> when <see langword="null"/>.</summary>
    public Func<UsageIncrement, UsageWriteStatus>? Answer { get; set; }

    public Task FirstBatchEntered => _firstBatchEntered.Task;

    /// <summary>Lets <paramref name="batches"/> more batches through.</summary>
    public void Open(int batches = int.MaxValue / 2) => _gate.Release(batches);

    public async Task<IReadOnlyList<UsageWriteStatus>> WriteAsync(IReadOnlyList<UsageIncrement> increments, CancellationToken cancellationToken = default)
    {
        _firstBatchEntered.TrySetResult();
        await _gate.WaitAsync(cancellationToken);
        Batches.Enqueue(increments.ToArray());
        if (FailWith is { } failure)
        {
            throw failure;
        }

        var answer = Answer;
        return increments.Select(i => answer?.Invoke(i) ?? UsageWriteStatus.Recorded).ToArray();
    }

    public Task EnsureSchemaAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task<IReadOnlyList<MeterUsage>> GetTotalsAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string? meter, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public Task<IReadOnlyList<UsageBucket>> GetSeriesAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string meter, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public Task<int> PruneIdempotencyKeysAsync(DateTimeOffset recordedBefore, int maxKeys, CancellationToken cancellationToken = default) =>
        Task.FromResult(0);
}
