namespace Gravity.Usage;

/// <summary>The outcome of one delivery attempt.</summary>
/// <param name="Id">The report.</param>
/// <param name="Owner">The claim's owner; the outcome is recorded only while the report is still pending under it.</param>
/// <param name="Status">The new status: sent, pending (retry), failed or unknown.</param>
/// <param name="Now">When the outcome happened.</param>
/// <param name="Error">Why the attempt failed, or <see langword="null"/>.</param>
/// <param name="RequestId">The back end's request id, or <see langword="null"/>.</param>
/// <param name="NextAttemptAt">When a pending report is due again; ignored for other statuses.</param>
/// <param name="NotAttempted">
/// The claim is handed back without anything having been sent (a cancelled run): the attempt the claim counted is
/// taken back, so a report that never left the ledger is never parked as unknown.
/// </param>
/// <param name="RotateIdempotencyKey">The next attempt uses a fresh idempotency key (<see cref="UsageReport.RedriveCount"/> grows).</param>
public sealed record ReportCompletion(
    long Id,
    string Owner,
    UsageReportStatus Status,
    DateTimeOffset Now,
    string? Error = null,
    string? RequestId = null,
    DateTimeOffset? NextAttemptAt = null,
    bool NotAttempted = false,
    bool RotateIdempotencyKey = false);
