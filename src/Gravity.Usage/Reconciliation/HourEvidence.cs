using System.Globalization;

namespace Gravity.Usage.Internal;

/// <summary>The verdict on one account, meter and hour: what the ledger says, and which unknown reports landed.</summary>
internal sealed record HourVerdict(
    UsageReconciliationRowState State,
    long LocalTotal,
    long UnknownTotal,
    IReadOnlyList<UsageReport> Landed,
    IReadOnlyList<UsageReport> Lacking,
    string? Note);

/// <summary>
/// Weighs Stripe's total of an hour against the ledger's reports of it. Pure: no I/O, so every rule is unit tested.
/// </summary>
/// <remarks>
/// Every combination of the hour's unknown reports is a hypothesis of which of them Stripe counted; the hour is
/// resolved only when exactly one hypothesis gives Stripe's total. None: drift nobody in the ledger explains. Several:
/// ambiguous (two unknown reports of 5 where Stripe has one more 5), and nothing is resolved: money is never guessed.
/// Nothing is judged while a report of the hour may still be on its way to Stripe's totals: attempted but not
/// settled, or delivered within the settle time.
/// </remarks>
internal static class HourEvidence
{
    /// <param name="reports">The hour's reports.</param>
    /// <param name="isGauge">Whether the meter is a gauge (Stripe <c>last</c>).</param>
    /// <param name="stripeTotal">Stripe's summary of the hour.</param>
    /// <param name="now">When the evidence is judged.</param>
    /// <param name="options">The settle time and the most unknown reports weighed.</param>
    /// <param name="unnamedRejections">
    /// Stripe rejected events of the meter that it did not name: a report counted as sent may not be at Stripe, so no
    /// combination can be trusted and nothing is resolved (a landed report could be resent).
    /// </param>
    public static HourVerdict Judge(IReadOnlyList<UsageReport> reports, bool isGauge, decimal stripeTotal, DateTimeOffset now, UsageReconciliationOptions options, bool unnamedRejections = false)
    {
        var sent = reports.Where(r => r.Status == UsageReportStatus.Sent).ToList();
        var unknown = reports.Where(r => r.Status == UsageReportStatus.Unknown).OrderBy(r => r.Id).ToList();
        var inFlight = reports.Any(IsInFlight);
        var local = Expected(sent, isGauge);
        var unknownTotal = isGauge ? Expected(unknown, isGauge) : unknown.Sum(r => r.Quantity);
        var lastActivity = reports.Count == 0 ? DateTimeOffset.MinValue : reports.Max(LastActivity);
        var settled = now - lastActivity >= options.SettleTime;

        if (unknown.Count == 0)
        {
            if (local == stripeTotal)
            {
                return new(UsageReconciliationRowState.Matched, local, 0, [], [], null);
            }

            return inFlight || !settled
                ? new(UsageReconciliationRowState.Unsettled, local, 0, [], [], Unsettled(inFlight, lastActivity, options))
                : new(UsageReconciliationRowState.Drift, local, 0, [], [], "Stripe's total differs from what the ledger sent, and no unknown report explains it.");
        }

        if (inFlight || !settled)
        {
            return new(UsageReconciliationRowState.Unsettled, local, unknownTotal, [], [], Unsettled(inFlight, lastActivity, options) + " The unknown reports are left for a later run.");
        }

        if (unnamedRejections)
        {
            return new(UsageReconciliationRowState.Ambiguous, local, unknownTotal, [], [], "Stripe rejected events of this meter asynchronously without naming them all, so a report counted as sent may be missing at Stripe; nothing was resolved.");
        }

        if (unknown.Count > options.MaxUnknownReportsPerHour)
        {
            return new(UsageReconciliationRowState.Ambiguous, local, unknownTotal, [], [], string.Create(CultureInfo.InvariantCulture, $"{unknown.Count} unknown reports share the hour, more than the {options.MaxUnknownReportsPerHour} weighed; nothing was resolved."));
        }

        var explaining = new List<int>();
        for (var mask = 0; mask < 1 << unknown.Count; mask++)
        {
            if (Expected(sent.Concat(Pick(unknown, mask, landed: true)).ToList(), isGauge) == stripeTotal)
            {
                explaining.Add(mask);
            }
        }

        return explaining.Count switch
        {
            0 => new(UsageReconciliationRowState.Drift, local, unknownTotal, [], [], "No combination of the hour's unknown reports explains Stripe's total; nothing was resolved."),
            1 => new(
                UsageReconciliationRowState.Resolved,
                local,
                unknownTotal,
                Pick(unknown, explaining[0], landed: true).ToList(),
                Pick(unknown, explaining[0], landed: false).ToList(),
                "Exactly one combination of the hour's unknown reports explains Stripe's total."),
            _ => new(UsageReconciliationRowState.Ambiguous, local, unknownTotal, [], [], string.Create(CultureInfo.InvariantCulture, $"{explaining.Count} combinations of the hour's {unknown.Count} unknown reports explain Stripe's total equally; nothing was resolved (re-drive or cancel them by hand).")),
        };
    }

    /// <summary>
    /// What Stripe should show for these reports: their sum, or for a gauge (a <c>last</c> meter) the value of the
    /// latest event by timestamp (0 when there is none), ties going to the later report.
    /// </summary>
    public static long Expected(IReadOnlyList<UsageReport> counted, bool isGauge) =>
        !isGauge
            ? counted.Sum(r => r.Quantity)
            : counted.OrderBy(r => r.BucketStart).ThenBy(r => r.Id).LastOrDefault()?.Quantity ?? 0;

    /// <summary>
    /// A pending report Stripe may already have: attempted, or re-driven after an attempt that may have landed; or a
    /// correction's cancellation attempted but not completed, which may already have taken its report's event off
    /// Stripe's total while the report still counts as sent. Its attempts may still be answered, so its hour is not judged.
    /// </summary>
    public static bool IsInFlight(UsageReport report) => report.Status switch
    {
        UsageReportStatus.Pending => report.Attempts > 0 || report.RedriveCount > 0 || report.FirstAttemptAt is not null,
        UsageReportStatus.Cancelling => report.Attempts > 0 || report.FirstAttemptAt is not null,
        _ => false,
    };

    /// <summary>
    /// The latest moment the report may have reached Stripe: its delivery, or its last attempt, which the ledger bounds
    /// by the report's next due time (every attempt sets it to at least its own end), or its creation.
    /// </summary>
    public static DateTimeOffset LastActivity(UsageReport report)
    {
        var latest = report.CreatedAt;
        if (report.SentAt is { } sentAt && sentAt > latest)
        {
            latest = sentAt;
        }

        if (report.FirstAttemptAt is { } first && first > latest)
        {
            latest = first;
        }

        if ((report.Attempts > 0 || report.FirstAttemptAt is not null) && report.NextAttemptAt > latest)
        {
            latest = report.NextAttemptAt;
        }

        return latest;
    }

    private static IEnumerable<UsageReport> Pick(List<UsageReport> unknown, int mask, bool landed) =>
        unknown.Where((_, i) => ((mask & (1 << i)) != 0) == landed);

    private static string Unsettled(bool inFlight, DateTimeOffset lastActivity, UsageReconciliationOptions options) => inFlight
        ? "A report of the hour is still being delivered; Stripe's total may not show it yet."
        : string.Create(CultureInfo.InvariantCulture, $"A report of the hour reached Stripe at {lastActivity:O}, less than the settle time ({options.SettleTime}) ago; Stripe's total may not show it yet.");
}
