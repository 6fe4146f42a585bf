namespace Gravity.Usage;

/// <summary>
/// The usage-report outbox kept beside the ledger: closing counters into reports, claiming due reports for delivery
/// and recording the outcome. Implemented by the SQLite and PostgreSQL stores; used by <see cref="UsageReporter"/>.
/// </summary>
/// <remarks>
/// <para>
/// Closing moves a counter's growth into a report and advances its <c>reported_quantity</c> in one transaction, so
/// usage is never reported twice nor skipped. Each report's identifier is derived with <see cref="ReportIdentifier"/>
/// inside that transaction and is unique in the store.
/// </para>
/// <para>
/// <b>Claims and leases.</b> Any number of reporters, in any number of processes, may run against one store. A claim
/// (<see cref="ClaimDueAsync"/>) takes, atomically, only reports that are <see cref="UsageReportStatus.Pending"/>, due
/// (<see cref="UsageReport.NextAttemptAt"/> at or before <see cref="ReportClaim.Now"/>) and not leased (no lease, or a
/// lease that expired at or before <see cref="ReportClaim.Now"/>); it sets their lease to
/// (<see cref="ReportClaim.Owner"/>, <see cref="ReportClaim.LeaseExpiresAt"/>) and counts an attempt, so that no two
/// live claims ever hold the same report. Reports are taken in due order, then id order. The reports of a reporter
/// that died are claimed again once its lease expires. A completion (<see cref="CompleteAsync"/>) is recorded only
/// while the report is still pending under the completing owner's lease, and releases the lease; one that lost its
/// lease (another reporter claimed the report after expiry) is answered <see langword="false"/> and changes nothing.
/// </para>
/// </remarks>
public interface IUsageReportStore
{
    /// <summary>Finds counters that hold usage not yet moved into a report, and gauge buckets with readings not yet reported.</summary>
    /// <param name="bucketsStartingBefore">Only buckets that start before this instant.</param>
    /// <param name="account">Only this account, or every account when <see langword="null"/>.</param>
    /// <param name="limit">The most counters returned.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The counters, oldest bucket first.</returns>
    Task<IReadOnlyList<UnreportedUsage>> GetUnreportedAsync(DateTimeOffset bucketsStartingBefore, string? account, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Lists the <see cref="MeterKind.LastEver"/> gauges with their latest report, so that the reporter can send each
    /// one's value again once a new billing period has started. The default lists none (a store without gauges).
    /// </summary>
    /// <param name="account">Only this account, or every account when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The gauges.</returns>
    Task<IReadOnlyList<CarriedGauge>> GetCarriedGaugesAsync(string? account, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<CarriedGauge>>([]);

    /// <summary>
    /// Closes counters in one transaction: for each whose quantity exceeds its reported quantity, inserts a report of
    /// the difference (pending, or skipped with a reason) and sets its reported quantity to its quantity. A gauge
    /// closing (<see cref="ReportClosing.Period"/> set) reports its billing period's value when it changed.
    /// </summary>
    /// <param name="closings">The counters to close and whether their usage is billed.</param>
    /// <param name="now">The time the reports are created at and first due.</param>
    /// <param name="cancellationToken">Cancels the close before it commits.</param>
    /// <returns>The reports created; counters with nothing new are left out.</returns>
    Task<IReadOnlyList<UsageReport>> CloseAsync(IReadOnlyList<ReportClosing> closings, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims, in one transaction, pending reports that are due and not leased by another reporter, oldest due first:
    /// sets their lease to the claim's owner and expiry and counts an attempt for each (the first attempt's time is kept).
    /// </summary>
    /// <param name="claim">Who claims, until when, how many, and for which account.</param>
    /// <param name="cancellationToken">Cancels the claim before it commits.</param>
    /// <returns>At most <see cref="ReportClaim.Limit"/> claimed reports, as they are after the claim.</returns>
    Task<IReadOnlyList<UsageReport>> ClaimDueAsync(ReportClaim claim, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records the outcomes of delivery attempts in one transaction and releases their leases; each outcome is recorded
    /// only if its report is still pending under the caller's claim (<see cref="ReportCompletion.Owner"/>). A
    /// <see cref="ReportCompletion.NotAttempted"/> completion takes back the attempt the claim counted; a
    /// <see cref="ReportCompletion.RotateIdempotencyKey"/> one adds one to <see cref="UsageReport.RedriveCount"/>.
    /// </summary>
    /// <param name="completions">The outcomes.</param>
    /// <param name="cancellationToken">Cancels the write before it commits.</param>
    /// <returns>Per outcome, in order: <see langword="false"/> when the report was no longer pending under the caller's lease.</returns>
    Task<IReadOnlyList<bool>> CompleteAsync(IReadOnlyList<ReportCompletion> completions, CancellationToken cancellationToken = default);

    /// <summary>Lists reports, oldest first.</summary>
    /// <param name="query">Which reports.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The reports.</returns>
    Task<IReadOnlyList<UsageReport>> ListReportsAsync(UsageReportQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes failed or unknown reports pending again, due now, with their attempts reset and the mapping they were
    /// closed with forgotten; sent and skipped reports are never touched.
    /// </summary>
    /// <param name="query">Which reports; only failed and unknown ones among them are re-driven.</param>
    /// <param name="now">The time they become due.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>How many reports were re-driven.</returns>
    Task<int> RedriveAsync(UsageReportQuery query, DateTimeOffset now, CancellationToken cancellationToken = default);
}
