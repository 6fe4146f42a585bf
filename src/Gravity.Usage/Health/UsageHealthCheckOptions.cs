namespace Gravity.Usage;

/// <summary>The thresholds of <see cref="UsageLedgerHealthCheck"/> and <see cref="UsageOutboxHealthCheck"/>.</summary>
public sealed class UsageHealthCheckOptions
{
    /// <summary>Gets or sets how long one commit may run before the writer counts as stalled.</summary>
    /// <value>The default value is 30 seconds (a healthy commit takes milliseconds).</value>
    public TimeSpan StalledCommitAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how old the oldest pending report may be.</summary>
    /// <value>
    /// The default value is 2 hours: with hourly buckets a report waits for its bucket to end and for the next run, and
    /// transient failures retry with back-off; older means deliveries are not getting through. The same limit applies to a
    /// correction's <see cref="UsageReportStatus.Cancelling"/> report waiting for the report it takes from.
    /// </value>
    public TimeSpan MaxPendingAge { get; set; } = TimeSpan.FromHours(2);

    /// <summary>Gets or sets how many failed reports are tolerated.</summary>
    /// <value>The default value is 0: a failed report is usage not billed until someone acts.</value>
    public int MaxFailedReports { get; set; }

    /// <summary>Gets or sets how many reports of unknown outcome are tolerated.</summary>
    /// <value>The default value is 0.</value>
    public int MaxUnknownReports { get; set; }

    /// <summary>Throws when a threshold is out of range, naming it.</summary>
    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(StalledCommitAfter, TimeSpan.Zero, nameof(StalledCommitAfter));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MaxPendingAge, TimeSpan.Zero, nameof(MaxPendingAge));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxFailedReports, nameof(MaxFailedReports));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxUnknownReports, nameof(MaxUnknownReports));
    }
}
