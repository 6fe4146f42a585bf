namespace Gravity.Usage;

/// <summary>What a sink reports back about one delivery.</summary>
public sealed record DeliveryResult
{
    private DeliveryResult(DeliveryOutcome outcome, string? error, string? requestId, TimeSpan? retryAfter, bool rotateIdempotencyKey = false)
    {
        Outcome = outcome;
        Error = error;
        RequestId = requestId;
        RetryAfter = retryAfter;
        RotateIdempotencyKey = rotateIdempotencyKey;
    }

    /// <summary>Gets how the back end answered.</summary>
    public DeliveryOutcome Outcome { get; }

    /// <summary>Gets the back end's explanation of a failure; it must never contain a secret.</summary>
    public string? Error { get; }

    /// <summary>Gets the back end's id of the answering request (Stripe's <c>Request-Id</c>), for support.</summary>
    public string? RequestId { get; }

    /// <summary>Gets how long the back end asked to wait before the next attempt, when it said.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>
    /// Gets a value indicating whether the next attempt must use a fresh idempotency key: the back end keeps replaying a
    /// stored failure for the current one. Only sinks whose back end also de-duplicates by the report identifier may ask.
    /// </summary>
    public bool RotateIdempotencyKey { get; }

    /// <summary>The back end accepted the report, now or earlier under the same identifier.</summary>
    /// <param name="requestId">The back end's request id.</param>
    /// <returns>The result.</returns>
    public static DeliveryResult Delivered(string? requestId = null) => new(DeliveryOutcome.Delivered, null, requestId, null);

    /// <summary>The back end did not accept the report this time; it is retried later with the same identifier.</summary>
    /// <param name="error">Why, without secrets.</param>
    /// <param name="requestId">The back end's request id, when there was an answer.</param>
    /// <param name="retryAfter">How long the back end asked to wait, when it said.</param>
    /// <returns>The result.</returns>
    public static DeliveryResult Transient(string error, string? requestId = null, TimeSpan? retryAfter = null) =>
        new(DeliveryOutcome.Transient, error, requestId, retryAfter);

    /// <summary>
    /// The back end replayed a stored failure for the report's idempotency key; the report is retried later under a fresh
    /// key. Only for back ends that also de-duplicate by the report identifier, such as Stripe meter events.
    /// </summary>
    /// <param name="error">Why, without secrets.</param>
    /// <param name="requestId">The back end's request id.</param>
    /// <param name="retryAfter">How long the back end asked to wait, when it said.</param>
    /// <returns>The result.</returns>
    public static DeliveryResult TransientWithFreshKey(string error, string? requestId = null, TimeSpan? retryAfter = null) =>
        new(DeliveryOutcome.Transient, error, requestId, retryAfter, rotateIdempotencyKey: true);

    /// <summary>The back end refused the report for good; it is parked as failed until re-driven.</summary>
    /// <param name="error">Why, without secrets.</param>
    /// <param name="requestId">The back end's request id, when there was an answer.</param>
    /// <returns>The result.</returns>
    public static DeliveryResult Permanent(string error, string? requestId = null) => new(DeliveryOutcome.Permanent, error, requestId, null);
}
