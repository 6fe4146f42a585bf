namespace Gravity.Usage;

/// <summary>
/// An audited correction of an account's usage: a signed delta on one bucket of one meter (what), with the reason
/// (why), when it was made and the idempotency key it was made under (by which request), and how it was applied.
/// </summary>
/// <remarks>
/// The parts <see cref="FromUnreported"/>, <see cref="FromUnsentReports"/>, <see cref="CancelledAndResent"/>,
/// <see cref="NeedsCredit"/> and <see cref="AwaitingCancellation"/> always add up to <see cref="Delta"/>. A negative
/// delta takes first from usage not yet closed into reports, then from reports never sent, and only then from usage
/// the billing back end may already have, which the reporter cancels and sends again, or parks as needing a credit.
/// </remarks>
public sealed record UsageCorrection
{
    /// <summary>Gets the correction's id in the store; corrections are listed in id order.</summary>
    public required long Id { get; init; }

    /// <summary>Gets the account whose usage was corrected.</summary>
    public required string Account { get; init; }

    /// <summary>Gets the meter.</summary>
    public required string Meter { get; init; }

    /// <summary>Gets the start of the bucket corrected (the bucket of the timestamp given).</summary>
    public required DateTimeOffset BucketStart { get; init; }

    /// <summary>Gets the signed change: positive adds usage, negative takes it back.</summary>
    public required long Delta { get; init; }

    /// <summary>Gets why the usage was corrected, as the caller said.</summary>
    public required string Reason { get; init; }

    /// <summary>Gets the idempotency key the correction was made under; the same key never corrects twice.</summary>
    public required string IdempotencyKey { get; init; }

    /// <summary>Gets when the correction was made.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>
    /// Gets the part applied to usage not yet closed into reports: all of a positive delta (reported like any usage),
    /// or what a negative one took from unreported usage.
    /// </summary>
    public long FromUnreported { get; init; }

    /// <summary>Gets the part (zero or negative) taken from reports that were never sent; they were corrected locally.</summary>
    public long FromUnsentReports { get; init; }

    /// <summary>
    /// Gets the part (zero or negative) removed at the billing back end: the events it was billed in were cancelled
    /// and their corrected remainders sent again under new identifiers.
    /// </summary>
    public long CancelledAndResent { get; init; }

    /// <summary>
    /// Gets the part (zero or negative) that could not be taken back at the billing back end (past Stripe's
    /// cancellation window, or the cancellation was refused): parked in <see cref="UsageReportStatus.NeedsCredit"/>
    /// reports for the host to credit.
    /// </summary>
    public long NeedsCredit { get; init; }

    /// <summary>
    /// Gets the part (zero or negative) handed to the reporter that it has not resolved yet: in
    /// <see cref="UsageReportStatus.Cancelling"/> reports, cancelled or parked by a coming report run.
    /// </summary>
    public long AwaitingCancellation { get; init; }

    /// <summary>
    /// Gets a value indicating whether this call found the correction already made under its idempotency key, so it
    /// applied nothing (the correction returned is the original).
    /// </summary>
    public bool IsRepeat { get; init; }
}
