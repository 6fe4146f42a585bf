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
}
