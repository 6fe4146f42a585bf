namespace Gravity.Usage.IntegrationTests.Infrastructure;

/// <summary>
/// Wraps a real store so a test can see every batch the meter hands it and hold batches at a gate before they reach
/// the store, to know exactly what is queued, in flight and committed.
/// </summary>
public sealed class GatedUsageStore : IUsageStore
{
    private readonly IUsageStore _inner;
    private readonly Lock _lock = new();
    private readonly List<UsageIncrement[]> _batches = [];
    private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];
    private TaskCompletionSource _gate = CreateOpenGate();

    public GatedUsageStore(IUsageStore inner)
    {
        _inner = inner;
    }

    /// <summary>Every batch handed to <see cref="WriteAsync"/> so far, in order, including held and failed ones.</summary>
    public IReadOnlyList<UsageIncrement[]> Batches
    {
        get
        {
            lock (_lock)
            {
                return [.. _batches];
            }
        }
    }

    /// <summary>Whether writes currently pass the gate.</summary>
    public bool IsOpen
    {
        get
        {
            lock (_lock)
            {
                return _gate.Task.IsCompleted;
            }
        }
    }

    /// <summary>Makes every following write wait at the gate until <see cref="Open"/>.</summary>
    public void Close()
    {
        lock (_lock)
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
        lock (_lock)
        {
            _gate.TrySetResult();
        }
    }

    /// <summary>Completes once <paramref name="count"/> batches have reached the store wrapper (held or not).</summary>
    public Task WaitForBatchesAsync(int count)
    {
        lock (_lock)
        {
            if (_batches.Count >= count)
            {
                return Task.CompletedTask;
            }

            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, reached));
            return reached.Task;
        }
    }

    public async Task<IReadOnlyList<UsageWriteStatus>> WriteAsync(IReadOnlyList<UsageIncrement> increments, CancellationToken cancellationToken = default)
    {
        Task gate;
        lock (_lock)
        {
            _batches.Add([.. increments]);
            gate = _gate.Task;
            foreach (var waiter in _waiters.Where(w => w.Count <= _batches.Count).ToList())
            {
                waiter.Reached.TrySetResult();
                _waiters.Remove(waiter);
            }
        }

        await gate.WaitAsync(cancellationToken);
        return await _inner.WriteAsync(increments, cancellationToken);
    }

    public Task EnsureSchemaAsync(CancellationToken cancellationToken = default) => _inner.EnsureSchemaAsync(cancellationToken);

    public Task<IReadOnlyList<MeterUsage>> GetTotalsAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string? meter, CancellationToken cancellationToken = default) =>
        _inner.GetTotalsAsync(account, periodStart, periodEnd, meter, cancellationToken);

    public Task<IReadOnlyList<UsageBucket>> GetSeriesAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string meter, CancellationToken cancellationToken = default) =>
        _inner.GetSeriesAsync(account, periodStart, periodEnd, meter, cancellationToken);

    public Task<int> PruneIdempotencyKeysAsync(DateTimeOffset recordedBefore, int maxKeys, CancellationToken cancellationToken = default) =>
        _inner.PruneIdempotencyKeysAsync(recordedBefore, maxKeys, cancellationToken);

    private static TaskCompletionSource CreateOpenGate()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gate.SetResult();
        return gate;
    }
}
