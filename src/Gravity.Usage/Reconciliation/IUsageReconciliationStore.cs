namespace Gravity.Usage;

/// <summary>
/// What reconciliation needs of the ledger: the reports of a period, and status changes that apply only while the
/// report is still in the status it was judged in. Implemented by the SQLite and PostgreSQL stores.
/// </summary>
public interface IUsageReconciliationStore
{
    /// <summary>Lists the reports whose bucket (for a gauge, its event timestamp) starts in [<paramref name="periodStart"/>, <paramref name="periodEnd"/>), every status.</summary>
    /// <param name="periodStart">The inclusive start.</param>
    /// <param name="periodEnd">The exclusive end.</param>
    /// <param name="account">Only this account, or every account when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The reports, by id.</returns>
    Task<IReadOnlyList<UsageReport>> ListReportsInPeriodAsync(DateTimeOffset periodStart, DateTimeOffset periodEnd, string? account, CancellationToken cancellationToken = default);

    /// <summary>Marks an unknown report sent: the billing back end has counted it. Nothing changes unless it is still unknown.</summary>
    /// <param name="reportId">The report.</param>
    /// <param name="now">When it was found sent.</param>
    /// <param name="note">Why, kept as the report's last error text.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns><see langword="true"/> when the report was unknown and is now sent.</returns>
    Task<bool> MarkUnknownSentAsync(long reportId, DateTimeOffset now, string note, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces an unknown report the billing back end provably lacks, in one transaction: the report becomes
    /// cancelled (never sent again) and a new pending report of the same usage is added under
    /// <paramref name="newIdentifier"/>, due now, billed to the same customer. Nothing changes unless the report is
    /// still unknown; the identifier's uniqueness stops a second replacement even so.
    /// </summary>
    /// <param name="reportId">The unknown report.</param>
    /// <param name="newIdentifier">The replacement's identifier, derived from the old one so that every reconciler derives the same.</param>
    /// <param name="now">When the replacement is created and due.</param>
    /// <param name="note">Why, kept on the old report.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The new pending report, or <see langword="null"/> when the report was no longer unknown.</returns>
    Task<UsageReport?> ResendUnknownAsync(long reportId, string newIdentifier, DateTimeOffset now, string note, CancellationToken cancellationToken = default);

    /// <summary>
    /// Marks reports failed that the billing back end rejected after accepting them, with its reason: an unknown report
    /// with the identifier, or a sent one delivered before the rejection was found (<see cref="UsageRejection.RejectedBy"/>). Failed reports, re-driven ones sent since, and reports in any other status are left alone.
    /// </summary>
    /// <param name="rejections">The rejections.</param>
    /// <param name="account">Only reports of this account, or any when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The reports marked failed, as they were before.</returns>
    Task<IReadOnlyList<UsageReport>> MarkRejectedAsync(IReadOnlyList<UsageRejection> rejections, string? account, CancellationToken cancellationToken = default);
}
