namespace Gravity.Usage;

/// <summary>
/// Optional capability of a store: applies corrections (<see cref="UsageMeter.CorrectAsync"/>) and hands the
/// cancellations they need to the reporter. Without it, <see cref="UsageMeter.CorrectAsync"/> and
/// <see cref="UsageMeter.ListCorrectionsAsync"/> throw <see cref="NotSupportedException"/> and the reporter skips the
/// cancellation step of its runs.
/// </summary>
/// <remarks>
/// <para>
/// <b>Applying.</b> A correction is applied in one transaction of its own (never inside a group commit), which locks
/// the counter first, then its reports (the order closes use). A positive delta adds to the counter's quantity. A
/// negative delta takes, in this order: from usage not yet closed into reports (quantity minus reported quantity);
/// then from <see cref="UsageReportStatus.Pending"/> or <see cref="UsageReportStatus.Failed"/> reports never sent,
/// which are replaced by a report of what is left under <see cref="ReportIdentifier.Revise"/>; then from
/// <see cref="UsageReportStatus.Sent"/> reports, each getting a <see cref="UsageReportStatus.Cancelling"/> report of
/// the amount under <see cref="ReportIdentifier.ForCorrection"/>. The counter's quantity and reported quantity drop by
/// what was taken; the parts recorded on <see cref="UsageCorrection"/> add up to its delta.
/// </para>
/// <para>
/// <b>Idempotency.</b> The correction's key is unique per account: a second request under the same key answers
/// <see cref="CorrectionOutcome.Repeat"/> with the correction first made and changes nothing.
/// </para>
/// <para>
/// <b>Leases.</b> <see cref="ClaimCancellationsAsync"/> follows the rules of <see cref="IUsageReportStore.ClaimDueAsync"/>
/// (see <see cref="ReportClaim"/>); <see cref="CompleteCorrectionReportsAsync"/> those of
/// <see cref="IUsageReportStore.CompleteAsync"/>.
/// </para>
/// </remarks>
public interface IUsageCorrectionStore
{
    /// <summary>
    /// Applies a correction in one transaction of its own, or finds the one already made under its key. Nothing is
    /// written when the correction is refused.
    /// </summary>
    /// <param name="request">The correction, validated by the meter (its bucket already cut at the account's period boundary).</param>
    /// <param name="cancellationToken">Cancels the write before it commits.</param>
    /// <returns>
    /// <see cref="CorrectionOutcome.Applied"/> or <see cref="CorrectionOutcome.Repeat"/> with the correction;
    /// <see cref="CorrectionOutcome.BelowZero"/> with the counter's quantity as <see cref="CorrectionResult.Available"/>
    /// when a negative delta exceeds it (a missing counter holds 0); <see cref="CorrectionOutcome.WouldOverflow"/>
    /// when a positive delta would take the counter past <see cref="UsageBillingOptions.MaxCounterQuantity"/>.
    /// </returns>
    Task<CorrectionResult> CorrectAsync(CorrectionRequest request, CancellationToken cancellationToken = default);

    /// <summary>Lists corrections in id order, with how each was applied so far.</summary>
    /// <param name="query">Which corrections: by account, meter, the buckets corrected, and after which id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>At most <see cref="UsageCorrectionQuery.Limit"/> corrections, ascending by id.</returns>
    Task<IReadOnlyList<UsageCorrection>> ListCorrectionsAsync(UsageCorrectionQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims due <see cref="UsageReportStatus.Cancelling"/> reports whose report to cancel has been sent, under the
    /// claim's lease (the same rules as <see cref="IUsageReportStore.ClaimDueAsync"/>), each with that report.
    /// </summary>
    /// <param name="claim">Who claims, until when, how many, and for which account.</param>
    /// <param name="cancellationToken">Cancels the claim before it commits.</param>
    /// <returns>The claimed cancelling reports, each with the sent report it takes from.</returns>
    Task<IReadOnlyList<ReportCancellation>> ClaimCancellationsAsync(ReportClaim claim, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records that the billing back end cancelled <paramref name="target"/>, in one transaction: the report becomes
    /// <see cref="UsageReportStatus.Cancelled"/>, every correction waiting on it is applied, and the rest of its
    /// quantity becomes a new pending report under <see cref="ReportIdentifier.Revise"/> of its identifier.
    /// </summary>
    /// <param name="target">The sent report the back end cancelled.</param>
    /// <param name="now">The instant of the cancellation; the new report is due then.</param>
    /// <param name="requestId">The back end's request id of the cancellation, kept for audit; <see langword="null"/> when unknown.</param>
    /// <param name="cancellationToken">Cancels the write before it commits.</param>
    /// <returns>
    /// The new report; <see langword="null"/> when nothing is left, or when the report was no longer sent (another
    /// reporter completed it first, in which case nothing is written).
    /// </returns>
    Task<UsageReport?> CompleteCancellationAsync(UsageReport target, DateTimeOffset now, string? requestId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records outcomes of claimed <see cref="UsageReportStatus.Cancelling"/> reports that did not cancel: parked as
    /// <see cref="UsageReportStatus.NeedsCredit"/>, or left cancelling for a later attempt. Each is recorded only while
    /// the report is still cancelling under the caller's lease.
    /// </summary>
    /// <param name="completions">The outcomes.</param>
    /// <param name="cancellationToken">Cancels the write before it commits.</param>
    /// <returns>Per outcome, in order: <see langword="false"/> when the report was no longer cancelling under the caller's lease.</returns>
    Task<IReadOnlyList<bool>> CompleteCorrectionReportsAsync(IReadOnlyList<ReportCompletion> completions, CancellationToken cancellationToken = default);
}
