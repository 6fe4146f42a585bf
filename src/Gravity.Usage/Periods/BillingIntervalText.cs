namespace Gravity.Usage;

/// <summary>A <see cref="BillingInterval"/> as the ledger stores it and Stripe writes it (<c>recurring.interval</c>).</summary>
internal static class BillingIntervalText
{
    public static string Format(BillingInterval interval) => interval switch
    {
        BillingInterval.Day => "day",
        BillingInterval.Week => "week",
        BillingInterval.Month => "month",
        BillingInterval.Year => "year",
        _ => throw new ArgumentOutOfRangeException(nameof(interval), interval, "The interval must be Day, Week, Month or Year."),
    };

    /// <summary>The interval named <paramref name="text"/>, or <see langword="null"/> when it names none.</summary>
    public static BillingInterval? Parse(string? text) => text switch
    {
        "day" => BillingInterval.Day,
        "week" => BillingInterval.Week,
        "month" => BillingInterval.Month,
        "year" => BillingInterval.Year,
        _ => null,
    };
}
