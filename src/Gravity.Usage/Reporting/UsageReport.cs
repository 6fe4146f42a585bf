namespace Gravity.Usage;

/// <summary>
/// One delivery of usage to the billing back end: the usage an account added to a meter's bucket since the previous
/// report of that bucket. Reports are never rewritten: late usage in a reported bucket makes a further report.
/// </summary>
public sealed record UsageReport
{
    /// <summary>Gets the report's id in the store.</summary>
    public required long Id { get; init; }

    /// <summary>
    /// Gets the deterministic identifier sent as Stripe's <c>identifier</c> and <c>Idempotency-Key</c>; derived from
    /// the account, meter, bucket and the quantity reported before, so the same usage can never get two identifiers.
    /// </summary>
    public required string Identifier { get; init; }

    /// <summary>Gets how many times the report was re-driven after failing for good or being parked.</summary>
    public int RedriveCount { get; init; }

    /// <summary>
    /// Gets the idempotency key to send: the identifier, suffixed once the report was re-driven. Stripe replays the
    /// stored answer of a key for 24 hours, so a report refused for good (and then fixed) needs a fresh key to be
    /// processed again; the unchanged identifier still lets Stripe drop a meter event it already has.
    /// </summary>
    public string IdempotencyKey => RedriveCount == 0 ? Identifier : $"{Identifier}-r{RedriveCount}";

    /// <summary>Gets the account whose usage this is.</summary>
    public required string Account { get; init; }

    /// <summary>Gets the meter.</summary>
    public required string Meter { get; init; }

    /// <summary>
    /// Gets the start of the bucket the usage belongs to; sent as the event's timestamp. A gauge's report carries the
    /// value of a billing period rather than of a bucket: this is then the event's own timestamp (inside the period,
    /// after the period's previous report), not aligned to a bucket.
    /// </summary>
    public required DateTimeOffset BucketStart { get; init; }

    /// <summary>Gets the usage reported: the counter's growth since the bucket's previous report; for a gauge, the period's value (0 or more).</summary>
    public required long Quantity { get; init; }

    /// <summary>Gets where the report stands.</summary>
    public required UsageReportStatus Status { get; init; }

    /// <summary>Gets how many delivery attempts were started.</summary>
    public int Attempts { get; init; }

    /// <summary>Gets when the report is next due for delivery (pending reports).</summary>
    public DateTimeOffset NextAttemptAt { get; init; }

    /// <summary>Gets when delivery was first attempted, or <see langword="null"/> when it never was.</summary>
    public DateTimeOffset? FirstAttemptAt { get; init; }

    /// <summary>Gets why the last attempt failed, why the report was skipped, or why it is parked; never a secret.</summary>
    public string? LastError { get; init; }

    /// <summary>Gets the billing back end's request id of the last answer (Stripe's <c>Request-Id</c>), for support.</summary>
    public string? LastRequestId { get; init; }

    /// <summary>Gets when the report was closed.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Gets when the billing back end accepted the report.</summary>
    public DateTimeOffset? SentAt { get; init; }

    /// <summary>
    /// Gets the Stripe customer the account was mapped to when the report was closed, or <see langword="null"/> when it
    /// had none then. The report is delivered to this customer even if the account's mapping changed since, until it is
    /// re-driven (a re-drive delivers with the current mapping).
    /// </summary>
    public string? StripeCustomerId { get; init; }

    /// <summary>
    /// Gets the legacy subscription item of the report's meter when the report was closed, or <see langword="null"/>
    /// when there was none. Legacy usage records are delivered to it even if the mapping changed since.
    /// </summary>
    public string? SubscriptionItemId { get; init; }
}
