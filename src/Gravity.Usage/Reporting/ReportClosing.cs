namespace Gravity.Usage;

/// <summary>A counter to close into a report.</summary>
/// <param name="Account">The account.</param>
/// <param name="Meter">The meter.</param>
/// <param name="BucketStart">The start of the bucket.</param>
/// <param name="BucketEnd">
/// The end of the bucket (its aligned end, or the account's next period boundary when earlier): usage of buckets that
/// ended before an account became billable is skipped. With <see cref="ApplyStoredPlan"/>, the store computes it
/// from the stored billing cycle instead.
/// </param>
/// <param name="SkipReason">Why the usage is not billed (the report is then skipped), or <see langword="null"/> to bill it.</param>
/// <remarks>
/// The members every closing has are the constructor's; the rest are init properties, so that a member added later is
/// one more property rather than a new constructor that every store's tests and callers must follow.
/// </remarks>
public readonly record struct ReportClosing(
    string Account,
    string Meter,
    DateTimeOffset BucketStart,
    DateTimeOffset BucketEnd,
    string? SkipReason)
{
    /// <summary>
    /// Gets a value indicating whether the store decides billing inside the close transaction from its own account
    /// mapping instead of <see cref="SkipReason"/>, so that a plan change saved meanwhile is never overtaken. With it,
    /// the store also computes <see cref="BucketEnd"/> from the stored billing cycle.
    /// </summary>
    public bool ApplyStoredPlan { get; init; }

    /// <summary>
    /// Gets the meter's kind (<see cref="MeterKind.Sum"/> unless set). A gauge (<see cref="MeterKind.Last"/>,
    /// <see cref="MeterKind.Max"/>, <see cref="MeterKind.LastEver"/>) is closed per billing period, not per bucket: the
    /// period's value is reported when it differs from the last report of the period (see the README's "Meter kinds").
    /// </summary>
    public MeterKind Kind { get; init; }

    /// <summary>
    /// Gets, for a gauge, the billing period to close (<see cref="BucketEnd"/> is then the period's end, which decides
    /// whether it is billed); <see langword="null"/> for a sum.
    /// </summary>
    public BillingPeriod? Period { get; init; }

    /// <summary>
    /// Gets the Stripe customer the report is delivered to whatever the mapping becomes (see
    /// <see cref="UsageReport.StripeCustomerId"/>); ignored when <see cref="ApplyStoredPlan"/> is set, which takes the stored one.
    /// </summary>
    public string? StripeCustomerId { get; init; }

    /// <summary>Gets the legacy subscription item the report is delivered to; ignored when <see cref="ApplyStoredPlan"/> is set.</summary>
    public string? SubscriptionItemId { get; init; }
}
