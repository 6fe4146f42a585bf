namespace Gravity.Usage;

/// <summary>Where a usage report stands on its way to the billing back end.</summary>
public enum UsageReportStatus
{
    /// <summary>Waiting to be delivered, or to be retried after a transient failure.</summary>
    Pending = 0,

    /// <summary>The billing back end accepted it.</summary>
    Sent = 1,

    /// <summary>
    /// Refused for good (unknown customer, no such meter, bad key, too old); kept with the reason and re-driven
    /// explicitly once the cause is fixed.
    /// </summary>
    Failed = 2,

    /// <summary>Usage of an account that was not billable: recorded for the audit trail, never sent.</summary>
    Skipped = 3,

    /// <summary>
    /// Attempts went unanswered for longer than Stripe remembers identifiers, so resending could bill twice: parked
    /// for reconciliation against Stripe's totals, or an explicit re-drive by the host.
    /// </summary>
    Unknown = 4,

    /// <summary>
    /// Taken back by a correction: cancelled at the billing back end, or never sent. Whatever the correction left of
    /// it is a newer report under a new identifier. Never sent (again).
    /// </summary>
    Cancelled = 5,

    /// <summary>
    /// The amount (its <see cref="UsageReport.Quantity"/>) that a correction took off a report the billing back end
    /// may already have: the reporter cancels that report's event and sends the rest again, or parks the amount as
    /// <see cref="NeedsCredit"/>. Never sent itself.
    /// </summary>
    Cancelling = 6,

    /// <summary>
    /// The amount (its <see cref="UsageReport.Quantity"/>) that a correction took off usage already billed and that
    /// could not be cancelled (past Stripe's cancellation window, or refused): the host must credit it. Never sent,
    /// never re-driven, never dropped.
    /// </summary>
    NeedsCredit = 7,
}
