namespace Gravity.Usage;

/// <summary>How <see cref="IUsageReconciler"/> judges the evidence.</summary>
public sealed class UsageReconciliationOptions
{
    /// <summary>The shortest settle time allowed: one minute.</summary>
    public static readonly TimeSpan MinSettleTime = TimeSpan.FromMinutes(1);

    /// <summary>The longest settle time allowed: seven days (an unknown report must still be resent within Stripe's 35 days).</summary>
    public static readonly TimeSpan MaxSettleTime = TimeSpan.FromDays(7);

    /// <summary>
    /// Gets or sets how long after a report's last delivery attempt (or its delivery) Stripe's meter event summaries
    /// are trusted to include it. Stripe aggregates meter events asynchronously and documents no bound; an hour is far
    /// beyond the minutes it takes in practice. An hour whose reports were delivered or attempted more recently is
    /// reported <see cref="UsageReconciliationRowState.Unsettled"/> and nothing in it is resolved.
    /// </summary>
    /// <value>The default value is one hour; from <see cref="MinSettleTime"/> to <see cref="MaxSettleTime"/>.</value>
    /// <remarks>
    /// The ledger keeps no separate time of a report's last attempt: it is bounded by the report's next due time, which
    /// every attempt sets to at least the moment the attempt ended, so the settle time is counted from that bound.
    /// </remarks>
    public TimeSpan SettleTime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Gets or sets the most unknown reports of one account, meter and hour whose combinations are weighed against
    /// Stripe's total; an hour with more is reported <see cref="UsageReconciliationRowState.Ambiguous"/>.
    /// </summary>
    /// <value>The default value is 12 (4,096 combinations); from 1 to 16.</value>
    public int MaxUnknownReportsPerHour { get; set; } = 12;
}
