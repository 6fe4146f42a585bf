namespace Gravity.Usage;

/// <summary>
/// The part of a store that applies corrections and hands their cancellations to the reporter. Implemented by the
/// SQLite and PostgreSQL stores; <see cref="UsageMeter"/> and <see cref="UsageReporter"/> use it when their store has it.
/// </summary>
internal interface IUsageCorrectionStore
{
    /// <summary>
    /// Applies a correction in one transaction of its own (never in a group commit), or finds the one already made
    /// under its key. Nothing is written when the correction is refused.
    /// </summary>
    Task<CorrectionResult> CorrectAsync(CorrectionRequest request, CancellationToken cancellationToken = default);

    /// <summary>Lists corrections in id order, with how each was applied so far.</summary>
    Task<IReadOnlyList<UsageCorrection>> ListCorrectionsAsync(UsageCorrectionQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims due <see cref="UsageReportStatus.Cancelling"/> reports whose report to cancel has been sent, under a
    /// lease, each with that report.
    /// </summary>
    Task<IReadOnlyList<ReportCancellation>> ClaimCancellationsAsync(ReportClaim claim, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records that the billing back end cancelled <paramref name="target"/>: in one transaction, the report becomes
    /// cancelled, every correction waiting on it is applied, and the rest of its quantity becomes a new pending report
    /// under a new identifier (returned; <see langword="null"/> when nothing is left, or when the report was no longer sent).
    /// </summary>
    Task<UsageReport?> CompleteCancellationAsync(UsageReport target, DateTimeOffset now, string? requestId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records outcomes of claimed <see cref="UsageReportStatus.Cancelling"/> reports that did not cancel: parked as
    /// <see cref="UsageReportStatus.NeedsCredit"/>, or left cancelling for a later attempt. Each is recorded only while
    /// the report is still cancelling under the caller's lease.
    /// </summary>
    Task<IReadOnlyList<bool>> CompleteCorrectionReportsAsync(IReadOnlyList<ReportCompletion> completions, CancellationToken cancellationToken = default);
}

/// <summary>A correction the meter validated, ready for the store.</summary>
/// <param name="Account">The account.</param>
/// <param name="Meter">The meter.</param>
/// <param name="BucketStart">The bucket corrected.</param>
/// <param name="Delta">The signed change, not zero.</param>
/// <param name="Reason">Why.</param>
/// <param name="IdempotencyKey">The key the correction is made under.</param>
/// <param name="Now">When it is made.</param>
internal sealed record CorrectionRequest(string Account, string Meter, DateTimeOffset BucketStart, long Delta, string Reason, string IdempotencyKey, DateTimeOffset Now);

/// <summary>What became of a correction in the store.</summary>
internal enum CorrectionOutcome
{
    /// <summary>Applied now.</summary>
    Applied,

    /// <summary>Made before under the same key; nothing applied.</summary>
    Repeat,

    /// <summary>Refused: the counter would go below zero. Nothing written.</summary>
    BelowZero,

    /// <summary>Refused: the counter would exceed <see cref="UsageBillingOptions.MaxCounterQuantity"/>. Nothing written.</summary>
    WouldOverflow,
}

/// <summary>The store's answer to a correction.</summary>
/// <param name="Outcome">What became of it.</param>
/// <param name="Correction">The correction applied or found; <see langword="null"/> when refused.</param>
/// <param name="Available">The counter's quantity when refused for going below zero.</param>
internal sealed record CorrectionResult(CorrectionOutcome Outcome, UsageCorrection? Correction, long Available = 0);

/// <summary>A claimed <see cref="UsageReportStatus.Cancelling"/> report and the sent report it asks to cancel.</summary>
/// <param name="Correction">The cancelling report: the amount a correction takes off <paramref name="Target"/>.</param>
/// <param name="Target">The report billed at the back end.</param>
internal sealed record ReportCancellation(UsageReport Correction, UsageReport Target);
