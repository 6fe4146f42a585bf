using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gravity.Usage;

/// <summary>
/// Usage reaches the billing back end: no pending report older than <see cref="UsageHealthCheckOptions.MaxPendingAge"/>,
/// and no more failed or unknown reports than <see cref="UsageHealthCheckOptions.MaxFailedReports"/> and
/// <see cref="UsageHealthCheckOptions.MaxUnknownReports"/>.
/// </summary>
/// <remarks>
/// Degraded otherwise (the application works, but revenue waits for someone to look: re-drive failed reports,
/// reconcile unknown ones), Unhealthy when the outbox cannot be read. Register with <c>AddUsageOutbox()</c>.
/// </remarks>
public sealed class UsageOutboxHealthCheck : IHealthCheck
{
    private readonly IUsageReporter _reporter;
    private readonly TimeProvider _timeProvider;
    private readonly UsageHealthCheckOptions _options;

    /// <summary>Initializes a new instance of the <see cref="UsageOutboxHealthCheck"/> class.</summary>
    /// <param name="reporter">Lists the reports.</param>
    /// <param name="timeProvider">The clock the reports' ages are measured on.</param>
    /// <param name="options">The thresholds.</param>
    public UsageOutboxHealthCheck(IUsageReporter reporter, TimeProvider timeProvider, UsageHealthCheckOptions options)
    {
        ArgumentNullException.ThrowIfNull(reporter);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(options);
        _reporter = reporter;
        _timeProvider = timeProvider;
        _options = options;
    }

    /// <inheritdoc/>
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        int failed, unknown, needsCredit;
        TimeSpan? oldestPending, oldestCancelling;
        try
        {
            // Counted up to one past each threshold: enough to judge, bounded whatever the outbox holds.
            failed = (await _reporter.ListReportsAsync(new UsageReportQuery { Status = UsageReportStatus.Failed, Limit = _options.MaxFailedReports + 1 }, cancellationToken).ConfigureAwait(false)).Count;
            unknown = (await _reporter.ListReportsAsync(new UsageReportQuery { Status = UsageReportStatus.Unknown, Limit = _options.MaxUnknownReports + 1 }, cancellationToken).ConfigureAwait(false)).Count;
            var pending = await _reporter.ListReportsAsync(new UsageReportQuery { Status = UsageReportStatus.Pending, Limit = 1 }, cancellationToken).ConfigureAwait(false);
            oldestPending = pending.Count == 0 ? null : _timeProvider.GetUtcNow() - pending[0].CreatedAt;

            // Amounts parked for the host to credit are bookkeeping, not an outage: shown, never judged. A correction
            // still waiting to cancel a report long after it was made is stuck behind a failed or unknown report.
            needsCredit = (await _reporter.ListReportsAsync(new UsageReportQuery { Status = UsageReportStatus.NeedsCredit, Limit = 1_000 }, cancellationToken).ConfigureAwait(false)).Count;
            var cancelling = await _reporter.ListReportsAsync(new UsageReportQuery { Status = UsageReportStatus.Cancelling, Limit = 1 }, cancellationToken).ConfigureAwait(false);
            oldestCancelling = cancelling.Count == 0 ? null : _timeProvider.GetUtcNow() - cancelling[0].CreatedAt;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // Whatever the store throws, the outbox cannot be judged: that is the answer.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return HealthCheckResult.Unhealthy("The usage outbox cannot be read: " + ex.Message, ex);
        }

        var data = new Dictionary<string, object>
        {
            ["failed_reports_at_least"] = failed,
            ["unknown_reports_at_least"] = unknown,
            ["oldest_pending_seconds"] = oldestPending?.TotalSeconds ?? 0,
            ["needs_credit_reports_at_least"] = needsCredit,
            ["oldest_cancelling_seconds"] = oldestCancelling?.TotalSeconds ?? 0,
        };
        var problems = new List<string>();
        if (failed > _options.MaxFailedReports)
        {
            problems.Add($"more than {_options.MaxFailedReports} failed reports (re-drive them once the cause is fixed)");
        }

        if (unknown > _options.MaxUnknownReports)
        {
            problems.Add($"more than {_options.MaxUnknownReports} reports of unknown outcome (reconcile them with Stripe)");
        }

        if (oldestPending is { } age && age > _options.MaxPendingAge)
        {
            problems.Add(FormattableString.Invariant($"a report pending for {age.TotalMinutes:0} min, longer than {_options.MaxPendingAge.TotalMinutes:0} min"));
        }

        if (oldestCancelling is { } waiting && waiting > _options.MaxPendingAge)
        {
            problems.Add(FormattableString.Invariant($"a correction waiting {waiting.TotalMinutes:0} min to cancel a report, longer than {_options.MaxPendingAge.TotalMinutes:0} min (is the report failed or unknown?)"));
        }

        return problems.Count == 0
            ? HealthCheckResult.Healthy("Usage reports are being delivered.", data)
            : HealthCheckResult.Degraded("Usage billing needs attention: " + string.Join("; ", problems) + ".", data: data);
    }
}
