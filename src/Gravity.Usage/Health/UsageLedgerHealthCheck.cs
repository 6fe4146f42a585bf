using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gravity.Usage;

/// <summary>
/// The ledger is ready for increments: the store answers with a current schema, and the group-commit writer is neither
/// stopped nor stuck in one commit for longer than <see cref="UsageHealthCheckOptions.StalledCommitAfter"/>.
/// </summary>
/// <remarks>Unhealthy otherwise, with the reason; increments would wait or fail. Register with <c>AddUsageLedger()</c>.</remarks>
public sealed class UsageLedgerHealthCheck : IHealthCheck
{
    private readonly IUsageStore _store;
    private readonly UsageMeter _meter;
    private readonly UsageHealthCheckOptions _options;

    /// <summary>Initializes a new instance of the <see cref="UsageLedgerHealthCheck"/> class.</summary>
    /// <param name="store">The ledger.</param>
    /// <param name="meter">The meter whose writer is watched.</param>
    /// <param name="options">The thresholds.</param>
    public UsageLedgerHealthCheck(IUsageStore store, UsageMeter meter, UsageHealthCheckOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(meter);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _meter = meter;
        _options = options;
    }

    /// <inheritdoc/>
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var (queued, running, stopped) = _meter.WriterHealth();
        var data = new Dictionary<string, object> { ["queued"] = queued };
        if (stopped)
        {
            return HealthCheckResult.Unhealthy("The usage writer has stopped: the meter was disposed, so increments are refused.", data: data);
        }

        if (running is { } elapsed && elapsed > _options.StalledCommitAfter)
        {
            data["commit_running_seconds"] = elapsed.TotalSeconds;
            return HealthCheckResult.Unhealthy(FormattableString.Invariant($"One commit of the usage ledger has run for {elapsed.TotalSeconds:0} s, longer than {_options.StalledCommitAfter.TotalSeconds:0} s: {queued} increments wait behind it."), data: data);
        }

        try
        {
            await _store.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // Whatever the store throws, the ledger is not ready: that is the answer.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return HealthCheckResult.Unhealthy("The usage ledger cannot be reached or its schema is not current: " + ex.Message, ex, data);
        }

        return HealthCheckResult.Healthy("The usage ledger is reachable with a current schema and its writer is committing.", data);
    }
}
