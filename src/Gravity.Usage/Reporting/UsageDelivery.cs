namespace Gravity.Usage;

/// <summary>A usage report on its way to a sink, with the account's billing ids and the meter's name at the back end.</summary>
/// <param name="Report">The report: its identifier is the idempotency key to send, its bucket start the timestamp.</param>
/// <param name="EventName">The back end's name for the meter (Stripe's <c>event_name</c>).</param>
/// <param name="BillingAccount">The account's billing ids (Stripe customer, legacy subscription items).</param>
/// <param name="Kind">
/// The meter's kind. A gauge's report carries its billing period's value, to be set rather than added (legacy usage
/// records use <c>action=set</c>); its <see cref="UsageReport.BucketStart"/> is the event's timestamp.
/// </param>
public sealed record UsageDelivery(UsageReport Report, string EventName, UsageAccount BillingAccount, MeterKind Kind = MeterKind.Sum);
