namespace Gravity.Usage;

/// <summary>What one reporting run did.</summary>
public sealed record ReportRun
{
    /// <summary>Gets how many reports were closed from counters (pending and skipped).</summary>
    public int Closed { get; init; }

    /// <summary>Gets how many reports the billing back end accepted.</summary>
    public int Sent { get; init; }

    /// <summary>Gets how many reports were skipped because their account was not billable.</summary>
    public int Skipped { get; init; }

    /// <summary>Gets how many reports failed for good in this run (see <see cref="Failures"/>).</summary>
    public int Failed { get; init; }

    /// <summary>Gets how many reports failed transiently and wait for a later retry.</summary>
    public int WaitingForRetry { get; init; }

    /// <summary>Gets how many reports were parked as unknown in this run (see <see cref="Failures"/>).</summary>
    public int Unknown { get; init; }

    /// <summary>
    /// Gets how many delivered reports were cancelled at the billing back end in this run for corrections; what was
    /// left of each became a new report, delivered by the run (counted in <see cref="Closed"/> and <see cref="Sent"/>).
    /// </summary>
    public int Cancelled { get; init; }

    /// <summary>
    /// Gets how many amounts of corrections were parked in this run as needing a credit
    /// (<see cref="UsageReportStatus.NeedsCredit"/>, listed in <see cref="Failures"/>): the host credits them.
    /// </summary>
    public int NeedsCredit { get; init; }

    /// <summary>Gets the reports that failed or were parked in this run, with the reason in <see cref="UsageReport.LastError"/>.</summary>
    public IReadOnlyList<UsageReport> Failures { get; init; } = [];
}
