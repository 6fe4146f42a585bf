namespace Gravity.Usage;

/// <summary>The billing period usage belongs to, for accounts with and without a billing cycle.</summary>
internal static class BillingPeriods
{
    /// <summary>
    /// The period of <paramref name="cycle"/> that holds <paramref name="instant"/>; without a cycle, the UTC calendar
    /// month, so that gauges (the latest or highest value of a period) still have a period to aggregate over.
    /// </summary>
    public static BillingPeriod Of(BillingCycle? cycle, DateTimeOffset instant)
    {
        if (cycle is not null)
        {
            return cycle.PeriodContaining(instant);
        }

        var utc = instant.ToUniversalTime();
        var start = new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero);
        return new BillingPeriod(start, start.AddMonths(1));
    }
}
