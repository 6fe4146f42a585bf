namespace Gravity.Usage.AspNetCore.Webhooks;

/// <summary>What a handler did with an event; the endpoint answers accordingly.</summary>
internal enum StripeWebhookOutcome
{
    /// <summary>Taken: work was queued or done. 200, and the event id is remembered.</summary>
    Accepted,

    /// <summary>Not for this library (another billing reason, no customer). 200, and the event id is remembered.</summary>
    Ignored,

    /// <summary>No room to take it now. 503: Stripe delivers it again later, and the event id is not remembered.</summary>
    Busy,
}
