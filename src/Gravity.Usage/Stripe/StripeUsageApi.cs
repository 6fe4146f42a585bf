namespace Gravity.Usage.Stripe;

/// <summary>Which Stripe API usage reports are delivered through.</summary>
public enum StripeUsageApi
{
    /// <summary>
    /// Billing meter events (<c>POST /v1/billing/meter_events</c>), one request per report: the default. Stripe
    /// validates each event before it answers and de-duplicates the report identifier for at least 24 hours.
    /// </summary>
    MeterEvents = 0,

    /// <summary>
    /// Legacy usage records (<c>POST /v1/subscription_items/{item}/usage_records</c>), for subscriptions still on
    /// legacy metered prices. Sent with <see cref="StripeOptions.LegacyApiVersion"/>, since Stripe removed usage
    /// records from API version 2025-03-31.basil on.
    /// </summary>
    LegacyUsageRecords = 1,

    /// <summary>
    /// The v2 meter event stream (<c>POST /v2/billing/meter_event_stream</c>) for high volume: up to 100 events per
    /// request on a 15-minute session token. Stripe validates stream events asynchronously, so a delivered report
    /// means Stripe <em>accepted</em> it; an event it later rejects is reported through
    /// <c>v1.billing.meter.error_report_triggered</c>, not in the answer.
    /// </summary>
    MeterEventStream = 2,
}
