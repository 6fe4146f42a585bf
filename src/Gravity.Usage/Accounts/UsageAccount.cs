namespace Gravity.Usage;

/// <summary>How an account is billed: its Stripe customer, whether its usage is billed, and legacy subscription items.</summary>
/// <param name="Account">The host application's customer id.</param>
public sealed record UsageAccount(string Account)
{
    /// <summary>Gets the Stripe customer (<c>cus_…</c>) that meter events are sent for.</summary>
    public string? StripeCustomerId { get; init; }

    /// <summary>
    /// Gets a value indicating whether the account's usage is billed. Usage of a non-billable (free) account is tracked and
    /// shown, and its reports are skipped: never sent, then or later.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Billable { get; init; } = true;

    /// <summary>
    /// Gets since when the account is billable; usage in buckets that ended before it is skipped. The built-in account
    /// store sets it when <see cref="Billable"/> turns on.
    /// </summary>
    public DateTimeOffset? BillableSince { get; init; }

    /// <summary>
    /// Gets the legacy Stripe subscription item (<c>si_…</c>) per meter, for subscriptions still on usage records.
    /// </summary>
    public IReadOnlyDictionary<string, string> SubscriptionItems { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// Gets the account's billing cycle (its Stripe subscription's anchor and interval), or <see langword="null"/> when
    /// it has none: usage is then cut into buckets only, and gauge periods are UTC calendar months.
    /// </summary>
    public BillingCycle? BillingCycle { get; init; }
}
