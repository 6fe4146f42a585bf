namespace Gravity.Usage;

/// <summary>
/// How a changed gauge bucket is closed: per billing period, by the reporter and by a change of mapping alike. A store
/// that keeps accounts uses it when <see cref="IUsageAccountStore.SaveAccountAsync"/> changes a mapping: every gauge
/// bucket not yet reported is first closed, per period, under the old mapping.
/// </summary>
public static class GaugeClosingPlan
{
    /// <summary>
    /// The closing of a gauge's billing period under <paramref name="plan"/>: billed by its plan at the period's end,
    /// and delivered to its customer and item whatever the mapping becomes.
    /// </summary>
    /// <param name="account">The account.</param>
    /// <param name="meter">The gauge's meter.</param>
    /// <param name="kind">The gauge's kind (<see cref="MeterKind.Last"/>, <see cref="MeterKind.Max"/> or <see cref="MeterKind.LastEver"/>).</param>
    /// <param name="period">The billing period closed (one of <see cref="Periods"/>).</param>
    /// <param name="plan">The mapping the period is closed under, or <see langword="null"/> for an unknown account (billed).</param>
    /// <returns>The closing.</returns>
    public static ReportClosing Closing(string account, string meter, MeterKind kind, BillingPeriod period, UsageAccount? plan) =>
        Closing(account, meter, kind, period, plan, storeDecides: false);

    /// <summary>A gauge is closed per billing period; where the store keeps the plan, it decides billing inside the close.</summary>
    internal static ReportClosing Closing(string account, string meter, MeterKind kind, BillingPeriod period, UsageAccount? plan, bool storeDecides) =>
        new(account, meter, period.Start, period.End, storeDecides ? null : BillingPlan.SkipReason(plan, period.End))
        {
            ApplyStoredPlan = storeDecides,
            Kind = kind,
            Period = period,
            StripeCustomerId = storeDecides ? null : plan?.StripeCustomerId,
            SubscriptionItemId = !storeDecides && plan is not null && plan.SubscriptionItems.TryGetValue(meter, out var item) ? item : null,
        };

    /// <summary>
    /// The billing periods a changed gauge bucket bears on: the period of its start and of its end (a bucket may straddle
    /// a boundary), and for a LastEver gauge every later period up to the current one, into which its value carries.
    /// </summary>
    /// <param name="kind">The gauge's kind.</param>
    /// <param name="cycle">The account's billing cycle, or <see langword="null"/> for none (periods are then UTC calendar months).</param>
    /// <param name="bucketStart">The gauge bucket's start.</param>
    /// <param name="bucketEnd">The gauge bucket's end (<see cref="PeriodBuckets.EndOf"/>).</param>
    /// <param name="now">The current instant.</param>
    /// <returns>The periods, oldest first.</returns>
    public static IEnumerable<BillingPeriod> Periods(MeterKind kind, BillingCycle? cycle, DateTimeOffset bucketStart, DateTimeOffset bucketEnd, DateTimeOffset now)
    {
        var period = BillingPeriods.Of(cycle, bucketStart);
        yield return period;
        var last = BillingPeriods.Of(cycle, kind == MeterKind.LastEver ? (now > bucketEnd ? now : bucketEnd.AddTicks(-1)) : bucketEnd.AddTicks(-1));

        // Usage is at most 34 days old, so a handful of periods at most; the cap only guards against a bad cycle.
        for (var i = 0; i < 64 && period.End <= last.Start; i++)
        {
            period = BillingPeriods.Of(cycle, period.End);
            yield return period;
        }
    }
}
