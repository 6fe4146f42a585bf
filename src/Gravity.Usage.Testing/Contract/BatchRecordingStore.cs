namespace Gravity.Usage.Testing.Contract;

/// <summary>
/// Passes batches to a store and remembers each one, to see how many commits a call took; can hold batches at a gate,
/// so that a case knows they were queued together.
/// </summary>
internal sealed class BatchRecordingStore(IUsageStore inner) : IUsageStore
{
    private readonly List<IReadOnlyList<UsageIncrement>> _batches = [];
    private TaskCompletionSource _gate = CreateOpenGate();

    public IReadOnlyList<IReadOnlyList<UsageIncrement>> Batches
    {
        get
        {
            lock (_batches)
            {
                return [.. _batches];
            }
        }
    }

    /// <summary>Makes every following write wait at the gate until <see cref="Open"/>.</summary>
    public void Close()
    {
        lock (_batches)
        {
            if (_gate.Task.IsCompleted)
            {
                _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    /// <summary>Lets the held writes and all following ones through.</summary>
    public void Open()
    {
        lock (_batches)
        {
            _gate.TrySetResult();
        }
    }

    public async Task<IReadOnlyList<UsageWriteStatus>> WriteAsync(IReadOnlyList<UsageIncrement> increments, CancellationToken cancellationToken = default)
    {
        Task gate;
        lock (_batches)
        {
            _batches.Add(increments.ToArray());
            gate = _gate.Task;
        }

        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        return await inner.WriteAsync(increments, cancellationToken).ConfigureAwait(false);
    }

    public Task EnsureSchemaAsync(CancellationToken cancellationToken = default) => inner.EnsureSchemaAsync(cancellationToken);

    public Task<IReadOnlyList<MeterUsage>> GetTotalsAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string? meter, CancellationToken cancellationToken = default) =>
        inner.GetTotalsAsync(account, periodStart, periodEnd, meter, cancellationToken);

    public Task<IReadOnlyList<UsageBucket>> GetSeriesAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string meter, CancellationToken cancellationToken = default) =>
        inner.GetSeriesAsync(account, periodStart, periodEnd, meter, cancellationToken);

    public Task<int> PruneIdempotencyKeysAsync(DateTimeOffset recordedBefore, int maxKeys, CancellationToken cancellationToken = default) =>
        inner.PruneIdempotencyKeysAsync(recordedBefore, maxKeys, cancellationToken);

    private static TaskCompletionSource CreateOpenGate()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gate.SetResult();
        return gate;
    }
}
