namespace Gravity.Usage.Testing;

/// <summary>A snapshot of one meter event the stand-in accepted (counted), including ones cancelled since.</summary>
public sealed class StandInMeterEvent
{
    internal StandInMeterEvent(
        string meterId,
        string eventName,
        string identifier,
        string customerId,
        decimal value,
        DateTimeOffset timestamp,
        DateTimeOffset receivedAt,
        bool isCancelled,
        IReadOnlyDictionary<string, string> payload,
        string requestId,
        string? idempotencyKey)
    {
        MeterId = meterId;
        EventName = eventName;
        Identifier = identifier;
        CustomerId = customerId;
        Value = value;
        Timestamp = timestamp;
        ReceivedAt = receivedAt;
        IsCancelled = isCancelled;
        Payload = payload;
        RequestId = requestId;
        IdempotencyKey = idempotencyKey;
    }

    /// <summary>The meter's id (<c>mtr_...</c>).</summary>
    public string MeterId { get; }

    /// <summary>The event name.</summary>
    public string EventName { get; }

    /// <summary>The identifier sent, or the one the stand-in generated when none was sent.</summary>
    public string Identifier { get; }

    /// <summary>The customer id taken from the payload.</summary>
    public string CustomerId { get; }

    /// <summary>The value taken from the payload (0 for a <c>count</c> meter event sent without a value).</summary>
    public decimal Value { get; }

    /// <summary>The event's timestamp (whole seconds).</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>When the stand-in accepted it, on its clock.</summary>
    public DateTimeOffset ReceivedAt { get; }

    /// <summary>Whether a meter event adjustment cancelled it.</summary>
    public bool IsCancelled { get; }

    /// <summary>The payload as sent.</summary>
    public IReadOnlyDictionary<string, string> Payload { get; }

    /// <summary>The <c>Request-Id</c> of the request that was accepted.</summary>
    public string RequestId { get; }

    /// <summary>The <c>Idempotency-Key</c> of the request that was accepted, if any.</summary>
    public string? IdempotencyKey { get; }
}
