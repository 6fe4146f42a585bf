namespace Gravity.Usage;

/// <summary>
/// The one rule for whether a bucket's usage is billed, and to whom, shared by the reporter and the stores. A store
/// applies it where it decides the plan itself: inside its close transaction for a closing with
/// <see cref="ReportClosing.ApplyStoredPlan"/>, and when <see cref="IUsageAccountStore.SaveAccountAsync"/> changes a
/// mapping (the usage so far is first closed under the old one with <see cref="ClosingUnder"/>).
/// </summary>
public static class BillingPlan
{
    /// <summary>The skip reason of usage of an account that is not billable (<see cref="UsageAccount.Billable"/> false).</summary>
    public const string NotBillable = "The account is not billable.";

    /// <summary>The skip reason of usage of a bucket that ended before <see cref="UsageAccount.BillableSince"/>.</summary>
    public const string BeforeBillable = "The usage predates the account becoming billable.";

    /// <summary>
    /// Why the usage of a bucket is not billed, or <see langword="null"/> to bill it. Unknown accounts are billed: their
    /// reports fail loudly until they are mapped, rather than lose revenue. A bucket that straddles the moment an account
    /// became billable is billed; the usage recorded in it before that moment was closed, as skipped, at the change.
    /// </summary>
    /// <param name="account">The account's mapping (its plan), or <see langword="null"/> when the account is unknown.</param>
    /// <param name="bucketEnd">
    /// The end of the bucket (for a sum, its aligned end cut at the account's next period boundary:
    /// <see cref="PeriodBuckets.EndOf"/>; for a gauge, its billing period's end).
    /// </param>
    /// <returns><see cref="NotBillable"/>, <see cref="BeforeBillable"/>, or <see langword="null"/> to bill the usage.</returns>
    public static string? SkipReason(UsageAccount? account, DateTimeOffset bucketEnd)
    {
        if (account is null)
        {
            return null;
        }

        if (!account.Billable)
        {
            return NotBillable;
        }

        return account.BillableSince is { } since && bucketEnd <= since ? BeforeBillable : null;
    }

    /// <summary>
    /// The closing of a counter under <paramref name="mapping"/>: billed by its plan, its bucket ending at its cycle's
    /// boundary, and delivered to its customer and item whatever the mapping becomes. Used when a mapping changes, by
    /// the built-in store and by hosts with their own resolver (<see cref="IUsageReporter.CloseUnderMappingAsync"/>).
    /// </summary>
    /// <param name="mapping">The mapping the usage is closed under (the old one, when a mapping changes).</param>
    /// <param name="meter">The counter's meter.</param>
    /// <param name="bucketStart">The counter's bucket start.</param>
    /// <param name="bucketSize">The meter's bucket size (<see cref="UsageBillingOptions.BucketSize"/>).</param>
    /// <returns>The closing, with its skip reason, bucket end and billing ids decided.</returns>
    public static ReportClosing ClosingUnder(UsageAccount mapping, string meter, DateTimeOffset bucketStart, TimeSpan bucketSize)
    {
        var bucketEnd = PeriodBuckets.EndOf(bucketStart, bucketSize, mapping.BillingCycle);
        return new ReportClosing(mapping.Account, meter, bucketStart, bucketEnd, SkipReason(mapping, bucketEnd))
        {
            StripeCustomerId = mapping.StripeCustomerId,
            SubscriptionItemId = mapping.SubscriptionItems.TryGetValue(meter, out var item) ? item : null,
        };
    }

    /// <summary>
    /// The billing ids a report is delivered with: the customer and item it was closed with, where it has them, over
    /// the account's current mapping.
    /// </summary>
    internal static UsageAccount AsClosed(UsageAccount current, UsageReport report)
    {
        if (report.StripeCustomerId is null && report.SubscriptionItemId is null)
        {
            return current;
        }

        var items = current.SubscriptionItems;
        if (report.SubscriptionItemId is { } item)
        {
            items = new Dictionary<string, string>(current.SubscriptionItems, StringComparer.Ordinal) { [report.Meter] = item };
        }

        return current with { StripeCustomerId = report.StripeCustomerId ?? current.StripeCustomerId, SubscriptionItems = items };
    }
}
