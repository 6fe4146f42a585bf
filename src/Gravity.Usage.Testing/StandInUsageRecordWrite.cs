namespace Gravity.Usage.Testing;

/// <summary>A snapshot of one accepted legacy usage record write (<c>POST /v1/subscription_items/{si}/usage_records</c>); idempotent replays are not writes.</summary>
public sealed class StandInUsageRecordWrite
{
    internal StandInUsageRecordWrite(string id, string subscriptionItemId, long quantity, DateTimeOffset timestamp, string action, DateTimeOffset receivedAt, string requestId, string? idempotencyKey)
    {
        Id = id;
        SubscriptionItemId = subscriptionItemId;
        Quantity = quantity;
        Timestamp = timestamp;
        Action = action;
        ReceivedAt = receivedAt;
        RequestId = requestId;
        IdempotencyKey = idempotencyKey;
    }

    /// <summary>The usage record's id (<c>mbur_...</c>).</summary>
    public string Id { get; }

    /// <summary>The subscription item (<c>si_...</c>).</summary>
    public string SubscriptionItemId { get; }

    /// <summary>The quantity sent.</summary>
    public long Quantity { get; }

    /// <summary>The usage timestamp (whole seconds).</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary><c>increment</c> or <c>set</c>.</summary>
    public string Action { get; }

    /// <summary>When the stand-in accepted it, on its clock.</summary>
    public DateTimeOffset ReceivedAt { get; }

    /// <summary>The <c>Request-Id</c> of the request.</summary>
    public string RequestId { get; }

    /// <summary>The <c>Idempotency-Key</c> of the request, if any.</summary>
    public string? IdempotencyKey { get; }
}
