namespace Gravity.Usage.Testing.Tests.Contract;

/// <summary>
/// Stores with one fault each, over a real one: only <see cref="IUsageStore"/> is passed on, so cases that need more
/// (reports, accounts) fail on the missing interface.
/// </summary>
internal abstract class BrokenStore(IUsageStore inner) : IUsageStore, IAsyncDisposable
{
    protected IUsageStore Inner { get; } = inner;

    public virtual Task<IReadOnlyList<UsageWriteStatus>> WriteAsync(IReadOnlyList<UsageIncrement> increments, CancellationToken cancellationToken = default) =>
        Inner.WriteAsync(increments, cancellationToken);

    public Task EnsureSchemaAsync(CancellationToken cancellationToken = default) => Inner.EnsureSchemaAsync(cancellationToken);

    public virtual Task<IReadOnlyList<MeterUsage>> GetTotalsAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string? meter, CancellationToken cancellationToken = default) =>
        Inner.GetTotalsAsync(account, periodStart, periodEnd, meter, cancellationToken);

    public Task<IReadOnlyList<UsageBucket>> GetSeriesAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string meter, CancellationToken cancellationToken = default) =>
        Inner.GetSeriesAsync(account, periodStart, periodEnd, meter, cancellationToken);

    public Task<int> PruneIdempotencyKeysAsync(DateTimeOffset recordedBefore, int maxKeys, CancellationToken cancellationToken = default) =>
        Inner.PruneIdempotencyKeysAsync(recordedBefore, maxKeys, cancellationToken);

    public ValueTask DisposeAsync() => ((IAsyncDisposable)Inner).DisposeAsync();
}

/// <summary>Stores every recorded increment twice: the second time without its key, so nothing stops it.</summary>
internal sealed class DoubleCountingStore(IUsageStore inner) : BrokenStore(inner)
{
    public override async Task<IReadOnlyList<UsageWriteStatus>> WriteAsync(IReadOnlyList<UsageIncrement> increments, CancellationToken cancellationToken = default)
    {
        var statuses = await Inner.WriteAsync(increments, cancellationToken);
        var recorded = increments.Where((_, i) => statuses[i] == UsageWriteStatus.Recorded).Select(i => i with { IdempotencyKey = null, Fingerprint = 0, PartIndex = 0, PartCount = 1 }).ToList();
        await Inner.WriteAsync(recorded, cancellationToken);
        return statuses;
    }
}

/// <summary>Drops the duplicate check: every increment reaches the store without its idempotency key.</summary>
internal sealed class KeyForgettingStore(IUsageStore inner) : BrokenStore(inner)
{
    public override Task<IReadOnlyList<UsageWriteStatus>> WriteAsync(IReadOnlyList<UsageIncrement> increments, CancellationToken cancellationToken = default) =>
        Inner.WriteAsync(increments.Select(i => i with { IdempotencyKey = null, Fingerprint = 0, PartIndex = 0, PartCount = 1 }).ToList(), cancellationToken);
}

/// <summary>Cannot read totals: throws where the contract expects an answer.</summary>
internal sealed class UnreadableStore(IUsageStore inner) : BrokenStore(inner)
{
    public override Task<IReadOnlyList<MeterUsage>> GetTotalsAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string? meter, CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException("The totals query is not written yet.");
}
