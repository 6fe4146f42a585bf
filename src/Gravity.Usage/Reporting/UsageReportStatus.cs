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
}
