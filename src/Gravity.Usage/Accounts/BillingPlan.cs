namespace Gravity.Usage;

/// <summary>The one rule for whether a bucket's usage is billed, shared by the reporter and the stores.</summary>
internal static class BillingPlan
{
    public const string NotBillable = "The account is not billable.";
    public const string BeforeBillable = "The usage predates the account becoming billable.";

    /// <summary>
    /// Why the usage of a bucket is not billed, or <see langword="null"/> to bill it. Unknown accounts are billed: their
    /// reports fail loudly until they are mapped, rather than lose revenue. A bucket that straddles the moment an account
    /// became billable is billed; the usage recorded in it before that moment was closed, as skipped, at the change.
    /// </summary>
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
    public static UsageAccount AsClosed(UsageAccount current, UsageReport report)
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
