namespace Gravity.Usage;

/// <summary>The unit a billing cycle repeats in, as Stripe's <c>recurring.interval</c>.</summary>
public enum BillingInterval
{
    /// <summary>Periods of whole days.</summary>
    Day,

    /// <summary>Periods of whole weeks.</summary>
    Week,

    /// <summary>Periods of whole calendar months; an anchor on the 29th to 31st falls on the last day of shorter months.</summary>
    Month,

    /// <summary>Periods of whole calendar years; an anchor on 29 February falls on 28 February in other years.</summary>
    Year,
}
