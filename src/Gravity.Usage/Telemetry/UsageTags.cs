namespace Gravity.Usage.Telemetry;

/// <summary>Tag names and the fixed values they take, shared by metrics and spans so that both read alike.</summary>
internal static class UsageTags
{
    public const string Meter = "gravity.usage.meter";
    public const string Outcome = "gravity.usage.outcome";
    public const string ReportStatus = "gravity.usage.report.status";
    public const string StripeApi = "gravity.usage.stripe.api";
    public const string StripeOutcome = "gravity.usage.stripe.outcome";
    public const string StripeRequestId = "gravity.usage.stripe.request_id";
    public const string StripeEvents = "gravity.usage.stripe.events";
    public const string BatchSize = "gravity.usage.commit.batch_size";
    public const string Claimed = "gravity.usage.reports.claimed";
    public const string RunClosed = "gravity.usage.reports.closed";
    public const string RunSent = "gravity.usage.reports.sent";
    public const string RunSkipped = "gravity.usage.reports.skipped";
    public const string RunFailed = "gravity.usage.reports.failed";
    public const string RunRetried = "gravity.usage.reports.retried";
    public const string RunUnknown = "gravity.usage.reports.unknown";
    public const string RunCancelled = "gravity.usage.reports.cancelled";
    public const string RunNeedsCredit = "gravity.usage.reports.needs_credit";

    // Increment outcomes.
    public const string Recorded = "recorded";
    public const string Duplicate = "duplicate";
    public const string Refused = "refused";
    public const string Conflict = "conflict";
    public const string Failed = "failed";

    // Commit outcomes (Failed as above).
    public const string Committed = "committed";
    public const string Unknown = "unknown";

    // Report statuses (Failed and Unknown as above, Cancelled below).
    public const string Closed = "closed";
    public const string Sent = "sent";
    public const string Skipped = "skipped";
    public const string Retried = "retried";
    public const string NeedsCredit = "needs_credit";

    // Stripe APIs.
    public const string MeterEvents = "meter_events";
    public const string MeterEventAdjustments = "meter_event_adjustments";
    public const string MeterEventStream = "meter_event_stream";
    public const string UsageRecords = "usage_records";
    public const string Session = "session";

    // Stripe outcomes (Duplicate as above).
    public const string Delivered = "delivered";
    public const string Transient = "transient";
    public const string Permanent = "permanent";
    public const string Cancelled = "cancelled";
}
