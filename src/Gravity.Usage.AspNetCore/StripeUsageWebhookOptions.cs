namespace Gravity.Usage.AspNetCore;

/// <summary>
/// The Stripe webhook endpoint of <c>MapStripeUsageWebhook</c>: its signing secret and limits. Validated at start, with
/// every failure listed; the secret never reaches a log or an exception message.
/// </summary>
public sealed class StripeUsageWebhookOptions
{
    /// <summary>The default <see cref="SignatureTolerance"/>: Stripe's own libraries accept a signature for 300 seconds.</summary>
    public static readonly TimeSpan DefaultSignatureTolerance = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets the endpoint's signing secret (<c>whsec_…</c>, shown by Stripe for the endpoint). Required.</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>
    /// Gets or sets how old a signature's timestamp may be, for clock skew and delivery delay; an older one is refused
    /// (a replayed request). Between 1 second and 1 hour.
    /// </summary>
    /// <value>The default value is 5 minutes.</value>
    public TimeSpan SignatureTolerance { get; set; } = DefaultSignatureTolerance;

    /// <summary>
    /// Gets or sets how many invoice flushes may wait for the background worker. When the queue is full the endpoint
    /// answers 503, and Stripe delivers the event again later. Between 1 and 100,000.
    /// </summary>
    /// <value>The default value is 1,000.</value>
    public int QueueCapacity { get; set; } = 1_000;

    /// <summary>
    /// Gets or sets how long a processed event id is remembered, so that Stripe's resends do nothing more. Stripe resends
    /// an unacknowledged event for up to 3 days. Between 1 minute and 30 days.
    /// </summary>
    /// <value>The default value is 3 days.</value>
    public TimeSpan ProcessedEventRetention { get; set; } = TimeSpan.FromDays(3);

    /// <summary>Gets or sets the most event ids remembered at once; the oldest are forgotten first. Between 1 and 10,000,000.</summary>
    /// <value>The default value is 100,000.</value>
    public int ProcessedEventCapacity { get; set; } = 100_000;

    /// <summary>Gets or sets the largest request body read, in bytes; a larger one is answered 413. Between 1 KiB and 16 MiB.</summary>
    /// <value>The default value is 1 MiB.</value>
    public int MaxPayloadBytes { get; set; } = 1024 * 1024;
}
