namespace Gravity.Usage.Stripe;

/// <summary>Which Stripe API usage reports are delivered through.</summary>
public enum StripeUsageApi
{
    /// <summary>
    /// Billing meter events (<c>POST /v1/billing/meter_events</c>): the current API, de-duplicated by the report
    /// identifier for at least 24 hours.
    /// </summary>
    MeterEvents = 0,

    /// <summary>
    /// Legacy usage records (<c>POST /v1/subscription_items/{item}/usage_records</c>), for subscriptions still on
    /// legacy metered prices. Sent with <see cref="StripeOptions.LegacyApiVersion"/>, since Stripe removed usage
    /// records from API version 2025-03-31.basil on.
    /// </summary>
    LegacyUsageRecords = 1,
}
