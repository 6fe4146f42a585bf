namespace Gravity.Usage;

/// <summary>The usage of one meter over a period, and what became of it on its way to billing.</summary>
/// <param name="Meter">The meter's name.</param>
/// <param name="Quantity">
/// What the meter bills for the period: the sum of a <see cref="MeterKind.Sum"/> meter; the latest reading of a
/// <see cref="MeterKind.Last"/> gauge; the highest of a <see cref="MeterKind.Max"/> gauge; the latest reading before
/// the period's end of a <see cref="MeterKind.LastEver"/> gauge.
/// </param>
/// <remarks>
/// <para>
/// <see cref="Quantity"/> is split by what happened to it, so that a dashboard can show billed, waiting, not billable and
/// failed usage: <c>Quantity == SentQuantity + PendingQuantity + SkippedQuantity + FailedQuantity</c>.
/// </para>
/// <para>
/// For a sum meter, each part adds up the usage reports of the period's buckets by status, and usage not yet closed
/// into a report is pending. For a gauge, the whole value sits in one part: that of the latest report of the period
/// when it carries this value (sent, pending, skipped or failed), else pending (the value is not reported yet).
/// </para>
/// </remarks>
public sealed record MeterUsage(string Meter, long Quantity)
{
    /// <summary>Gets what the meter counts, which decides how <see cref="Quantity"/> was aggregated.</summary>
    public MeterKind Kind { get; init; } = MeterKind.Sum;

    /// <summary>
    /// Gets the part of <see cref="Quantity"/> the billing back end accepted: billed; for a sum, net of the amounts
    /// corrected after Stripe could no longer cancel them (reports needing a credit), which the host credits.
    /// </summary>
    public long SentQuantity { get; init; }

    /// <summary>Gets the part of <see cref="Quantity"/> waiting to be billed: not yet closed into a report, or in a report not yet delivered.</summary>
    public long PendingQuantity { get; init; }

    /// <summary>Gets the part of <see cref="Quantity"/> that is not billable (the account was free): tracked, never sent.</summary>
    public long SkippedQuantity { get; init; }

    /// <summary>
    /// Gets the part of <see cref="Quantity"/> whose reports failed for good or were parked as unknown: it needs the host's
    /// attention (fix and re-drive, or reconcile).
    /// </summary>
    public long FailedQuantity { get; init; }
}
