namespace Gravity.Usage;

/// <summary>The outcome of one delivery attempt, recorded by <see cref="IUsageReportStore.CompleteAsync"/>.</summary>
/// <param name="Id">The report.</param>
/// <param name="Owner">The claim's owner; the outcome is recorded only while the report is still pending under it.</param>
/// <param name="Status">The new status: sent, pending (retry), failed or unknown.</param>
/// <param name="Now">When the outcome happened.</param>
/// <remarks>
/// The four members every outcome has are the constructor's; the rest are init properties, so that a member added
/// later is one more property rather than a new constructor that every store's tests and callers must follow.
/// </remarks>
public sealed record ReportCompletion(long Id, string Owner, UsageReportStatus Status, DateTimeOffset Now)
{
    /// <summary>Gets why the attempt failed, or <see langword="null"/>.</summary>
    public string? Error { get; init; }

    /// <summary>Gets the back end's request id, or <see langword="null"/>.</summary>
    public string? RequestId { get; init; }

    /// <summary>Gets when a pending report is due again; ignored for other statuses.</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }

    /// <summary>
    /// Gets a value indicating whether the claim is handed back without anything having been sent (a cancelled run):
    /// the attempt the claim counted is taken back, so a report that never left the ledger is never parked as unknown.
    /// </summary>
    public bool NotAttempted { get; init; }

    /// <summary>Gets a value indicating whether the next attempt uses a fresh idempotency key (<see cref="UsageReport.RedriveCount"/> grows).</summary>
    public bool RotateIdempotencyKey { get; init; }
}
