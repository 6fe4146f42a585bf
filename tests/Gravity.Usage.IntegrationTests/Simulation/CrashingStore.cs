namespace Gravity.Usage.IntegrationTests.Simulation;

/// <summary>
/// Wraps a real store (SQLite or PostgreSQL) as one simulated process sees it: calls pass through unchanged until the
/// process's armed crash point strikes, before or after the real transaction commits; from then on every call throws
/// before touching the ledger, as a dead process would never reach it.
/// </summary>
/// <remarks>
/// It implements the ledger, the outbox and the account mapping, so that <c>AddUsageBilling</c> wires it exactly as it
/// wires the real store (the reporter then decides plans inside the close transaction, as in production).
/// </remarks>
public sealed class CrashingStore(object inner, ProcessLife life, ICrashObserver observer)
    : IUsageStore, IUsageReportStore, IUsageAccountStore, IAsyncDisposable
{
    private readonly IUsageStore _ledger = (IUsageStore)inner;
    private readonly IUsageReportStore _reports = (IUsageReportStore)inner;
    private readonly IUsageAccountStore _accounts = (IUsageAccountStore)inner;

    public Task EnsureSchemaAsync(CancellationToken cancellationToken = default) =>
        PassAsync(() => _ledger.EnsureSchemaAsync(cancellationToken));

    public async Task<IReadOnlyList<UsageWriteStatus>> WriteAsync(IReadOnlyList<UsageIncrement> increments, CancellationToken cancellationToken = default)
    {
        life.ThrowIfDead();
        Strike(CrashPoint.IncrementBeforeCommit);
        var statuses = await _ledger.WriteAsync(increments, cancellationToken);
        if (life.Strikes(CrashPoint.IncrementAfterCommit) || life.IsDead)
        {
            // Committed, but nobody will hear of it: also when another thread killed the process meanwhile.
            observer.IncrementsCommittedButLost(increments, statuses);
            life.ThrowIfDead();
        }

        return statuses;
    }

    public Task<IReadOnlyList<MeterUsage>> GetTotalsAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string? meter, CancellationToken cancellationToken = default) =>
        PassAsync(() => _ledger.GetTotalsAsync(account, periodStart, periodEnd, meter, cancellationToken));

    public Task<IReadOnlyList<UsageBucket>> GetSeriesAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string meter, CancellationToken cancellationToken = default) =>
        PassAsync(() => _ledger.GetSeriesAsync(account, periodStart, periodEnd, meter, cancellationToken));

    public Task<int> PruneIdempotencyKeysAsync(DateTimeOffset recordedBefore, int maxKeys, CancellationToken cancellationToken = default) =>
        PassAsync(() => _ledger.PruneIdempotencyKeysAsync(recordedBefore, maxKeys, cancellationToken));

    public Task<IReadOnlyList<UnreportedUsage>> GetUnreportedAsync(DateTimeOffset bucketsStartingBefore, string? account, int limit, CancellationToken cancellationToken = default) =>
        PassAsync(() => _reports.GetUnreportedAsync(bucketsStartingBefore, account, limit, cancellationToken));

    public Task<IReadOnlyList<UsageReport>> CloseAsync(IReadOnlyList<ReportClosing> closings, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        AroundCommitAsync(CrashPoint.CloseBeforeCommit, CrashPoint.CloseAfterCommit, () => _reports.CloseAsync(closings, now, cancellationToken));

    public Task<IReadOnlyList<UsageReport>> ClaimDueAsync(ReportClaim claim, CancellationToken cancellationToken = default) =>
        AroundCommitAsync(null, CrashPoint.ClaimAfterCommit, () => _reports.ClaimDueAsync(claim, cancellationToken));

    public Task<IReadOnlyList<bool>> CompleteAsync(IReadOnlyList<ReportCompletion> completions, CancellationToken cancellationToken = default) =>
        AroundCommitAsync(CrashPoint.CompleteBeforeCommit, null, () => _reports.CompleteAsync(completions, cancellationToken));

    public Task<IReadOnlyList<UsageReport>> ListReportsAsync(UsageReportQuery query, CancellationToken cancellationToken = default) =>
        PassAsync(() => _reports.ListReportsAsync(query, cancellationToken));

    public Task<int> RedriveAsync(UsageReportQuery query, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        PassAsync(() => _reports.RedriveAsync(query, now, cancellationToken));

    public async Task SaveAccountAsync(UsageAccount account, CancellationToken cancellationToken = default)
    {
        life.ThrowIfDead();
        Strike(CrashPoint.PlanChangeBeforeCommit);
        await _accounts.SaveAccountAsync(account, cancellationToken);
        if (life.Strikes(CrashPoint.PlanChangeAfterCommit) || life.IsDead)
        {
            observer.AccountSavedButLost(account);
            life.ThrowIfDead();
        }
    }

    public Task<UsageAccount?> GetAccountAsync(string account, CancellationToken cancellationToken = default) =>
        PassAsync(() => _accounts.GetAccountAsync(account, cancellationToken));

    public ValueTask DisposeAsync() => ((IAsyncDisposable)inner).DisposeAsync();

    private void Strike(CrashPoint point)
    {
        if (life.Strikes(point))
        {
            life.ThrowIfDead();
        }
    }

    private async Task PassAsync(Func<Task> call)
    {
        life.ThrowIfDead();
        await call();
    }

    private async Task<T> PassAsync<T>(Func<Task<T>> call)
    {
        life.ThrowIfDead();
        return await call();
    }

    /// <summary>Runs a reporter transaction between two optional crash points; a process that died meanwhile never sees the result.</summary>
    private async Task<T> AroundCommitAsync<T>(CrashPoint? before, CrashPoint? after, Func<Task<T>> call)
    {
        life.ThrowIfDead();
        if (before is { } b)
        {
            Strike(b);
        }

        var result = await call();
        if (after is { } a)
        {
            Strike(a);
        }

        life.ThrowIfDead();
        return result;
    }
}
