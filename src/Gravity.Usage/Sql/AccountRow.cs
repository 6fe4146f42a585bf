namespace Gravity.Usage.Sql;

/// <summary>An account's row as stored: <see cref="BillableSince"/> and <see cref="BillingAnchor"/> in Unix seconds.</summary>
internal sealed class AccountRow
{
    public string Account { get; set; } = string.Empty;

    public string? StripeCustomerId { get; set; }

    public bool Billable { get; set; }

    public long? BillableSince { get; set; }

    public long? BillingAnchor { get; set; }

    public string? BillingInterval { get; set; }

    public long? BillingIntervalCount { get; set; }

    /// <summary>Gets or sets the legacy subscription item of one meter, when the query reads it (the plan query).</summary>
    public string? SubscriptionItemId { get; set; }

    /// <summary>The stored billing cycle, or <see langword="null"/> when the account has none.</summary>
    public BillingCycle? BillingCycle =>
        BillingAnchor is { } anchor && Gravity.Usage.BillingIntervalText.Parse(BillingInterval) is { } interval && BillingIntervalCount is { } count
            ? new BillingCycle(Internal.UnixTime.FromSeconds(anchor), interval, checked((int)count))
            : null;
}
